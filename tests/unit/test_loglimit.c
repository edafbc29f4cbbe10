#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "loglimit.h"

/* The first LOGLIMIT_PER_SECOND lines of a second pass, the rest not. */
static void
test_loglimit_caps_one_second(void **state)
{
	struct loglimit limit = { 0 };
	uint64_t skipped = 99;
	int i;

	(void)state;
	for (i = 0; i < LOGLIMIT_PER_SECOND; i++) {
		assert_true(loglimit_pass(&limit, 1000, &skipped));
		assert_int_equal(skipped, 0);
	}
	assert_false(loglimit_pass(&limit, 1000, &skipped));
	assert_false(loglimit_pass(&limit, 1000, &skipped));
}

/* The next second's first line gives the number left out. */
static void
test_loglimit_reports_skipped(void **state)
{
	struct loglimit limit = { 0 };
	uint64_t skipped;
	int i;

	(void)state;
	for (i = 0; i < LOGLIMIT_PER_SECOND + 5; i++)
		loglimit_pass(&limit, 1000, &skipped);
	assert_true(loglimit_pass(&limit, 1001, &skipped));
	assert_int_equal(skipped, 5);
	assert_true(loglimit_pass(&limit, 1001, &skipped));
	assert_int_equal(skipped, 0);
}

/* A clock that steps back starts a new count, as a new second does. */
static void
test_loglimit_clock_back(void **state)
{
	struct loglimit limit = { 0 };
	uint64_t skipped;
	int i;

	(void)state;
	for (i = 0; i < LOGLIMIT_PER_SECOND + 1; i++)
		loglimit_pass(&limit, 1000, &skipped);
	assert_true(loglimit_pass(&limit, 900, &skipped));
	assert_int_equal(skipped, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loglimit_caps_one_second),
		cmocka_unit_test(test_loglimit_reports_skipped),
		cmocka_unit_test(test_loglimit_clock_back),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
