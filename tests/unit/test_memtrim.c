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
#define HOLE_BYTES	(16 * 1024)	/* below glibc's 128 KiB mmap limit */

/* A heap like the one a storm leaves: large holes between live chunks. */
struct holes {
	void	*live[HOLES];
};

struct memtrim_fixture {
	struct event_base *base;
	struct netproc	np;
	struct holes	holes;
};

static void
holes_make(struct holes *h)
{
	void *hole[HOLES];
	size_t i;

	for (i = 0; i < HOLES; i++) {
		hole[i] = malloc(HOLE_BYTES);
		h->live[i] = malloc(64);
		assert_non_null(hole[i]);
		assert_non_null(h->live[i]);
		/* Touch every page, so that the hole counts in the RSS. */
		memset(hole[i], 1, HOLE_BYTES);
	}
	for (i = 0; i < HOLES; i++)
		free(hole[i]);
}

static void
holes_free(struct holes *h)
{
	size_t i;

	for (i = 0; i < HOLES; i++)
		free(h->live[i]);
}

#ifndef HEADEND_SANITIZE
static size_t
rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (resident * (size_t)sysconf(_SC_PAGESIZE));
}
#endif

static int
setup(void **state)
{
	struct memtrim_fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->base = event_base_new();
	assert_non_null(fx->base);
	fx->np.base = fx->base;
	assert_int_equal(memtrim_start(&fx->np), 0);
	holes_make(&fx->holes);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct memtrim_fixture *fx = *state;

	holes_free(&fx->holes);
	memtrim_stop(&fx->np);
	assert_null(fx->np.memtrim);
	event_base_free(fx->base);
	free(fx);
	return (0);
}

static void
test_memtrim_waits_for_a_burst(void **state)
{
	struct memtrim_fixture *fx = *state;

	fx->np.next_conn_id = MEMTRIM_BURST - 1;
	assert_false(memtrim_burst_over(&fx->np));
	assert_int_equal(memtrim_check(&fx->np), 0);
}

static void
test_memtrim_waits_until_quiet(void **state)
{
	struct memtrim_fixture *fx = *state;

	fx->np.next_conn_id = MEMTRIM_BURST;
	fx->np.conns_open = MEMTRIM_QUIET + 1;
	assert_false(memtrim_burst_over(&fx->np));
	assert_int_equal(memtrim_check(&fx->np), 0);

	/* Once the logins are done, the same burst still counts. */
	fx->np.conns_open = MEMTRIM_QUIET;
	assert_true(memtrim_burst_over(&fx->np));
#ifndef HEADEND_SANITIZE
	assert_true(memtrim_check(&fx->np) >= MEMTRIM_FREE_MIN);
#else
	/* ASan's allocator does not use glibc's heap: nothing to trim. */
	assert_int_equal(memtrim_check(&fx->np), 0);
#endif
}

static void
test_memtrim_checks_once_per_burst(void **state)
{
	struct memtrim_fixture *fx = *state;

	fx->np.next_conn_id = MEMTRIM_BURST;
	memtrim_check(&fx->np);
	fx->np.next_conn_id += MEMTRIM_BURST - 1;
	assert_false(memtrim_burst_over(&fx->np));
	assert_int_equal(memtrim_check(&fx->np), 0);

	fx->np.next_conn_id++;
	assert_true(memtrim_burst_over(&fx->np));
}

#ifndef HEADEND_SANITIZE
static void
test_memtrim_returns_the_holes(void **state)
{
	struct memtrim_fixture *fx = *state;
	size_t before = rss_bytes(), after;

	fx->np.next_conn_id = MEMTRIM_BURST;
	assert_true(memtrim_check(&fx->np) >= MEMTRIM_FREE_MIN);
	after = rss_bytes();
	assert_true(after + (HOLES * HOLE_BYTES) / 2 < before);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memtrim_waits_for_a_burst,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_memtrim_waits_until_quiet,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_memtrim_checks_once_per_burst, setup, teardown),
#ifndef HEADEND_SANITIZE
		cmocka_unit_test_setup_teardown(test_memtrim_returns_the_holes,
		    setup, teardown),
#endif
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
