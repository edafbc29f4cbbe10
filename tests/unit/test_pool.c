#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pool.h"

/* 10.0.0.0 in host order, and addresses relative to it. */
#define NET		0x0a000000u
#define ADDR(n)		(NET + (n))

static void
test_lowest_first(void **state)
{
	struct pool *p;
	uint32_t addr = 0;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(1));
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(2));
	assert_int_equal(pool_used(p), 2);
	pool_free(p);
}

static void
test_network_broadcast_skipped(void **state)
{
	struct pool *p;
	uint32_t addr;
	size_t n;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 254);
	for (n = 0; pool_lease(p, &addr) == 0; n++) {
		assert_int_not_equal(addr, ADDR(0));
		assert_int_not_equal(addr, ADDR(255));
	}
	assert_int_equal(n, 254);
	assert_int_equal(pool_lease_addr(p, ADDR(0)), -EINVAL);
	assert_int_equal(pool_lease_addr(p, ADDR(255)), -EINVAL);
	pool_free(p);
}

static void
test_excluded_skipped(void **state)
{
	const uint32_t excluded[] = { ADDR(1), ADDR(3), ADDR(3), ADDR(900) };
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(7), 29, excluded, 4);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 4);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(2));
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(4));
	pool_free(p);
}

static void
test_exhaustion(void **state)
{
	struct pool *p;
	uint32_t addr;
	size_t i;

	(void)state;
	p = pool_new(ADDR(0), ADDR(1023), 22, NULL, 0);
	assert_non_null(p);
	for (i = 0; i < pool_size(p); i++)
		assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(pool_lease(p, &addr), -ENOSPC);
	assert_int_equal(pool_used(p), 1022);
	assert_int_equal(pool_lease(p, &addr), -ENOSPC);
	pool_free(p);
}

static void
test_release_reuses_lowest(void **state)
{
	struct pool *p;
	uint32_t addr;
	int i;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	for (i = 0; i < 10; i++)
		assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(pool_release(p, ADDR(7)), 0);
	assert_int_equal(pool_release(p, ADDR(4)), 0);
	assert_int_equal(pool_used(p), 8);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(4));
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(7));
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(11));
	pool_free(p);
}

/* The free-address hint works per 64-bit word, so release an address in
 * an earlier word than the last lease. */
static void
test_release_earlier_word(void **state)
{
	struct pool *p;
	uint32_t addr;
	int i;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	for (i = 0; i < 200; i++)
		assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(200));
	assert_int_equal(pool_release(p, ADDR(3)), 0);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(3));
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(201));
	pool_free(p);
}

static void
test_release_after_full(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(3), 30, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(pool_lease(p, &addr), -ENOSPC);
	assert_int_equal(pool_release(p, ADDR(1)), 0);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(1));
	pool_free(p);
}

static void
test_double_release(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(pool_release(p, addr), 0);
	assert_int_equal(pool_release(p, addr), -EINVAL);
	assert_int_equal(pool_used(p), 0);
	pool_free(p);
}

static void
test_release_not_leased(void **state)
{
	const uint32_t excluded[] = { ADDR(5) };
	struct pool *p;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, excluded, 1);
	assert_non_null(p);
	assert_int_equal(pool_release(p, ADDR(9)), -EINVAL);
	assert_int_equal(pool_release(p, ADDR(5)), -EINVAL);
	assert_int_equal(pool_release(p, ADDR(0)), -EINVAL);
	assert_int_equal(pool_release(p, ADDR(256)), -EINVAL);
	assert_int_equal(pool_used(p), 0);
	pool_free(p);
}

static void
test_lease_addr(void **state)
{
	const uint32_t excluded[] = { ADDR(5) };
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, excluded, 1);
	assert_non_null(p);
	assert_int_equal(pool_lease_addr(p, ADDR(1)), 0);
	assert_int_equal(pool_lease_addr(p, ADDR(1)), -EADDRINUSE);
	assert_int_equal(pool_lease_addr(p, ADDR(5)), -EINVAL);
	assert_int_equal(pool_lease_addr(p, ADDR(256)), -EINVAL);
	assert_int_equal(pool_lease_addr(p, NET - 1), -EINVAL);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(2));
	assert_int_equal(pool_used(p), 2);
	pool_free(p);
}

static void
test_slash30_two_usable(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(4), ADDR(7), 30, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 2);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(5));
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(6));
	assert_int_equal(pool_lease(p, &addr), -ENOSPC);
	pool_free(p);
}

static void
test_slash31_and_32(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(2), ADDR(3), 31, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 2);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(2));
	pool_free(p);

	p = pool_new(ADDR(9), ADDR(9), 32, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 1);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(9));
	pool_free(p);
}

static void
test_range_leases_first(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(9), -1, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 10);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(0));
	pool_free(p);
}

static void
test_subrange_of_network(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(100), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), 155);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(100));
	pool_free(p);
}

static void
test_contains(void **state)
{
	struct pool *p;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_true(pool_contains(p, ADDR(0)));
	assert_true(pool_contains(p, ADDR(255)));
	assert_false(pool_contains(p, ADDR(256)));
	assert_false(pool_contains(p, NET - 1));
	pool_free(p);
}

static void
test_new_invalid(void **state)
{
	(void)state;
	errno = 0;
	assert_null(pool_new(ADDR(10), ADDR(9), -1, NULL, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pool_new(ADDR(0), ADDR(255), 33, NULL, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pool_new(ADDR(0), ADDR(256), 24, NULL, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pool_new(0, 0xffffffffu, 0, NULL, 0));
	assert_int_equal(errno, E2BIG);
}

static void
test_reserved_not_leased_dynamically(void **state)
{
	struct pool *p;
	uint32_t addr;
	size_t n;

	(void)state;
	p = pool_new(ADDR(0), ADDR(7), 29, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_reserve(p, ADDR(1)), 0);
	assert_int_equal(pool_reserve(p, ADDR(3)), 0);
	assert_int_equal(pool_reserve(p, ADDR(3)), 0);
	assert_int_equal(pool_reserved(p), 2);
	assert_true(pool_is_reserved(p, ADDR(3)));
	assert_false(pool_is_reserved(p, ADDR(2)));
	for (n = 0; pool_lease(p, &addr) == 0; n++) {
		assert_int_not_equal(addr, ADDR(1));
		assert_int_not_equal(addr, ADDR(3));
	}
	assert_int_equal(n, 4);
	assert_int_equal(pool_lease(p, &addr), -ENOSPC);
	pool_free(p);
}

static void
test_reserved_leased_explicitly(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_reserve(p, ADDR(1)), 0);
	assert_int_equal(pool_lease_addr(p, ADDR(1)), 0);
	assert_int_equal(pool_lease_addr(p, ADDR(1)), -EADDRINUSE);
	assert_int_equal(pool_used(p), 1);
	assert_int_equal(pool_release(p, ADDR(1)), 0);
	/* Released, it is still only for explicit leases. */
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(2));
	assert_int_equal(pool_lease_addr(p, ADDR(1)), 0);
	pool_free(p);
}

static void
test_reserve_invalid(void **state)
{
	const uint32_t excluded[] = { ADDR(5) };
	struct pool *p;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, excluded, 1);
	assert_non_null(p);
	assert_int_equal(pool_reserve(p, ADDR(0)), -EINVAL);
	assert_int_equal(pool_reserve(p, ADDR(255)), -EINVAL);
	assert_int_equal(pool_reserve(p, ADDR(5)), -EINVAL);
	assert_int_equal(pool_reserve(p, ADDR(256)), -EINVAL);
	assert_int_equal(pool_reserved(p), 0);
	pool_free(p);
}

/* Reserving an address that is leased keeps the lease. */
static void
test_reserve_leased(void **state)
{
	struct pool *p;
	uint32_t addr;

	(void)state;
	p = pool_new(ADDR(0), ADDR(255), 24, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(1));
	assert_int_equal(pool_reserve(p, ADDR(1)), 0);
	assert_int_equal(pool_lease_addr(p, ADDR(1)), -EADDRINUSE);
	assert_int_equal(pool_release(p, ADDR(1)), 0);
	assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(2));
	pool_free(p);
}

static void
test_large_pool(void **state)
{
	struct pool *p;
	uint32_t addr;
	size_t i;

	(void)state;
	p = pool_new(ADDR(0), ADDR(POOL_ADDRESSES_MAX - 1), 12, NULL, 0);
	assert_non_null(p);
	assert_int_equal(pool_size(p), POOL_ADDRESSES_MAX - 2);
	for (i = 0; i < pool_size(p); i++)
		assert_int_equal(pool_lease(p, &addr), 0);
	assert_int_equal(addr, ADDR(POOL_ADDRESSES_MAX - 2));
	assert_int_equal(pool_lease(p, &addr), -ENOSPC);
	pool_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_first),
		cmocka_unit_test(test_network_broadcast_skipped),
		cmocka_unit_test(test_excluded_skipped),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_release_reuses_lowest),
		cmocka_unit_test(test_release_earlier_word),
		cmocka_unit_test(test_release_after_full),
		cmocka_unit_test(test_double_release),
		cmocka_unit_test(test_release_not_leased),
		cmocka_unit_test(test_lease_addr),
		cmocka_unit_test(test_slash30_two_usable),
		cmocka_unit_test(test_slash31_and_32),
		cmocka_unit_test(test_range_leases_first),
		cmocka_unit_test(test_subrange_of_network),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_new_invalid),
		cmocka_unit_test(test_reserved_not_leased_dynamically),
		cmocka_unit_test(test_reserved_leased_explicitly),
		cmocka_unit_test(test_reserve_invalid),
		cmocka_unit_test(test_reserve_leased),
		cmocka_unit_test(test_large_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
