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

static size_t
shown_length_of(const char *text)
{
	return (utf8_shown_length((const unsigned char *)text));
}

static void
test_utf8_shown_characters(void **state)
{
	(void)state;
	assert_int_equal(shown_length_of("a"), 1);
	assert_int_equal(shown_length_of(" "), 1);
	assert_int_equal(shown_length_of("\xc3\xa9"), 2);		/* é */
	assert_int_equal(shown_length_of("\xe2\x82\xac"), 3);	/* € */
	assert_int_equal(shown_length_of("\xf0\x9f\x93\x9e"), 4);
	assert_int_equal(shown_length_of("\xc2\xa1"), 2);	/* U+00A1 */
	assert_int_equal(shown_length_of("\xe2\x80\x90"), 3);	/* U+2010 */
	assert_int_equal(shown_length_of("\xe2\x81\xa5"), 3);	/* U+2065 */
}

static void
test_utf8_hidden_characters(void **state)
{
	(void)state;
	assert_int_equal(shown_length_of(""), 0);
	assert_int_equal(shown_length_of("\t"), 0);
	assert_int_equal(shown_length_of("\x7f"), 0);
	assert_int_equal(shown_length_of("\xc2\x80"), 0);	/* U+0080 */
	assert_int_equal(shown_length_of("\xc2\x85"), 0);	/* next line */
	assert_int_equal(shown_length_of("\xc2\x9f"), 0);	/* U+009F */
	assert_int_equal(shown_length_of("\xc2\xa0"), 0);	/* no-break */
	assert_int_equal(shown_length_of("\xe2\x80\x8b"), 0);	/* U+200B */
	assert_int_equal(shown_length_of("\xe2\x80\xa8"), 0);	/* U+2028 */
	assert_int_equal(shown_length_of("\xe2\x80\xa9"), 0);	/* U+2029 */
	assert_int_equal(shown_length_of("\xe2\x80\xae"), 0);	/* U+202E */
	assert_int_equal(shown_length_of("\xe2\x81\xa6"), 0);	/* U+2066 */
	assert_int_equal(shown_length_of("\xef\xbb\xbf"), 0);	/* U+FEFF */
	assert_int_equal(shown_length_of("\xe3\x85\xa4"), 0);	/* U+3164 */
	assert_int_equal(shown_length_of("\xe2\xa0\x80"), 0);	/* U+2800 */
	assert_int_equal(shown_length_of("\xf3\xa0\x81\x81"), 0);	/* tag A */
	assert_int_equal(shown_length_of("\xc3"), 0);		/* cut short */
}

/* Format controls outside the BMP hide text, their neighbours do not. */
static void
test_utf8_rare_format_controls(void **state)
{
	static const struct {
		const char	*text;
		size_t		 shown;
	} cases[] = {
		{ "\xf0\x93\x90\xb0", 0 },	/* U+13430 */
		{ "\xf0\x9b\xb2\xa0", 0 },	/* U+1BCA0 */
		{ "\xf0\x9b\xb2\xa3", 0 },	/* U+1BCA3 */
		{ "\xf0\x9d\x85\xb3", 0 },	/* U+1D173 */
		{ "\xf0\x9d\x85\xba", 0 },	/* U+1D17A */
		{ "\xf0\x9d\x85\xb2", 4 },	/* U+1D172 */
		{ "\xf0\x9d\x85\xbb", 4 },	/* U+1D17B */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(shown_length_of(cases[i].text),
		    cases[i].shown);
}

static void
test_utf8_shown_text(void **state)
{
	(void)state;
	assert_true(utf8_shown("j\xc3\xbcrgen"));
	assert_true(utf8_shown(""));
	assert_false(utf8_shown("alice\xe2\x80\xae" "evil"));
	assert_false(utf8_shown("a\nb"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid_sequences),
		cmocka_unit_test(test_utf8_invalid_sequences),
		cmocka_unit_test(test_utf8_shown_characters),
		cmocka_unit_test(test_utf8_hidden_characters),
		cmocka_unit_test(test_utf8_rare_format_controls),
		cmocka_unit_test(test_utf8_shown_text),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
