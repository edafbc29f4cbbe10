/* Unit tests for common/log.c: what a client sends cannot forge lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Log one line with stderr sent to a file, and return that file's text. */
static char *
log_capture(const char *value)
{
	static char text[4096];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	log_init("test", true, 0);
	log_info("user=%s end", value);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return (text);
}

static void
test_newline_escaped(void **state)
{
	char *text = log_capture("alice\n2026-01-01T00:00:00Z authd[1] fake");

	(void)state;
	assert_non_null(strstr(text, "alice\\x0a2026"));
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
}

static void
test_control_and_invalid_bytes_escaped(void **state)
{
	char *text = log_capture("a\r\x1b[31m\xff\xc3");

	(void)state;
	assert_non_null(strstr(text, "a\\x0d\\x1b[31m\\xff\\xc3 end"));
}

/* Overlong forms and surrogates are not UTF-8, so they are escaped too. */
static void
test_overlong_and_surrogate_escaped(void **state)
{
	char *text = log_capture("\xe0\x80\xaf|\xed\xa0\x80");

	(void)state;
	assert_non_null(strstr(text, "user=\\xe0\\x80\\xaf|"));
	assert_non_null(strstr(text, "|\\xed\\xa0\\x80 end"));
}

static void
test_utf8_kept(void **state)
{
	char *text = log_capture("j\xc3\xbcrgen-\xe6\x97\xa5");

	(void)state;
	assert_non_null(strstr(text, "user=j\xc3\xbcrgen-\xe6\x97\xa5 end"));
}

/* Characters that would break or reorder the line on screen. */
static void
test_line_breaking_characters_escaped(void **state)
{
	char *text = log_capture("x\xc2\x85y\xe2\x80\xa8z\xe2\x80\xaeq");

	(void)state;
	assert_non_null(strstr(text,
	    "user=x\\xc2\\x85y\\xe2\\x80\\xa8z\\xe2\\x80\\xaeq end"));
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_escaped),
		cmocka_unit_test(test_control_and_invalid_bytes_escaped),
		cmocka_unit_test(test_overlong_and_surrogate_escaped),
		cmocka_unit_test(test_utf8_kept),
		cmocka_unit_test(test_line_breaking_characters_escaped),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
