#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "memtrim.h"
#include "netproc.h"

#define HOLES		4096		/* freed blocks between live ones */
#define HOLE_BYTES	(16 * 1024)	/* 64 MiB in all */

/* A heap like the one a storm leaves: large holes between live chunks. */
struct holes {
	void	*live[HOLES];
};

struct memtrim_fixture {
	struct event_base *base;
	struct netproc	np;
	struct holes	holes;
	bool		holes_made;
};

static void
holes_make(struct memtrim_fixture *fx)
{
	void *hole[HOLES];
	size_t i;

	for (i = 0; i < HOLES; i++) {
		hole[i] = malloc(HOLE_BYTES);
		fx->holes.live[i] = malloc(64);
		assert_non_null(hole[i]);
		assert_non_null(fx->holes.live[i]);
		/* Touch every page, so that the hole counts in the RSS. */
		memset(hole[i], 1, HOLE_BYTES);
	}
	for (i = 0; i < HOLES; i++)
		free(hole[i]);
	fx->holes_made = true;
}

static int
setup(void **state)
{
	struct memtrim_fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->base = event_base_new();
	assert_non_null(fx->base);
	fx->np.base = fx->base;
	assert_int_equal(memtrim_start(&fx->np), 0);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct memtrim_fixture *fx = *state;
	size_t i;

	for (i = 0; fx->holes_made && i < HOLES; i++)
		free(fx->holes.live[i]);
	memtrim_stop(&fx->np);
	assert_null(fx->np.memtrim);
	event_base_free(fx->base);
	free(fx);

	/* Merge the holes into the heap's top and return it, for the next
	 * test. */
	malloc_trim(0);
	return (0);
}

static void
test_memtrim_waits_for_a_burst(void **state)
{
	struct memtrim_fixture *fx = *state;
	size_t released;

	holes_make(fx);
	fx->np.next_conn_id = MEMTRIM_BURST / 2;
	fx->np.sessions_closed = MEMTRIM_BURST / 2 - 1;
	assert_false(memtrim_burst_over(&fx->np));
	assert_false(memtrim_check(&fx->np, &released));

	/* Session ends count as much as new connections. */
	fx->np.sessions_closed++;
	assert_true(memtrim_burst_over(&fx->np));
}

static void
test_memtrim_waits_until_quiet(void **state)
{
	struct memtrim_fixture *fx = *state;
	size_t released;

	holes_make(fx);
	fx->np.next_conn_id = MEMTRIM_BURST;
	fx->np.conns_open = MEMTRIM_QUIET + 1;
	assert_false(memtrim_burst_over(&fx->np));
	assert_false(memtrim_check(&fx->np, &released));

	fx->np.conns_open = MEMTRIM_QUIET;
	assert_true(memtrim_burst_over(&fx->np));
}

#ifndef HEADEND_SANITIZE
/*
 * ASan's allocator does not use glibc's heap, so these need the plain
 * build: there, glibc's free lists are what memtrim reads and trims.
 */

static void
test_memtrim_trims_after_session_ends(void **state)
{
	struct memtrim_fixture *fx = *state;
	size_t released;

	/* A storm whose sessions are still up leaves little free. */
	assert_true(mallinfo2().fordblks < MEMTRIM_FREE_MIN);
	fx->np.next_conn_id = MEMTRIM_BURST;
	assert_false(memtrim_check(&fx->np, &released));
	assert_false(memtrim_burst_over(&fx->np));

	/* When they end, their memory comes free and they make a burst. */
	holes_make(fx);
	fx->np.sessions_closed = MEMTRIM_BURST;
	assert_true(memtrim_check(&fx->np, &released));
	assert_true(released >= HOLES * HOLE_BYTES / 2);
}

static void
test_memtrim_checks_once_per_burst(void **state)
{
	struct memtrim_fixture *fx = *state;
	size_t released;

	holes_make(fx);
	fx->np.next_conn_id = MEMTRIM_BURST;
	assert_true(memtrim_check(&fx->np, &released));

	fx->np.next_conn_id += MEMTRIM_BURST - 1;
	assert_false(memtrim_burst_over(&fx->np));
	assert_false(memtrim_check(&fx->np, &released));
	fx->np.next_conn_id++;
	assert_true(memtrim_burst_over(&fx->np));
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
#ifndef HEADEND_SANITIZE
		cmocka_unit_test_setup_teardown(
		    test_memtrim_trims_after_session_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_memtrim_checks_once_per_burst, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_memtrim_waits_for_a_burst,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_memtrim_waits_until_quiet,
		    setup, teardown),
	};

	/* Holes below this size come from the heap, even when the
	 * environment sets glibc's tunables. */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
