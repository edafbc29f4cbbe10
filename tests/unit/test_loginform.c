/*
 * Unit tests for login_form_parse, which decodes the credentials that
 * phones and legacy clients POST as URL-encoded forms.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "login.h"

static int
parse(const char *body, struct login_form *f)
{
	return (login_form_parse(body, strlen(body), f));
}

static void
test_form_both_fields(void **state)
{
	struct login_form f;

	(void)state;
	assert_int_equal(parse("username=SEP001122334455&password=s3cret",
	    &f), 0);
	assert_true(f.lf_has_user);
	assert_true(f.lf_has_password);
	assert_string_equal(f.lf_user, "SEP001122334455");
	assert_string_equal(f.lf_password, "s3cret");
}

static void
test_form_escapes(void **state)
{
	struct login_form f;

	(void)state;
	assert_int_equal(parse("password=ph%25one%26pa%2Bss+x&username=a%40b",
	    &f), 0);
	assert_string_equal(f.lf_password, "ph%one&pa+ss x");
	assert_string_equal(f.lf_user, "a@b");
}

static void
test_form_login_tail(void **state)
{
	struct login_form f;

	(void)state;
	assert_int_equal(parse("username=alice&password=pw&Login=Login", &f),
	    0);
	assert_string_equal(f.lf_user, "alice");
	assert_string_equal(f.lf_password, "pw");
}

static void
test_form_empty_body(void **state)
{
	struct login_form f;

	(void)state;
	assert_int_equal(login_form_parse("", 0, &f), 0);
	assert_false(f.lf_has_user);
	assert_false(f.lf_has_password);
}

static void
test_form_missing_username(void **state)
{
	struct login_form f;

	(void)state;
	assert_int_equal(parse("password=only", &f), 0);
	assert_false(f.lf_has_user);
	assert_true(f.lf_has_password);
	assert_string_equal(f.lf_user, "");
}

static void
test_form_empty_password(void **state)
{
	struct login_form f;

	(void)state;
	assert_int_equal(parse("username=alice&password=", &f), 0);
	assert_true(f.lf_has_password);
	assert_string_equal(f.lf_password, "");
}

static void
test_form_malformed(void **state)
{
	static const char *const bodies[] = {
		"username=alice&password=%zz",
		"username=alice&password=%4",
		"username=al%00ice&password=x",
		"username=alice&username=bob&password=x",
		"username=alice&password=x&password=y",
	};
	struct login_form f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		print_message("  %s\n", bodies[i]);
		assert_int_equal(parse(bodies[i], &f), -EINVAL);
		assert_string_equal(f.lf_password, "");
	}
}

static void
test_form_raw_nul(void **state)
{
	static const char body[] = "username=alice&password=a\0b";
	struct login_form f;

	(void)state;
	assert_int_equal(login_form_parse(body, sizeof(body) - 1, &f),
	    -EINVAL);
}

static void
test_form_too_long(void **state)
{
	char body[600];
	struct login_form f;

	(void)state;
	memcpy(body, "username=alice&password=", 24);
	memset(body + 24, 'p', 255);
	body[24 + 255] = '\0';
	assert_int_equal(parse(body, &f), 0);
	assert_int_equal(strlen(f.lf_password), 255);

	body[24 + 255] = 'p';
	body[24 + 256] = '\0';
	assert_int_equal(parse(body, &f), -E2BIG);
	assert_string_equal(f.lf_password, "");

	memcpy(body, "username=", 9);
	memset(body + 9, 'u', 128);
	body[9 + 128] = '\0';
	assert_int_equal(parse(body, &f), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_both_fields),
		cmocka_unit_test(test_form_escapes),
		cmocka_unit_test(test_form_login_tail),
		cmocka_unit_test(test_form_empty_body),
		cmocka_unit_test(test_form_missing_username),
		cmocka_unit_test(test_form_empty_password),
		cmocka_unit_test(test_form_malformed),
		cmocka_unit_test(test_form_raw_nul),
		cmocka_unit_test(test_form_too_long),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
