/* Unit tests for the routes of removed pools in server/poolroute.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "poolroute.h"

#define ADDR(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void
set_network(struct config_pool *p, uint32_t net, int prefix)
{
	memset(p, 0, sizeof(*p));
	p->network = net;
	p->prefix = prefix;
	p->first = net;
	p->last = net | (UINT32_MAX >> prefix);
}

static void
set_range(struct config_pool *p, uint32_t first, uint32_t last)
{
	memset(p, 0, sizeof(*p));
	p->prefix = -1;
	p->first = first;
	p->last = last;
}

static struct config *
config_with_pools(size_t n)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	cfg->npools = n;

	/* No such device: a deletion fails without touching the host. */
	strcpy(cfg->tun.name, "he-none0");
	return (cfg);
}

static void
test_split_range(void **state)
{
	struct poolroute_block b[POOLROUTE_SPLIT_MAX];
	size_t n;

	(void)state;

	/* .100-.200: a /30, /29, /28, /26 and /29, then .200 alone. */
	n = poolroute_split(ADDR(198, 19, 0, 100), ADDR(198, 19, 0, 200), b);
	assert_int_equal(n, 6);
	assert_int_equal(b[0].net, ADDR(198, 19, 0, 100));
	assert_int_equal(b[0].prefix, 30);
	assert_int_equal(b[1].net, ADDR(198, 19, 0, 104));
	assert_int_equal(b[1].prefix, 29);
	assert_int_equal(b[2].net, ADDR(198, 19, 0, 112));
	assert_int_equal(b[2].prefix, 28);
	assert_int_equal(b[3].net, ADDR(198, 19, 0, 128));
	assert_int_equal(b[3].prefix, 26);
	assert_int_equal(b[4].net, ADDR(198, 19, 0, 192));
	assert_int_equal(b[4].prefix, 29);
	assert_int_equal(b[5].net, ADDR(198, 19, 0, 200));
	assert_int_equal(b[5].prefix, 32);
}

static void
test_split_edges(void **state)
{
	struct poolroute_block b[POOLROUTE_SPLIT_MAX];

	(void)state;
	assert_int_equal(poolroute_split(0, UINT32_MAX, b), 1);
	assert_int_equal(b[0].prefix, 0);
	assert_int_equal(poolroute_split(UINT32_MAX, UINT32_MAX, b), 1);
	assert_int_equal(b[0].prefix, 32);

	/* The worst case: 1 to 2^32 - 2 needs 62 blocks. */
	assert_int_equal(poolroute_split(1, UINT32_MAX - 1, b), 62);
}

/* A session table of at most one address, which counts its queries. */
struct fake_sessions {
	uint32_t	addr;
	bool		present;
	int		queries;
};

static bool
fake_any(poolroute_match_fn *match, void *match_arg, void *arg)
{
	struct fake_sessions *f = arg;

	f->queries++;
	return (f->present && match(f->addr, match_arg));
}

/*
 * A shrunk pool leaves its old block stale. A reload back to the old
 * file routes that block again, and leaves the six blocks of the range.
 */
static void
test_reload_marks_removed_blocks(void **state)
{
	struct config *old = config_with_pools(2), *new = config_with_pools(2);
	struct fake_sessions f = { 0, false, 0 };
	struct poolroute *pr = poolroute_new();

	(void)state;
	assert_non_null(pr);
	set_network(&old->pools[0], ADDR(198, 19, 0, 0), 24);
	set_network(&old->pools[1], ADDR(198, 19, 1, 0), 24);
	set_range(&new->pools[0], ADDR(198, 19, 0, 100),
	    ADDR(198, 19, 0, 200));
	set_network(&new->pools[1], ADDR(198, 19, 1, 0), 24);
	assert_false(poolroute_pending(pr));

	assert_int_equal(poolroute_reload(pr, old, new), 0);
	assert_true(poolroute_pending(pr));

	assert_int_equal(poolroute_reload(pr, new, old), 0);
	poolroute_prune(pr, old, fake_any, &f);
	assert_int_equal(f.queries, 6);
	assert_false(poolroute_pending(pr));
	poolroute_free(pr);
	free(old);
	free(new);
}

/* A session in the stale block, outside every pool, keeps the route. */
static void
test_prune_keeps_used_block(void **state)
{
	struct config *old = config_with_pools(1), *new = config_with_pools(1);
	struct fake_sessions f = { ADDR(198, 19, 0, 1), true, 0 };
	struct poolroute *pr = poolroute_new();

	(void)state;
	assert_non_null(pr);
	set_network(&old->pools[0], ADDR(198, 19, 0, 0), 24);
	set_range(&new->pools[0], ADDR(198, 19, 0, 100),
	    ADDR(198, 19, 0, 200));
	assert_int_equal(poolroute_reload(pr, old, new), 0);

	poolroute_prune(pr, new, fake_any, &f);
	assert_true(poolroute_pending(pr));
	assert_int_equal(f.queries, 1);

	/* A session inside the new pool does not need the old route. */
	f.addr = ADDR(198, 19, 0, 150);
	poolroute_prune(pr, new, fake_any, &f);
	assert_false(poolroute_pending(pr));
	poolroute_free(pr);
	free(old);
	free(new);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_range),
		cmocka_unit_test(test_split_edges),
		cmocka_unit_test(test_reload_marks_removed_blocks),
		cmocka_unit_test(test_prune_keeps_used_block),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
