#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xmlauth.h"

#define XML_DECL	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static const char init_request[] = XML_DECL
	"<config-auth client=\"vpn\" type=\"init\" "
	"aggregate-auth-version=\"2\">"
	"<version who=\"vpn\">v9.01-3</version>"
	"<device-id>linux-64</device-id>"
	"<capabilities><auth-method>single-sign-on-v2</auth-method>"
	"</capabilities>"
	"<group-access>https://vpn.example.net/phones</group-access>"
	"</config-auth>";

static const char auth_reply[] =
	"<config-auth client=\"vpn\" type=\"auth-reply\" "
	"aggregate-auth-version=\"2\">"
	"<version who=\"vpn\">v9.01-3</version>"
	"<device-id>linux-64</device-id>"
	"<opaque is-for=\"sg\"><tunnel-group>phones</tunnel-group>"
	"<aggauth-handle>8f3e1c02</aggauth-handle>"
	"<auth-sig>AB12</auth-sig></opaque>"
	"<auth><username>alice</username><password>secret</password></auth>"
	"<group-select>phones</group-select>"
	"</config-auth>";

/* Parse a NUL-terminated document, keeping the error text in err. */
static int
parse_text(const char *xml, struct xmlauth_request *req, char *err,
    size_t errlen)
{
	return xmlauth_parse(xml, strlen(xml), req, err, errlen);
}

static void
test_init(void **state)
{
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(init_request, &req, err, sizeof(err)), 0);
	assert_int_equal(req.type, XMLAUTH_INIT);
	assert_string_equal(req.version, "v9.01-3");
	assert_string_equal(req.device_id, "linux-64");
	assert_string_equal(req.group_access, "https://vpn.example.net/phones");
	assert_false(req.has_username);
	assert_false(req.has_password);
	assert_false(req.client_cert_fail);
	assert_string_equal(req.opaque_group, "");
	assert_string_equal(err, "");
}

static void
test_auth_reply(void **state)
{
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(auth_reply, &req, err, sizeof(err)), 0);
	assert_int_equal(req.type, XMLAUTH_AUTH_REPLY);
	assert_string_equal(req.opaque_group, "phones");
	assert_string_equal(req.opaque_handle, "8f3e1c02");
	assert_string_equal(req.opaque_sig, "AB12");
	assert_true(req.has_username);
	assert_string_equal(req.username, "alice");
	assert_true(req.has_password);
	assert_string_equal(req.password, "secret");
	assert_string_equal(req.group_select, "phones");
	assert_string_equal(req.group_access, "");
}

static void
test_logout(void **state)
{
	static const char xml[] =
		"<config-auth client=\"vpn\" type=\"logout\">"
		"<session-token>1A2B@3C4D</session-token></config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_int_equal(req.type, XMLAUTH_LOGOUT);
	assert_string_equal(req.session_token, "1A2B@3C4D");
}

static void
test_other_type(void **state)
{
	static const char xml[] =
		"<config-auth type=\"complete\"><client-cert-fail/>"
		"</config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_int_equal(req.type, XMLAUTH_OTHER);
	assert_true(req.client_cert_fail);
}

static void
test_escapes(void **state)
{
	static const char xml[] =
		"<config-auth type=\"auth-reply\"><auth>"
		"<username>a&amp;&#x41;&lt;b</username>"
		"<password>p&quot;&#65;&apos;&gt;<![CDATA[<&>]]></password>"
		"</auth></config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_string_equal(req.username, "a&A<b");
	assert_string_equal(req.password, "p\"A'><&>");
}

static void
test_utf8_value(void **state)
{
	static const char xml[] =
		"<config-auth type=\"auth-reply\"><auth>"
		"<username>j\xc3\xbcrgen&#xe9;</username>"
		"</auth></config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_string_equal(req.username, "j\xc3\xbcrgen\xc3\xa9");
}

static void
test_element_case(void **state)
{
	static const char xml[] =
		"<Config-Auth TYPE=\"Auth-Reply\"><AUTH>"
		"<USERNAME>bob</USERNAME><Password>pw</Password>"
		"</AUTH></Config-Auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_int_equal(req.type, XMLAUTH_AUTH_REPLY);
	assert_true(req.has_username);
	assert_string_equal(req.username, "bob");
	assert_string_equal(req.password, "pw");
}

static void
test_missing_fields(void **state)
{
	static const char xml[] =
		"<config-auth type=\"auth-reply\"><auth><password/></auth>"
		"</config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_false(req.has_username);
	assert_string_equal(req.username, "");
	assert_true(req.has_password);
	assert_string_equal(req.password, "");
}

/* A username that is too long parses, empty and flagged for the form. */
static void
test_username_too_long(void **state)
{
	struct xmlauth_request req;
	char xml[512];
	char name[200];
	char err[256];

	(void)state;
	memset(name, 'u', 128);
	name[128] = '\0';
	snprintf(xml, sizeof(xml), "<config-auth type=\"auth-reply\"><auth>"
	    "<username>%s</username><password>pw</password></auth>"
	    "</config-auth>", name);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_true(req.credential_too_long);
	assert_true(req.has_username);
	assert_string_equal(req.username, "");
	assert_string_equal(req.password, "pw");

	name[127] = '\0';
	snprintf(xml, sizeof(xml), "<config-auth type=\"auth-reply\"><auth>"
	    "<username>%s</username></auth></config-auth>", name);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_false(req.credential_too_long);
	assert_int_equal(strlen(req.username), 127);
}

/* Text that expat splits around an entity still counts as a whole. */
static void
test_split_text_too_long(void **state)
{
	struct xmlauth_request req;
	char xml[512];
	char half[70];
	char err[256];

	(void)state;
	memset(half, 'u', 64);
	half[64] = '\0';
	snprintf(xml, sizeof(xml), "<config-auth type=\"init\"><auth>"
	    "<username>%s&amp;%s</username></auth></config-auth>", half,
	    half);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_true(req.credential_too_long);
	assert_string_equal(req.username, "");
}

/* Other fields that are too long still fail the request. */
static void
test_other_field_too_long(void **state)
{
	struct xmlauth_request req;
	char xml[1024];
	char url[600];
	char err[256];

	(void)state;
	memset(url, 'u', 520);
	url[520] = '\0';
	snprintf(xml, sizeof(xml), "<config-auth type=\"init\">"
	    "<group-access>%s</group-access></config-auth>", url);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "group-access"));
}

static void
test_not_well_formed(void **state)
{
	static const char *const docs[] = {
		"<config-auth type=\"init\"><version>x</config-auth>",
		"<config-auth type=\"init\">",
		"<config-auth type=\"init\"><a>&nosuch;</a></config-auth>",
		"<config-auth type=\"init\"></config-auth><x/>",
		"",
		"not xml",
	};
	struct xmlauth_request req;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(parse_text(docs[i], &req, err, sizeof(err)),
		    -EINVAL);
		assert_non_null(strstr(err, "invalid XML"));
	}
}

static void
test_wrong_root(void **state)
{
	static const char xml[] =
		"<auth type=\"init\"><username>a</username></auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "config-auth"));
}

static void
test_missing_type(void **state)
{
	static const char xml[] = "<config-auth client=\"vpn\"/>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "type"));
}

static void
test_doctype_rejected(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?>"
		"<!DOCTYPE config-auth ["
		"<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"]>"
		"<config-auth type=\"init\"><version>&c;</version>"
		"</config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "DOCTYPE"));
}

static void
test_plain_doctype_rejected(void **state)
{
	static const char xml[] =
		"<!DOCTYPE config-auth><config-auth type=\"init\"/>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), -EINVAL);
}

/* Build a config-auth document with elements nested depth levels deep,
 * the root included. */
static char *
nested_document(int depth)
{
	size_t size = (size_t)depth * 8 + 64;
	char *xml = malloc(size);
	int i;

	assert_non_null(xml);
	strcpy(xml, "<config-auth type=\"init\">");
	for (i = 1; i < depth; i++)
		strcat(xml, "<a>");
	for (i = 1; i < depth; i++)
		strcat(xml, "</a>");
	strcat(xml, "</config-auth>");
	return xml;
}

static void
test_deep_nesting(void **state)
{
	struct xmlauth_request req;
	char err[256];
	char *xml;

	(void)state;
	xml = nested_document(XMLAUTH_DEPTH_MAX);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	free(xml);

	xml = nested_document(XMLAUTH_DEPTH_MAX + 1);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested"));
	free(xml);
}

static void
test_body_too_large(void **state)
{
	struct xmlauth_request req;
	char err[256];
	char *xml;

	(void)state;
	xml = malloc(XMLAUTH_BODY_MAX + 1);
	assert_non_null(xml);
	memset(xml, ' ', XMLAUTH_BODY_MAX + 1);
	memcpy(xml, "<config-auth type=\"init\"/>", 26);
	assert_int_equal(xmlauth_parse(xml, XMLAUTH_BODY_MAX + 1, &req, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "exceeds"));
	assert_int_equal(xmlauth_parse(xml, XMLAUTH_BODY_MAX, &req, err,
	    sizeof(err)), 0);
	free(xml);
}

static void
test_username_outside_auth(void **state)
{
	static const char xml[] =
		"<config-auth type=\"auth-reply\">"
		"<username>mallory</username>"
		"<opaque><username>eve</username><auth-sig>S</auth-sig>"
		"</opaque>"
		"<x><auth><username>trudy</username></auth></x>"
		"<auth><x><username>oscar</username></x></auth>"
		"</config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_false(req.has_username);
	assert_string_equal(req.username, "");
	assert_string_equal(req.opaque_sig, "S");
}

static void
test_opaque_fields_only_in_opaque(void **state)
{
	static const char xml[] =
		"<config-auth type=\"auth-reply\">"
		"<tunnel-group>admins</tunnel-group>"
		"<auth><auth-sig>X</auth-sig></auth>"
		"</config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_string_equal(req.opaque_group, "");
	assert_string_equal(req.opaque_sig, "");
}

static void
test_repeated_element(void **state)
{
	static const char *const docs[] = {
		"<config-auth type=\"auth-reply\"><auth><username>a</username>"
		"<username>b</username></auth></config-auth>",
		"<config-auth type=\"auth-reply\"><auth><username>a</username>"
		"</auth><auth><password>p</password></auth></config-auth>",
		"<config-auth type=\"init\"><group-access>a</group-access>"
		"<GROUP-ACCESS>b</GROUP-ACCESS></config-auth>",
	};
	struct xmlauth_request req;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(parse_text(docs[i], &req, err, sizeof(err)),
		    -EINVAL);
		assert_non_null(strstr(err, "more than once"));
	}
}

static void
test_unknown_ignored(void **state)
{
	static const char xml[] =
		"<!-- comment --><config-auth type=\"init\">"
		"<?pi data?><mac-address-list><mac-address>00:11</mac-address>"
		"</mac-address-list><version>v1<b>ignored</b>.2</version>"
		"</config-auth>";
	struct xmlauth_request req;
	char err[256];

	(void)state;
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_string_equal(req.version, "v1.2");
}

static void
test_null_err(void **state)
{
	struct xmlauth_request req;

	(void)state;
	assert_int_equal(xmlauth_parse("<x/>", 4, &req, NULL, 0), -EINVAL);
}

static void
test_escape(void **state)
{
	char *out;

	(void)state;
	out = xml_escape("a&b<c>d\"e'f");
	assert_non_null(out);
	assert_string_equal(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	free(out);

	out = xml_escape("");
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
}

static void
test_escape_round_trip(void **state)
{
	static const char name[] = "<&\"'>x";
	struct xmlauth_request req;
	char xml[256];
	char err[256];
	char *escaped;

	(void)state;
	escaped = xml_escape(name);
	assert_non_null(escaped);
	snprintf(xml, sizeof(xml), "<config-auth type=\"auth-reply\">"
	    "<auth><username>%s</username></auth></config-auth>", escaped);
	free(escaped);
	assert_int_equal(parse_text(xml, &req, err, sizeof(err)), 0);
	assert_string_equal(req.username, name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_auth_reply),
		cmocka_unit_test(test_logout),
		cmocka_unit_test(test_other_type),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8_value),
		cmocka_unit_test(test_element_case),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_username_too_long),
		cmocka_unit_test(test_split_text_too_long),
		cmocka_unit_test(test_other_field_too_long),
		cmocka_unit_test(test_not_well_formed),
		cmocka_unit_test(test_wrong_root),
		cmocka_unit_test(test_missing_type),
		cmocka_unit_test(test_doctype_rejected),
		cmocka_unit_test(test_plain_doctype_rejected),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_username_outside_auth),
		cmocka_unit_test(test_opaque_fields_only_in_opaque),
		cmocka_unit_test(test_repeated_element),
		cmocka_unit_test(test_unknown_ignored),
		cmocka_unit_test(test_null_err),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
