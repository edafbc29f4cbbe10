#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "counter.h"

#define COUNTER_RUN	200000

static void
test_counter_add_returns_value_before(void **state)
{
	uint64_t c = 0;

	(void)state;
	assert_int_equal(counter_add(&c, 1), 0);
	assert_int_equal(counter_add(&c, 5), 1);
	assert_int_equal(counter_get(&c), 6);
	counter_set(&c, 2);
	assert_int_equal(counter_get(&c), 2);
}

static void
test_counters_sum_adds_each(void **state)
{
	uint64_t sum[3] = { 1, 2, 3 }, add[3] = { 10, 20, 30 };

	(void)state;
	counters_sum(sum, add, 3);
	assert_int_equal(sum[0], 11);
	assert_int_equal(sum[1], 22);
	assert_int_equal(sum[2], 33);
	assert_int_equal(add[2], 30);
}

static void *
counter_writer(void *arg)
{
	uint64_t *c = arg;
	int i;

	for (i = 0; i < COUNTER_RUN; i++)
		counter_add(c, 1);
	return (NULL);
}

/* A reader on another thread reads whole values that never decrease. */
static void
test_counter_reader_sees_progress(void **state)
{
	uint64_t c = 0, seen, last = 0;
	pthread_t writer;

	(void)state;
	assert_int_equal(pthread_create(&writer, NULL, counter_writer, &c),
	    0);
	do {
		seen = counter_get(&c);
		assert_true(seen >= last);
		assert_true(seen <= COUNTER_RUN);
		last = seen;
	} while (seen < COUNTER_RUN);
	assert_int_equal(pthread_join(writer, NULL), 0);
	assert_int_equal(counter_get(&c), COUNTER_RUN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_add_returns_value_before),
		cmocka_unit_test(test_counters_sum_adds_each),
		cmocka_unit_test(test_counter_reader_sees_progress),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
