/*
 * Tests for cfgmerge.c, the layout of a reloaded configuration around
 * the tunnel-groups and leases that a running network process holds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgmerge.h"
#include "config.h"

/* 198.19.0.0 in host order, and addresses relative to it. */
#define NET		0xc6130000u
#define ADDR(n)		(NET + (n))

#define HEAD \
    "user = \"headend\";\n" \
    "listeners = ( { certificate = \"server.crt\"; key = \"server.key\";" \
    " } );\n" \
    "tun = { address = \"198.19.255.1\"; };\n" \
    "group-policies = ( { name = \"all\"; } );\n"

#define GROUP(name, pool) \
    "{ name = \"" name "\"; group-urls = [ \"https://vpn/" name "\" ];" \
    " pool = \"" pool "\"; group-policy = \"all\"; }"

static void
config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "config: %s\n", message);
}

static struct config *
load(const char *text)
{
	char dir[] = "/tmp/test-cfgmerge.XXXXXX", path[64];
	struct config *cfg = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/headend.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load(path, &cfg, config_error, NULL), 0);
	unlink(path);
	rmdir(dir);
	return (cfg);
}

static const char two_groups[] = HEAD
    "pools = ( { name = \"a\"; network = \"198.19.0.0/24\"; },"
    " { name = \"b\"; network = \"198.19.1.0/24\"; } );\n"
    "tunnel-groups = ( " GROUP("staff", "a") ", " GROUP("lab", "b") " );\n";

/* Nothing in use: the new file comes out as it is. */
static void
test_nothing_held(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(HEAD
	    "pools = ( { name = \"b\"; network = \"198.19.1.0/24\"; } );\n"
	    "tunnel-groups = ( " GROUP("lab", "b") " );\n");
	bool used[CONFIG_MAX_TGROUPS] = { false };
	struct config out;
	char err[256];

	(void)state;
	assert_int_equal(cfgmerge_build(old, next, used, NULL, 0, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(out.ntgroups, 1);
	assert_string_equal(out.tgroups[0].name, "lab");
	assert_false(out.tgroups[0].retired);
	assert_int_equal(out.npools, 1);
	config_free(old);
	config_free(next);
}

/* A held group that the file removed stays in its slot, retired. */
static void
test_removed_group_retired(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(HEAD
	    "pools = ( { name = \"b\"; network = \"198.19.1.0/24\"; } );\n"
	    "tunnel-groups = ( " GROUP("lab", "b") " );\n");
	bool used[CONFIG_MAX_TGROUPS] = { true, false };
	struct cfgmerge_lease lease = { ADDR(5), 0, 99 };
	struct config out;
	char err[256];

	(void)state;
	assert_int_equal(cfgmerge_build(old, next, used, &lease, 1, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(out.ntgroups, 2);
	assert_string_equal(out.tgroups[0].name, "staff");
	assert_true(out.tgroups[0].retired);
	assert_int_equal(out.tgroups[0].nurls, 0);
	assert_string_equal(out.tgroups[1].name, "lab");
	assert_false(out.tgroups[1].retired);

	/* Pool a is gone: a retired copy keeps the lease and the group. */
	assert_int_equal(out.npools, 2);
	assert_string_equal(out.pools[1].name, "a");
	assert_true(out.pools[1].retired);
	assert_int_equal(lease.new_pool, 1);
	assert_int_equal(out.tgroups[0].pool, 1);
	assert_string_equal(out.policies[out.tgroups[0].policy].name, "all");
	config_free(old);
	config_free(next);
}

/* A held slot keeps its index even when the file reorders the groups. */
static void
test_held_slot_keeps_index(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(HEAD
	    "pools = ( { name = \"a\"; network = \"198.19.0.0/24\"; },"
	    " { name = \"b\"; network = \"198.19.1.0/24\"; } );\n"
	    "tunnel-groups = ( " GROUP("lab", "b") ", " GROUP("new", "a")
	    ", " GROUP("staff", "a") " );\n");
	bool used[CONFIG_MAX_TGROUPS] = { false, true };
	struct config out;
	char err[256];

	(void)state;
	assert_int_equal(cfgmerge_build(old, next, used, NULL, 0, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(out.ntgroups, 3);
	assert_string_equal(out.tgroups[1].name, "lab");
	assert_string_equal(out.tgroups[0].name, "new");
	assert_string_equal(out.tgroups[2].name, "staff");
	assert_false(out.tgroups[0].retired || out.tgroups[1].retired ||
	    out.tgroups[2].retired);
	assert_int_equal(out.tgroups[1].pool, 1);
	config_free(old);
	config_free(next);
}

/*
 * A free slot below a held one gets a retired placeholder, so every slot
 * below ntgroups is a valid entry.
 */
static void
test_hole_gets_placeholder(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(HEAD
	    "pools = ( { name = \"b\"; network = \"198.19.1.0/24\"; } );\n"
	    "tunnel-groups = ( " GROUP("lab", "b") " );\n");
	bool used[CONFIG_MAX_TGROUPS] = { false, true };
	struct config out;
	char err[256];

	(void)state;
	assert_int_equal(cfgmerge_build(old, next, used, NULL, 0, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(out.ntgroups, 2);
	assert_string_equal(out.tgroups[1].name, "lab");
	assert_false(out.tgroups[1].retired);
	assert_string_equal(out.tgroups[0].name, "staff");
	assert_true(out.tgroups[0].retired);
	assert_true(out.tgroups[0].pool < out.npools);
	assert_true(out.tgroups[0].policy < out.npolicies);
	config_free(old);
	config_free(next);
}

/* Leases go to the new pool that leases them, else to a retired copy. */
static void
test_leases_follow_addresses(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(HEAD
	    "pools = ( { name = \"c\"; network = \"198.19.1.0/24\"; },"
	    " { name = \"a\"; range = \"198.19.0.100-198.19.0.200\"; } );\n"
	    "tunnel-groups = ( " GROUP("staff", "a") ", " GROUP("lab", "c")
	    " );\n");
	bool used[CONFIG_MAX_TGROUPS] = { true, true };
	struct cfgmerge_lease leases[] = {
		{ ADDR(150), 0, 99 },		/* inside the shrunk pool */
		{ ADDR(7), 0, 99 },		/* outside it */
		{ ADDR(256 + 9), 1, 99 },	/* pool b became pool c */
	};
	struct config out;
	char err[256];

	(void)state;
	assert_int_equal(cfgmerge_build(old, next, used, leases, 3, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(leases[0].new_pool, 1);
	assert_int_equal(leases[2].new_pool, 0);
	assert_int_equal(out.npools, 3);
	assert_int_equal(leases[1].new_pool, 2);
	assert_string_equal(out.pools[2].name, "a");
	assert_true(out.pools[2].retired);
	assert_int_equal(out.pools[2].first, old->pools[0].first);
	config_free(old);
	config_free(next);
}

/* Held groups and new ones together beyond the maximum: rejected. */
static void
test_too_many_groups(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(two_groups);
	bool used[CONFIG_MAX_TGROUPS] = { true, true };
	struct config out;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < CONFIG_MAX_TGROUPS; i++) {
		next->tgroups[i] = old->tgroups[0];
		snprintf(next->tgroups[i].name, sizeof(next->tgroups[i].name),
		    "g%zu", i);
	}
	next->ntgroups = CONFIG_MAX_TGROUPS;
	assert_int_equal(cfgmerge_build(old, next, used, NULL, 0, &out, err,
	    sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "tunnel-groups"));
	config_free(old);
	config_free(next);
}

/* Static addresses name their group by slot, which may move. */
static void
test_static_addresses_follow(void **state)
{
	struct config *old = load(two_groups);
	struct config *next = load(HEAD
	    "pools = ( { name = \"a\"; network = \"198.19.0.0/24\"; },"
	    " { name = \"b\"; network = \"198.19.1.0/24\"; } );\n"
	    "tunnel-groups = ( { name = \"lab\";"
	    " group-urls = [ \"https://vpn/lab\" ]; pool = \"b\";"
	    " group-policy = \"all\"; static-addresses = ( { user = \"bob\";"
	    " address = \"198.19.1.7\"; } ); }, " GROUP("staff", "a")
	    " );\n");
	bool used[CONFIG_MAX_TGROUPS] = { true, true };
	struct config out;
	char err[256];

	(void)state;
	assert_int_equal(next->static_addresses[0].tgroup, 0);
	assert_int_equal(cfgmerge_build(old, next, used, NULL, 0, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(out.tgroups[1].name, "lab");
	assert_int_equal(out.static_addresses[0].tgroup, 1);
	config_free(old);
	config_free(next);
}

static void
test_pool_leases(void **state)
{
	struct config_pool net = { .first = ADDR(0), .last = ADDR(255),
	    .prefix = 24, .exclude = { ADDR(9) }, .nexclude = 1 };
	struct config_pool range = { .first = ADDR(10), .last = ADDR(20),
	    .prefix = -1 };
	struct config_pool p31 = { .first = ADDR(0), .last = ADDR(1),
	    .prefix = 31 };

	(void)state;
	assert_false(cfgmerge_pool_leases(&net, ADDR(0)));
	assert_false(cfgmerge_pool_leases(&net, ADDR(255)));
	assert_false(cfgmerge_pool_leases(&net, ADDR(9)));
	assert_true(cfgmerge_pool_leases(&net, ADDR(1)));
	assert_false(cfgmerge_pool_leases(&net, ADDR(256)));
	assert_true(cfgmerge_pool_leases(&range, ADDR(10)));
	assert_true(cfgmerge_pool_leases(&range, ADDR(20)));
	assert_false(cfgmerge_pool_leases(&range, ADDR(21)));
	assert_true(cfgmerge_pool_leases(&p31, ADDR(0)));
	assert_true(cfgmerge_pool_leases(&p31, ADDR(1)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_held),
		cmocka_unit_test(test_removed_group_retired),
		cmocka_unit_test(test_held_slot_keeps_index),
		cmocka_unit_test(test_hole_gets_placeholder),
		cmocka_unit_test(test_leases_follow_addresses),
		cmocka_unit_test(test_too_many_groups),
		cmocka_unit_test(test_static_addresses_follow),
		cmocka_unit_test(test_pool_leases),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
