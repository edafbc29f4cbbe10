/*
 * Tests for lease.c: the sticky lease table, and the choice between a
 * static, a sticky and the lowest free address when a user logs in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lease.h"
#include "test_np_fixture.h"

/* 198.19.0.0 in host order, and addresses relative to it. */
#define NET		0xc6130000u
#define ADDR(n)		(NET + (n))

/* A /29 pool: .1 is the tun address, .2 to .6 are leasable. */
static const char lease_config[] =
    "user = \"headend\";\n"
    "listeners = ( { certificate = \"server.crt\"; key = \"server.key\";"
    " } );\n"
    "tun = { address = \"198.19.0.1\"; };\n"
    "pools = ( { name = \"small\"; network = \"198.19.0.0/29\"; } );\n"
    "group-policies = ( { name = \"all\"; } );\n"
    "tunnel-groups = (\n"
    "  { name = \"staff\"; group-urls = [ \"https://vpn.example.net/s\" ];"
    " pool = \"small\"; group-policy = \"all\";"
    " static-addresses = ( { user = \"alice\";"
    " address = \"198.19.0.3\"; } ); },\n"
    "  { name = \"lab\"; group-urls = [ \"https://vpn.example.net/l\" ];"
    " pool = \"small\"; group-policy = \"all\"; } );\n";

static void
test_table_remember_recall(void **state)
{
	struct lease_table *lt = lease_table_new(8);
	uint32_t addr = 0;

	(void)state;
	assert_non_null(lt);
	assert_int_equal(lease_recall(lt, 0, "bob", &addr), -ENOENT);
	assert_int_equal(lease_remember(lt, 0, "bob", ADDR(4)), 0);
	assert_int_equal(lease_remember(lt, 1, "bob", ADDR(9)), 0);
	assert_int_equal(lease_recall(lt, 0, "bob", &addr), 0);
	assert_int_equal(addr, ADDR(4));
	assert_int_equal(lease_recall(lt, 1, "bob", &addr), 0);
	assert_int_equal(addr, ADDR(9));
	assert_int_equal(lease_remember(lt, 0, "bob", ADDR(5)), 0);
	assert_int_equal(lease_recall(lt, 0, "bob", &addr), 0);
	assert_int_equal(addr, ADDR(5));
	assert_int_equal(lease_table_count(lt), 2);
	lease_table_free(lt);
}

/* A full table drops the least recently used user first. */
static void
test_table_bounded(void **state)
{
	struct lease_table *lt = lease_table_new(2);
	uint32_t addr;

	(void)state;
	assert_non_null(lt);
	assert_int_equal(lease_remember(lt, 0, "a", ADDR(2)), 0);
	assert_int_equal(lease_remember(lt, 0, "b", ADDR(3)), 0);
	/* Using "a" again makes "b" the oldest. */
	assert_int_equal(lease_remember(lt, 0, "a", ADDR(2)), 0);
	assert_int_equal(lease_remember(lt, 0, "c", ADDR(4)), 0);
	assert_int_equal(lease_table_count(lt), 2);
	assert_int_equal(lease_recall(lt, 0, "b", &addr), -ENOENT);
	assert_int_equal(lease_recall(lt, 0, "a", &addr), 0);
	assert_int_equal(addr, ADDR(2));
	assert_int_equal(lease_recall(lt, 0, "c", &addr), 0);
	assert_int_equal(addr, ADDR(4));
	lease_table_free(lt);
}

static void
test_table_of_size_zero(void **state)
{
	struct lease_table *lt = lease_table_new(0);
	uint32_t addr;

	(void)state;
	assert_non_null(lt);
	assert_int_equal(lease_remember(lt, 0, "a", ADDR(2)), -ENOSPC);
	assert_int_equal(lease_recall(lt, 0, "a", &addr), -ENOENT);
	lease_table_free(lt);
}

static void
test_static_address_leased(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	enum lease_kind kind;
	struct session *se;

	(void)state;
	se = np_fixture_login(fx, "alice", 0, &kind);
	assert_int_equal(se->se_addr, ADDR(3));
	assert_int_equal(kind, LEASE_STATIC);
	np_fixture_free(fx);
}

/* No other user gets a static address, even as the last free one. */
static void
test_static_address_kept_free(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	static const char *const users[] = { "b", "c", "d", "e" };
	struct session *se;
	enum lease_kind kind;
	uint32_t addr;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		se = np_fixture_login(fx, users[i], 0, &kind);
		assert_int_not_equal(se->se_addr, ADDR(3));
		assert_int_equal(kind, LEASE_DYNAMIC);
	}
	assert_int_equal(lease_take(&fx->np, "f", 0, &addr, &kind), -ENOSPC);
	se = np_fixture_login(fx, "alice", 0, &kind);
	assert_int_equal(se->se_addr, ADDR(3));
	np_fixture_free(fx);
}

/* The static address belongs to alice in staff, not in lab. */
static void
test_static_address_per_group(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	enum lease_kind kind;
	struct session *se;

	(void)state;
	se = np_fixture_login(fx, "alice", 1, &kind);
	assert_int_equal(kind, LEASE_DYNAMIC);
	assert_int_equal(se->se_addr, ADDR(2));
	np_fixture_free(fx);
}

/* A second session of alice gets another address. */
static void
test_static_address_held(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	enum lease_kind kind;
	struct session *se;

	(void)state;
	np_fixture_login(fx, "alice", 0, NULL);
	se = np_fixture_login(fx, "alice", 0, &kind);
	assert_int_equal(kind, LEASE_STATIC_IN_USE);
	assert_int_equal(se->se_addr, ADDR(2));
	np_fixture_free(fx);
}

/*
 * bob had .4 and carol .2; once both are gone, lowest-free would give
 * bob .2, but his previous address .4 is free, so he gets it back.
 */
static void
test_sticky_address_returned(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	struct session *carol, *bob;
	enum lease_kind kind;

	(void)state;
	carol = np_fixture_login(fx, "carol", 0, NULL);
	assert_int_equal(carol->se_addr, ADDR(2));
	bob = np_fixture_login(fx, "bob", 0, NULL);
	assert_int_equal(bob->se_addr, ADDR(4));
	session_destroy(bob, "test");
	session_destroy(carol, "test");
	bob = np_fixture_login(fx, "bob", 0, &kind);
	assert_int_equal(kind, LEASE_STICKY);
	assert_int_equal(bob->se_addr, ADDR(4));
	np_fixture_free(fx);
}

/* A previous address that another session has is not taken away. */
static void
test_sticky_address_taken(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	struct session *bob, *carol;
	enum lease_kind kind;

	(void)state;
	bob = np_fixture_login(fx, "bob", 0, NULL);
	assert_int_equal(bob->se_addr, ADDR(2));
	session_destroy(bob, "test");
	carol = np_fixture_login(fx, "carol", 0, NULL);
	assert_int_equal(carol->se_addr, ADDR(2));
	bob = np_fixture_login(fx, "bob", 0, &kind);
	assert_int_equal(kind, LEASE_DYNAMIC);
	assert_int_equal(bob->se_addr, ADDR(4));
	np_fixture_free(fx);
}

/* A remembered address that became static goes to its owner only. */
static void
test_sticky_never_static(void **state)
{
	struct np_fixture *fx = np_fixture_new(lease_config, 16);
	enum lease_kind kind;
	struct session *se;

	(void)state;
	assert_int_equal(lease_remember(fx->np.leases, 0, "bob", ADDR(3)), 0);
	se = np_fixture_login(fx, "bob", 0, &kind);
	assert_int_equal(kind, LEASE_DYNAMIC);
	assert_int_equal(se->se_addr, ADDR(2));
	np_fixture_free(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_remember_recall),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_table_of_size_zero),
		cmocka_unit_test(test_static_address_leased),
		cmocka_unit_test(test_static_address_kept_free),
		cmocka_unit_test(test_static_address_per_group),
		cmocka_unit_test(test_static_address_held),
		cmocka_unit_test(test_sticky_address_returned),
		cmocka_unit_test(test_sticky_address_taken),
		cmocka_unit_test(test_sticky_never_static),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
