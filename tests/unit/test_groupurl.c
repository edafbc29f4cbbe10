#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "groupurl.h"

static void
test_plain_url(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net/phones", &g),
	    0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_string_equal(g.path, "/phones");
}

static void
test_host_case(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("HTTPS://VPN.Example.NET/Phones", &g),
	    0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_string_equal(g.path, "/Phones");
}

static void
test_port_443_stripped(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net:443/a", &g),
	    0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_int_equal(groupurl_parse("https://vpn.example.net:/a", &g), 0);
	assert_string_equal(g.host, "vpn.example.net");
}

static void
test_port_8443_kept(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net:8443/a", &g),
	    0);
	assert_string_equal(g.host, "vpn.example.net:8443");
	assert_int_equal(groupurl_parse("https://vpn.example.net:08443/a",
	    &g), 0);
	assert_string_equal(g.host, "vpn.example.net:8443");
}

static void
test_bad_port(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net:0/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://vpn.example.net:65536/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://vpn.example.net:44x/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://vpn.example.net:1:2/", &g),
	    -EINVAL);
}

static void
test_default_path(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net", &g), 0);
	assert_string_equal(g.path, "/");
	assert_int_equal(groupurl_parse("https://vpn.example.net/", &g), 0);
	assert_string_equal(g.path, "/");
	assert_int_equal(groupurl_parse("https://vpn.example.net?x=1", &g), 0);
	assert_string_equal(g.path, "/");
}

static void
test_trailing_slash(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net/phones/", &g),
	    0);
	assert_string_equal(g.path, "/phones");
	assert_int_equal(groupurl_parse("https://vpn.example.net//", &g), 0);
	assert_string_equal(g.path, "/");
}

/* A fully qualified name with its trailing dot is the same host. */
static void
test_host_trailing_dot(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://VPN.example.net./phones", &g),
	    0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_int_equal(groupurl_from_request("vpn.example.net.:443",
	    "/phones", &g), 0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_int_equal(groupurl_parse("https://vpn.example.net../p", &g), 0);
	assert_string_equal(g.host, "vpn.example.net..");
}

static void
test_query_fragment_dropped(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/phones?a=1/b", &g), 0);
	assert_string_equal(g.path, "/phones");
	assert_int_equal(groupurl_parse("https://h/phones/#top", &g), 0);
	assert_string_equal(g.path, "/phones");
}

static void
test_double_slash(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://h//a///b//", &g), 0);
	assert_string_equal(g.path, "/a/b");
}

static void
test_percent_escapes(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/%70hones%7e", &g), 0);
	assert_string_equal(g.path, "/phones~");
	assert_int_equal(groupurl_parse("https://h/a%2fb%20c", &g), 0);
	assert_string_equal(g.path, "/a%2Fb%20c");
}

static void
test_bad_escape(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/a%4", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a%", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a%zz", &g), -EINVAL);
}

static void
test_dot_segments(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/a/../b", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a/./b", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/..", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a/.", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/%2e%2E/b", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/.well/..a", &g), 0);
	assert_string_equal(g.path, "/.well/..a");
}

static void
test_other_scheme(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("http://vpn.example.net/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("vpn.example.net/phones", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("", &g), -EINVAL);
}

static void
test_userinfo(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://a:b@vpn.example.net/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://evil@vpn.example.net", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://h/user@phones", &g), 0);
	assert_string_equal(g.path, "/user@phones");
}

static void
test_empty_host(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https:///phones", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://:8443/", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://[]/", &g), -EINVAL);
}

static void
test_bad_characters(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/a b", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a\tb", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a\x7f", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/\xc3\xa9", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a?b c", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h/a<b>", &g), -EINVAL);
	assert_int_equal(groupurl_parse("https://h%41/", &g), -EINVAL);
}

static void
test_ipv6_literal(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://[2001:db8::1]:8443/p", &g),
	    0);
	assert_string_equal(g.host, "[2001:db8::1]:8443");
	assert_string_equal(g.path, "/p");
	assert_int_equal(groupurl_parse("https://[2001:DB8:0:0::1]:443", &g),
	    0);
	assert_string_equal(g.host, "[2001:db8::1]");
}

static void
test_bad_ipv6_literal(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_parse("https://[2001:db8::1/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://[2001:db8::1]x/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://[vpn.example.net]/", &g),
	    -EINVAL);
	assert_int_equal(groupurl_parse("https://2001:db8::1/", &g),
	    -EINVAL);
}

static void
test_too_long(void **state)
{
	char url[700];
	struct groupurl g;

	(void)state;
	strcpy(url, "https://h/");
	memset(url + 10, 'a', 520);
	url[530] = '\0';
	assert_int_equal(groupurl_parse(url, &g), -EINVAL);

	strcpy(url, "https://");
	memset(url + 8, 'a', 300);
	strcpy(url + 308, "/p");
	assert_int_equal(groupurl_parse(url, &g), -EINVAL);
}

static void
test_request_without_port(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_from_request("VPN.example.net",
	    "/phones/?x=1", &g), 0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_string_equal(g.path, "/phones");
}

static void
test_request_with_port(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_from_request("vpn.example.net:8443", "/",
	    &g), 0);
	assert_string_equal(g.host, "vpn.example.net:8443");
	assert_string_equal(g.path, "/");
	assert_int_equal(groupurl_from_request("vpn.example.net:443",
	    "/phones", &g), 0);
	assert_string_equal(g.host, "vpn.example.net");
}

static void
test_request_absolute_form(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_from_request("other.example.net",
	    "https://vpn.example.net/phones", &g), 0);
	assert_string_equal(g.host, "vpn.example.net");
	assert_string_equal(g.path, "/phones");
	assert_int_equal(groupurl_from_request("vpn.example.net",
	    "http://vpn.example.net/phones", &g), -EINVAL);
}

static void
test_request_invalid(void **state)
{
	struct groupurl g;

	(void)state;
	assert_int_equal(groupurl_from_request("", "/", &g), -EINVAL);
	assert_int_equal(groupurl_from_request("h", "phones", &g), -EINVAL);
	assert_int_equal(groupurl_from_request("h", "/a/../b", &g), -EINVAL);
	assert_int_equal(groupurl_from_request("u@h", "/", &g), -EINVAL);
	assert_int_equal(groupurl_from_request(" h", "/", &g), -EINVAL);
}

static void
test_request_matches_config(void **state)
{
	struct groupurl conf, req;

	(void)state;
	assert_int_equal(groupurl_parse("https://vpn.example.net/phones",
	    &conf), 0);
	assert_int_equal(groupurl_from_request("Vpn.Example.Net:443",
	    "//phones/", &req), 0);
	assert_true(groupurl_equal(&conf, &req));
}

static void
test_path_case_sensitive(void **state)
{
	struct groupurl a, b;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/phones", &a), 0);
	assert_int_equal(groupurl_parse("https://h/Phones", &b), 0);
	assert_false(groupurl_equal(&a, &b));
}

static void
test_port_distinguishes(void **state)
{
	struct groupurl a, b;

	(void)state;
	assert_int_equal(groupurl_parse("https://h/phones", &a), 0);
	assert_int_equal(groupurl_parse("https://h:8443/phones", &b), 0);
	assert_false(groupurl_equal(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_url),
		cmocka_unit_test(test_host_case),
		cmocka_unit_test(test_port_443_stripped),
		cmocka_unit_test(test_port_8443_kept),
		cmocka_unit_test(test_bad_port),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_trailing_slash),
		cmocka_unit_test(test_host_trailing_dot),
		cmocka_unit_test(test_query_fragment_dropped),
		cmocka_unit_test(test_double_slash),
		cmocka_unit_test(test_percent_escapes),
		cmocka_unit_test(test_bad_escape),
		cmocka_unit_test(test_dot_segments),
		cmocka_unit_test(test_other_scheme),
		cmocka_unit_test(test_userinfo),
		cmocka_unit_test(test_empty_host),
		cmocka_unit_test(test_bad_characters),
		cmocka_unit_test(test_ipv6_literal),
		cmocka_unit_test(test_bad_ipv6_literal),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_request_without_port),
		cmocka_unit_test(test_request_with_port),
		cmocka_unit_test(test_request_absolute_form),
		cmocka_unit_test(test_request_invalid),
		cmocka_unit_test(test_request_matches_config),
		cmocka_unit_test(test_path_case_sensitive),
		cmocka_unit_test(test_port_distinguishes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
