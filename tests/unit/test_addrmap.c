#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "addrmap.h"

#define ADDR(n)		(0xc6130000u + (n))	/* 198.19.0.n */

static void
test_addrmap_empty(void **state)
{
	struct addrmap *m = addrmap_new();

	(void)state;
	assert_non_null(m);
	assert_null(addrmap_find(m, ADDR(1)));
	addrmap_remove(m, ADDR(1));
	addrmap_free(m);
}

static void
test_addrmap_set_and_find(void **state)
{
	struct addrmap *m = addrmap_new();
	struct addrmap_entry *e;

	(void)state;
	assert_int_equal(addrmap_set_owner(m, ADDR(1), 0), 0);
	assert_int_equal(addrmap_set_owner(m, ADDR(2), 1), 0);
	e = addrmap_find(m, ADDR(1));
	assert_non_null(e);
	assert_int_equal(e->owner, 0);
	e = addrmap_find(m, ADDR(2));
	assert_non_null(e);
	assert_int_equal(e->owner, 1);
	assert_null(e->tunnel);
	addrmap_free(m);
}

static void
test_addrmap_move_clears_tunnel(void **state)
{
	struct addrmap *m = addrmap_new();
	struct addrmap_entry *e;
	int fake;

	/* Only the owner keeps a tunnel pointer; a move to another drops it. */
	(void)state;
	assert_int_equal(addrmap_set_owner(m, ADDR(1), 1), 0);
	e = addrmap_find(m, ADDR(1));
	e->tunnel = (struct tunnel *)&fake;
	assert_int_equal(addrmap_set_owner(m, ADDR(1), 1), 0);
	assert_ptr_equal(addrmap_find(m, ADDR(1))->tunnel, &fake);
	assert_int_equal(addrmap_set_owner(m, ADDR(1), 0), 0);
	assert_null(addrmap_find(m, ADDR(1))->tunnel);
	assert_int_equal(addrmap_find(m, ADDR(1))->owner, 0);
	addrmap_free(m);
}

static void
test_addrmap_remove_one(void **state)
{
	struct addrmap *m = addrmap_new();
	uint32_t i;

	/* Enough addresses that some share a bucket. */
	(void)state;
	for (i = 0; i < 40000; i++)
		assert_int_equal(addrmap_set_owner(m, ADDR(i), i % 3), 0);
	addrmap_remove(m, ADDR(20000));
	assert_null(addrmap_find(m, ADDR(20000)));
	for (i = 0; i < 40000; i++) {
		if (i == 20000)
			continue;
		assert_non_null(addrmap_find(m, ADDR(i)));
		assert_int_equal(addrmap_find(m, ADDR(i))->owner, i % 3);
	}
	addrmap_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addrmap_empty),
		cmocka_unit_test(test_addrmap_set_and_find),
		cmocka_unit_test(test_addrmap_move_clears_tunnel),
		cmocka_unit_test(test_addrmap_remove_one),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
