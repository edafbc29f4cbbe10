/* Unit tests for the application/x-www-form-urlencoded decoder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"

static int
get_field(const char *body, const char *name, char *out, size_t outlen)
{
	return form_get(body, strlen(body), name, out, outlen);
}

static int
decode_string(const char *s, char *out, size_t outlen)
{
	return form_decode(s, strlen(s), out, outlen);
}

static void
test_decode_escapes(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(decode_string("a%20b+c%2Bd", out, sizeof(out)), 7);
	assert_string_equal(out, "a b c+d");
	assert_int_equal(decode_string("%41%6a%6A", out, sizeof(out)), 3);
	assert_string_equal(out, "Ajj");
	assert_int_equal(decode_string("%C3%A9", out, sizeof(out)), 2);
	assert_string_equal(out, "\xc3\xa9");
	assert_int_equal(decode_string("%FF", out, sizeof(out)), 1);
	assert_string_equal(out, "\xff");
	assert_int_equal(decode_string("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void
test_decode_length_bound(void **state)
{
	char out[32] = "untouched";

	(void)state;
	assert_int_equal(form_decode("abcdef", 3, out, sizeof(out)), 3);
	assert_string_equal(out, "abc");
}

static void
test_decode_bad_escape(void **state)
{
	char out[32] = "junk";

	(void)state;
	assert_int_equal(decode_string("%", out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(decode_string("ab%4", out, sizeof(out)), -EINVAL);
	assert_int_equal(decode_string("%zz", out, sizeof(out)), -EINVAL);
	assert_int_equal(decode_string("%4g", out, sizeof(out)), -EINVAL);
	assert_int_equal(decode_string("%%41", out, sizeof(out)), -EINVAL);
	assert_int_equal(decode_string("a%+1", out, sizeof(out)), -EINVAL);
}

static void
test_decode_escape_bound(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(form_decode("%41", 2, out, sizeof(out)), -EINVAL);
}

static void
test_decode_nul(void **state)
{
	static const char raw[] = "a\0b";
	char out[32];

	(void)state;
	assert_int_equal(decode_string("a%00b", out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(form_decode(raw, 3, out, sizeof(out)), -EINVAL);
}

static void
test_decode_too_long(void **state)
{
	char out[4] = "zzz";

	(void)state;
	assert_int_equal(decode_string("abcd", out, sizeof(out)), -E2BIG);
	assert_string_equal(out, "");
	assert_int_equal(decode_string("abc", out, sizeof(out)), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(decode_string("%41%42%43", out, sizeof(out)), 3);
	assert_int_equal(decode_string("%41%42%43+", out, sizeof(out)),
			 -E2BIG);
	assert_int_equal(decode_string("", out, 0), -E2BIG);
}

static void
test_decode_wipes_partial(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(decode_string("secret%zz", out, sizeof(out)),
			 -EINVAL);
	assert_memory_equal(out, "\0\0\0\0\0\0xx", sizeof(out));
}

static void
test_form_phone_login(void **state)
{
	const char *body = "username=alice&password=s3cret";
	char out[32];

	(void)state;
	assert_int_equal(get_field(body, "username", out, sizeof(out)), 1);
	assert_string_equal(out, "alice");
	assert_int_equal(get_field(body, "password", out, sizeof(out)), 1);
	assert_string_equal(out, "s3cret");
}

static void
test_form_openconnect(void **state)
{
	const char *body = "username=bob%40example.com&password=p%26ss+w%3Dd"
			   "&tgroup=&group_list=Employees";
	char out[32];

	(void)state;
	assert_int_equal(get_field(body, "username", out, sizeof(out)), 1);
	assert_string_equal(out, "bob@example.com");
	assert_int_equal(get_field(body, "password", out, sizeof(out)), 1);
	assert_string_equal(out, "p&ss w=d");
	assert_int_equal(get_field(body, "group_list", out, sizeof(out)), 1);
	assert_string_equal(out, "Employees");
}

static void
test_form_empty_value(void **state)
{
	char out[8] = "junk";

	(void)state;
	assert_int_equal(get_field("tgroup=&a=1", "tgroup", out, sizeof(out)),
			 1);
	assert_string_equal(out, "");
	strcpy(out, "junk");
	assert_int_equal(get_field("a=1&flag", "flag", out, sizeof(out)), 1);
	assert_string_equal(out, "");
}

static void
test_form_missing(void **state)
{
	char out[8] = "junk";

	(void)state;
	assert_int_equal(get_field("username=alice", "password", out,
				   sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(get_field("", "password", out, sizeof(out)), 0);
	assert_int_equal(get_field("pass=1&passwordx=2&xpassword=3",
				   "password", out, sizeof(out)), 0);
	assert_int_equal(get_field("Password=1", "password", out,
				   sizeof(out)), 0);
}

static void
test_form_duplicate(void **state)
{
	char out[8] = "junk";

	(void)state;
	assert_int_equal(get_field("user=a&user=b", "user", out, sizeof(out)),
			 -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(get_field("user=a&us%65r=a", "user", out,
				   sizeof(out)), -EINVAL);
	assert_int_equal(get_field("user=a&user", "user", out, sizeof(out)),
			 -EINVAL);
}

static void
test_form_escaped_name(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(get_field("group%5flist=Sales", "group_list", out,
				   sizeof(out)), 1);
	assert_string_equal(out, "Sales");
	assert_int_equal(get_field("my+name=x", "my name", out, sizeof(out)),
			 1);
	assert_string_equal(out, "x");
}

static void
test_form_login_tail(void **state)
{
	const char *body = "username=alice&password=s3cret&Login=Login";
	char out[16];

	(void)state;
	assert_int_equal(get_field(body, "password", out, sizeof(out)), 1);
	assert_string_equal(out, "s3cret");
	assert_int_equal(get_field(body, "Login", out, sizeof(out)), 1);
	assert_string_equal(out, "Login");
}

static void
test_form_separators(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(get_field("&&a=1&&b=2&", "b", out, sizeof(out)), 1);
	assert_string_equal(out, "2");
	assert_int_equal(get_field("a=x=y", "a", out, sizeof(out)), 1);
	assert_string_equal(out, "x=y");
	assert_int_equal(get_field("a=1&&b=2", "", out, sizeof(out)), 0);
}

static void
test_form_malformed(void **state)
{
	char out[16] = "junk";

	(void)state;
	assert_int_equal(get_field("user=%zz", "user", out, sizeof(out)),
			 -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(get_field("user=a&other=%4", "user", out,
				   sizeof(out)), -EINVAL);
	assert_int_equal(get_field("us%er=a", "user", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(get_field("user=%00", "user", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(get_field("user=a%", "user", out, sizeof(out)),
			 -EINVAL);
}

static void
test_form_raw_nul(void **state)
{
	static const char body[] = "user=a\0b&x=1";
	char out[16];

	(void)state;
	assert_int_equal(form_get(body, sizeof(body) - 1, "user", out,
				  sizeof(out)), -EINVAL);
	assert_int_equal(form_get(body, sizeof(body) - 1, "x", out,
				  sizeof(out)), -EINVAL);
}

static void
test_form_too_long(void **state)
{
	char out[6] = "junk";

	(void)state;
	assert_int_equal(get_field("password=123456", "password", out,
				   sizeof(out)), -E2BIG);
	assert_string_equal(out, "");
	assert_int_equal(get_field("password=12345", "password", out,
				   sizeof(out)), 1);
	assert_string_equal(out, "12345");
}

static void
test_form_unterminated(void **state)
{
	const char body[] = { 'a', '=', '1', '&', 'b', '=', '2' };
	char out[8];

	(void)state;
	assert_int_equal(form_get(body, sizeof(body), "b", out, sizeof(out)),
			 1);
	assert_string_equal(out, "2");
	assert_int_equal(form_get(body, 5, "b", out, sizeof(out)), 1);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_escapes),
		cmocka_unit_test(test_decode_length_bound),
		cmocka_unit_test(test_decode_bad_escape),
		cmocka_unit_test(test_decode_escape_bound),
		cmocka_unit_test(test_decode_nul),
		cmocka_unit_test(test_decode_too_long),
		cmocka_unit_test(test_decode_wipes_partial),
		cmocka_unit_test(test_form_phone_login),
		cmocka_unit_test(test_form_openconnect),
		cmocka_unit_test(test_form_empty_value),
		cmocka_unit_test(test_form_missing),
		cmocka_unit_test(test_form_duplicate),
		cmocka_unit_test(test_form_escaped_name),
		cmocka_unit_test(test_form_login_tail),
		cmocka_unit_test(test_form_separators),
		cmocka_unit_test(test_form_malformed),
		cmocka_unit_test(test_form_raw_nul),
		cmocka_unit_test(test_form_too_long),
		cmocka_unit_test(test_form_unterminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
