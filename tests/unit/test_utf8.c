#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "utf8.h"

static size_t
length_of(const char *text)
{
	return (utf8_length((const unsigned char *)text));
}

static void
test_utf8_valid_sequences(void **state)
{
	(void)state;
	assert_int_equal(length_of("a"), 1);
	assert_int_equal(length_of("\x01"), 1);
	assert_int_equal(length_of("\xc3\xa9"), 2);		/* é */
	assert_int_equal(length_of("\xe2\x82\xac"), 3);	/* € */
	assert_int_equal(length_of("\xf0\x9f\x93\x9e"), 4);	/* U+1F4DE */
	assert_int_equal(length_of("\xf4\x8f\xbf\xbf"), 4);	/* U+10FFFF */
}

static void
test_utf8_invalid_sequences(void **state)
{
	(void)state;
	assert_int_equal(length_of(""), 0);
	assert_int_equal(length_of("\x80"), 0);		/* continuation */
	assert_int_equal(length_of("\xc0\xaf"), 0);		/* overlong */
	assert_int_equal(length_of("\xe0\x80\xaf"), 0);	/* overlong */
	assert_int_equal(length_of("\xed\xa0\x80"), 0);	/* surrogate */
	assert_int_equal(length_of("\xf4\x90\x80\x80"), 0);	/* > U+10FFFF */
	assert_int_equal(length_of("\xf5\x80\x80\x80"), 0);
	assert_int_equal(length_of("\xe2\x82"), 0);		/* cut short */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid_sequences),
		cmocka_unit_test(test_utf8_invalid_sequences),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
