/* Unit tests for the HTTP request parser and the Cookie header parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

/* Small limits so each boundary is easy to reach exactly. */
static const struct http_limits small_limits = {
	.request_line_max = 32,
	.header_count_max = 2,
	.header_bytes_max = 64,
	.body_max = 16,
};

static enum http_parse_result
feed_bytes(struct http_parser *p, const void *data, size_t len,
	   size_t *consumed)
{
	return http_parser_feed(p, data, len, consumed);
}

static enum http_parse_result
feed_string(struct http_parser *p, const char *s, size_t *consumed)
{
	return feed_bytes(p, s, strlen(s), consumed);
}

/* Parses a whole request, which must be accepted and fully consumed. */
static struct http_parser *
parse_ok(const struct http_limits *lim, const char *s)
{
	struct http_parser *p = http_parser_new(lim);
	size_t consumed = 0;

	assert_non_null(p);
	assert_int_equal(feed_string(p, s, &consumed), HTTP_PARSE_DONE);
	assert_int_equal(consumed, strlen(s));
	assert_non_null(http_parser_request(p));
	return p;
}

static void
check_rejected_bytes(const struct http_limits *lim, const void *data,
		     size_t len, int status)
{
	struct http_parser *p = http_parser_new(lim);
	size_t consumed = 0;

	assert_non_null(p);
	assert_int_equal(feed_bytes(p, data, len, &consumed),
			 HTTP_PARSE_ERROR);
	assert_int_equal(http_parser_status(p), status);
	assert_non_null(http_parser_error(p));
	assert_null(http_parser_request(p));
	http_parser_free(p);
}

static void
check_rejected_with(const struct http_limits *lim, const char *s, int status)
{
	check_rejected_bytes(lim, s, strlen(s), status);
}

static void
check_rejected(const char *s, int status)
{
	check_rejected_with(NULL, s, status);
}

/* Also checks the logged reason, so the test fails on a different error. */
static void
check_rejected_reason(const char *s, int status, const char *reason)
{
	struct http_parser *p = http_parser_new(NULL);
	size_t consumed = 0;

	assert_non_null(p);
	assert_int_equal(feed_string(p, s, &consumed), HTTP_PARSE_ERROR);
	assert_int_equal(http_parser_status(p), status);
	assert_string_equal(http_parser_error(p), reason);
	http_parser_free(p);
}

/* Builds a malloc'd request line "GET /aaa... HTTP/1.1" of len bytes. */
static char *
request_line_make(size_t len)
{
	const char *suffix = " HTTP/1.1";
	size_t fixed = strlen("GET /") + strlen(suffix);
	char *line = malloc(len + 1);

	assert_non_null(line);
	assert_true(len >= fixed);
	memcpy(line, "GET /", 5);
	memset(line + 5, 'a', len - fixed);
	strcpy(line + len - strlen(suffix), suffix);
	return line;
}

static void
test_http_get(void **state)
{
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "GET /phones?x=1 HTTP/1.1\r\n"
			   "Host: vpn.example.com\r\n"
			   "User-Agent: Open AnyConnect VPN Agent\r\n\r\n");
	req = http_parser_request(p);
	assert_int_equal(req->method, HTTP_METHOD_GET);
	assert_string_equal(req->method_name, "GET");
	assert_string_equal(req->target, "/phones?x=1");
	assert_string_equal(req->path, "/phones");
	assert_string_equal(req->query, "x=1");
	assert_int_equal(req->version_minor, 1);
	assert_int_equal(req->nheaders, 2);
	assert_string_equal(req->headers[0].name, "Host");
	assert_string_equal(req->headers[0].value, "vpn.example.com");
	assert_string_equal(req->headers[1].value,
			    "Open AnyConnect VPN Agent");
	assert_int_equal(req->body_len, 0);
	assert_string_equal((const char *)req->body, "");
	http_parser_free(p);
}

static void
test_http_get_no_query(void **state)
{
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "HEAD / HTTP/1.0\r\n\r\n");
	req = http_parser_request(p);
	assert_int_equal(req->method, HTTP_METHOD_HEAD);
	assert_string_equal(req->path, "/");
	assert_null(req->query);
	assert_int_equal(req->version_minor, 0);
	assert_int_equal(req->nheaders, 0);
	http_parser_free(p);
}

static void
test_http_empty_query(void **state)
{
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "GET /a/b? HTTP/1.1\r\n\r\n");
	req = http_parser_request(p);
	assert_string_equal(req->path, "/a/b");
	assert_non_null(req->query);
	assert_string_equal(req->query, "");
	http_parser_free(p);
}

static void
test_http_post_body(void **state)
{
	const char *body = "username=alice&password=s3cret";
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "POST /auth HTTP/1.1\r\n"
			   "Content-Type: application/x-www-form-urlencoded\r\n"
			   "Content-Length: 30\r\n\r\n"
			   "username=alice&password=s3cret");
	req = http_parser_request(p);
	assert_int_equal(req->method, HTTP_METHOD_POST);
	assert_int_equal(req->body_len, strlen(body));
	assert_memory_equal(req->body, body, strlen(body));
	assert_int_equal(req->body[req->body_len], '\0');
	http_parser_free(p);
}

static void
test_http_connect_cookie(void **state)
{
	struct http_parser *p;
	const struct http_request *req;
	const char *cookie;
	char value[64];

	(void)state;
	p = parse_ok(NULL, "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
			   "Host: vpn.example.com\r\n"
			   "Cookie: webvpn=3A5C91F0\r\n"
			   "X-CSTP-Version: 1\r\n\r\n");
	req = http_parser_request(p);
	assert_int_equal(req->method, HTTP_METHOD_CONNECT);
	assert_string_equal(req->path, "/CSCOSSLC/tunnel");
	cookie = http_request_header(req, "Cookie");
	assert_non_null(cookie);
	assert_true(http_cookie_get(cookie, "webvpn", value, sizeof(value)));
	assert_string_equal(value, "3A5C91F0");
	http_parser_free(p);
}

/* Connection: close is a token of a list, in any case, in any header. */
static void
test_http_connection_close(void **state)
{
	static const struct {
		const char	*headers;
		bool		close;
	} cases[] = {
		{ "Connection: close\r\n", true },
		{ "Connection: Keep-Alive, CLOSE\r\n", true },
		{ "Connection: keep-alive\r\nConnection: close\r\n", true },
		{ "Connection: keep-alive\r\n", false },
		{ "Connection: closed, upgrade\r\n", false },
		{ "X-Connection: close\r\n", false },
		{ "", false },
	};
	struct http_parser *p;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "GET / HTTP/1.1\r\n"
		    "Host: vpn\r\n%s\r\n", cases[i].headers);
		p = parse_ok(NULL, text);
		assert_int_equal(http_request_wants_close(
		    http_parser_request(p)), cases[i].close);
		http_parser_free(p);
	}
}

static void
test_http_other_method(void **state)
{
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "OPTIONS /x HTTP/1.1\r\n\r\n");
	req = http_parser_request(p);
	assert_int_equal(req->method, HTTP_METHOD_OTHER);
	assert_string_equal(req->method_name, "OPTIONS");
	http_parser_free(p);
}

static void
test_http_byte_by_byte(void **state)
{
	const char *s = "POST /auth HTTP/1.1\r\nHost: h\r\n"
			"Content-Length: 5\r\n\r\nhello";
	struct http_parser *p = http_parser_new(NULL);
	const struct http_request *req;
	size_t len = strlen(s);
	size_t consumed;
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i + 1 < len; i++) {
		assert_int_equal(feed_bytes(p, s + i, 1, &consumed),
				 HTTP_PARSE_INCOMPLETE);
		assert_int_equal(consumed, 1);
		assert_null(http_parser_request(p));
	}

	assert_int_equal(feed_bytes(p, s + i, 1, &consumed), HTTP_PARSE_DONE);
	assert_int_equal(consumed, 1);
	req = http_parser_request(p);
	assert_non_null(req);
	assert_string_equal(http_request_header(req, "Host"), "h");
	assert_int_equal(req->body_len, 5);
	assert_string_equal((const char *)req->body, "hello");
	http_parser_free(p);
}

static void
test_http_empty_feed(void **state)
{
	struct http_parser *p = http_parser_new(NULL);
	size_t consumed = 99;

	(void)state;
	assert_non_null(p);
	assert_int_equal(feed_bytes(p, "", 0, &consumed),
			 HTTP_PARSE_INCOMPLETE);
	assert_int_equal(consumed, 0);
	assert_int_equal(http_parser_status(p), 0);
	assert_null(http_parser_error(p));
	http_parser_free(p);
}

static void
test_http_header_lookup(void **state)
{
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "GET / HTTP/1.1\r\n"
			   "X-Thing: first\r\n"
			   "content-length: 0\r\n"
			   "x-thing: second\r\n\r\n");
	req = http_parser_request(p);
	assert_string_equal(http_request_header(req, "Content-Length"), "0");
	assert_string_equal(http_request_header(req, "CONTENT-LENGTH"), "0");
	assert_string_equal(http_request_header(req, "x-THING"), "first");
	assert_null(http_request_header(req, "Cookie"));
	assert_null(http_request_header(req, "X-Thin"));
	http_parser_free(p);
}

static void
test_http_value_trim(void **state)
{
	struct http_parser *p;
	const struct http_request *req;

	(void)state;
	p = parse_ok(NULL, "GET / HTTP/1.1\r\n"
			   "A: \t two words \t\r\n"
			   "B:\r\n"
			   "C:   \r\n\r\n");
	req = http_parser_request(p);
	assert_string_equal(http_request_header(req, "A"), "two words");
	assert_string_equal(http_request_header(req, "B"), "");
	assert_string_equal(http_request_header(req, "C"), "");
	http_parser_free(p);
}

static void
test_http_get_length_zero(void **state)
{
	struct http_parser *p;

	(void)state;
	p = parse_ok(NULL, "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(http_parser_request(p)->body_len, 0);
	http_parser_free(p);
}

static void
test_http_same_lengths(void **state)
{
	struct http_parser *p;

	(void)state;
	p = parse_ok(NULL, "POST / HTTP/1.1\r\nContent-Length: 2\r\n"
			   "Content-Length: 02\r\n\r\nok");
	assert_int_equal(http_parser_request(p)->body_len, 2);
	http_parser_free(p);
}

static void
test_http_line_limit(void **state)
{
	char *line = request_line_make(small_limits.request_line_max);
	char *too_long = request_line_make(small_limits.request_line_max + 1);
	char request[128];
	struct http_parser *p;

	(void)state;
	snprintf(request, sizeof(request), "%s\r\n\r\n", line);
	p = parse_ok(&small_limits, request);
	http_parser_free(p);

	snprintf(request, sizeof(request), "%s\r\n\r\n", too_long);
	check_rejected_with(&small_limits, request, 414);
	free(line);
	free(too_long);
}

static void
test_http_line_default(void **state)
{
	char *too_long = request_line_make(HTTP_REQUEST_LINE_MAX + 1);

	(void)state;
	check_rejected(too_long, 414);
	free(too_long);
}

/* A string of n copies of c, for long paths and header values. */
static char *
repeat(char c, size_t n)
{
	char *text = malloc(n + 1);

	assert_non_null(text);
	memset(text, c, n);
	text[n] = '\0';
	return text;
}

static void
check_all(const char *text, char c, size_t n)
{
	size_t i;

	assert_int_equal(strlen(text), n);
	for (i = 0; i < n; i++)
		assert_int_equal(text[i], c);
}

/*
 * A head far beyond the first buffer, fed a byte at a time so that the
 * buffer grows while the request line and earlier headers are stored:
 * every field must still read back whole.
 */
static void
test_http_head_grows(void **state)
{
	char *path = repeat('p', 3000), *b = repeat('b', 6000);
	char *c = repeat('c', 5000), *request = malloc(15000);
	struct http_parser *p = http_parser_new(NULL);
	const struct http_request *req;
	size_t i, consumed;

	(void)state;
	assert_non_null(request);
	assert_non_null(p);
	snprintf(request, 15000, "POST /%s?q=1 HTTP/1.1\r\nA: short\r\n"
		 "B: %s\r\nC: %s\r\n\r\n", path, b, c);
	for (i = 0; request[i + 1] != '\0'; i++)
		assert_int_equal(feed_bytes(p, request + i, 1, &consumed),
				 HTTP_PARSE_INCOMPLETE);
	assert_int_equal(feed_bytes(p, request + i, 1, &consumed),
			 HTTP_PARSE_DONE);

	req = http_parser_request(p);
	assert_non_null(req);
	assert_string_equal(req->method_name, "POST");
	assert_int_equal(req->path[0], '/');
	check_all(req->path + 1, 'p', 3000);
	assert_string_equal(req->query, "q=1");
	assert_int_equal(strncmp(req->target, req->path, 3001), 0);
	assert_int_equal(req->nheaders, 3);
	assert_string_equal(http_request_header(req, "A"), "short");
	check_all(http_request_header(req, "B"), 'b', 6000);
	check_all(http_request_header(req, "C"), 'c', 5000);

	/* The grown buffer serves the next request on the connection. */
	http_parser_reset(p);
	assert_int_equal(feed_string(p, "GET /x HTTP/1.1\r\nD: e\r\n\r\n",
				     &consumed), HTTP_PARSE_DONE);
	req = http_parser_request(p);
	assert_string_equal(req->path, "/x");
	assert_null(req->query);
	assert_string_equal(http_request_header(req, "D"), "e");
	assert_null(http_request_header(req, "B"));

	http_parser_free(p);
	free(request);
	free(path);
	free(b);
	free(c);
}

/*
 * A header line that fills the first 1 KiB buffer to its last byte, then
 * the blank line, whose NUL lies just past it: the buffer must grow for
 * it. Sizes: "GET / HTTP/1.1" ends at 14, the path "/" at 16, so the
 * header line starts at offset 17.
 */
static void
test_http_blank_line_at_buffer_end(void **state)
{
	char *value = repeat('v', 1024 - 17 - 4);
	char request[1100];
	struct http_parser *p;

	(void)state;
	snprintf(request, sizeof(request), "GET / HTTP/1.1\r\nX: %s\r\n\r\n",
		 value);
	p = parse_ok(NULL, request);
	check_all(http_request_header(http_parser_request(p), "X"), 'v',
		  1024 - 17 - 4);
	http_parser_free(p);
	free(value);
}

/* A request line and a header section at the default maximum lengths. */
static void
test_http_largest_head(void **state)
{
	char *line = request_line_make(HTTP_REQUEST_LINE_MAX);
	char *value = repeat('v', HTTP_HEADER_BYTES_MAX - 7);
	size_t len = strlen(line) + strlen(value) + 16;
	char *request = malloc(len);
	const struct http_request *req;
	struct http_parser *p;

	(void)state;
	assert_non_null(request);
	snprintf(request, len, "%s\r\nX: %s\r\n\r\n", line, value);
	p = parse_ok(NULL, request);
	req = http_parser_request(p);
	check_all(req->path + 1, 'a', HTTP_REQUEST_LINE_MAX - 14);
	check_all(http_request_header(req, "X"), 'v',
		  HTTP_HEADER_BYTES_MAX - 7);
	http_parser_free(p);
	free(request);
	free(value);
	free(line);
}

static void
test_http_count_limit(void **state)
{
	struct http_parser *p;

	(void)state;
	p = parse_ok(&small_limits, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n");
	http_parser_free(p);
	check_rejected_with(&small_limits,
			    "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
			    431);
}

static void
test_http_count_default(void **state)
{
	char request[2048] = "GET / HTTP/1.1\r\n";
	size_t i;

	(void)state;
	for (i = 0; i <= HTTP_HEADER_COUNT_MAX; i++)
		strcat(request, "X: y\r\n");

	strcat(request, "\r\n");
	check_rejected(request, 431);
}

/*
 * The header section counts every byte after the request line, the
 * blank line included: "X: " + value + CRLF + CRLF.
 */
static void
test_http_bytes_limit(void **state)
{
	size_t fits = small_limits.header_bytes_max - 3 - 4;
	char request[256];
	struct http_parser *p;

	(void)state;
	snprintf(request, sizeof(request), "GET / HTTP/1.1\r\nX: %0*d\r\n\r\n",
		 (int)fits, 0);
	p = parse_ok(&small_limits, request);
	assert_int_equal(strlen(http_request_header(http_parser_request(p),
						    "X")), fits);
	http_parser_free(p);

	snprintf(request, sizeof(request), "GET / HTTP/1.1\r\nX: %0*d\r\n\r\n",
		 (int)fits + 1, 0);
	check_rejected_with(&small_limits, request, 431);
}

static void
test_http_bytes_default(void **state)
{
	const char *prefix = "GET / HTTP/1.1\r\nX: ";
	size_t prefix_len = strlen(prefix);
	char *request = malloc(prefix_len + HTTP_HEADER_BYTES_MAX + 5);

	(void)state;
	assert_non_null(request);
	memcpy(request, prefix, prefix_len);
	memset(request + prefix_len, 'v', HTTP_HEADER_BYTES_MAX);
	strcpy(request + prefix_len + HTTP_HEADER_BYTES_MAX, "\r\n\r\n");
	check_rejected(request, 431);
	free(request);
}

static void
test_http_body_limit(void **state)
{
	struct http_parser *p;

	(void)state;
	p = parse_ok(&small_limits, "POST / HTTP/1.1\r\nContent-Length: 16\r\n"
				    "\r\n0123456789abcdef");
	assert_int_equal(http_parser_request(p)->body_len, 16);
	http_parser_free(p);
	check_rejected_with(&small_limits, "POST / HTTP/1.1\r\n"
			    "Content-Length: 17\r\n\r\n", 413);
}

static void
test_http_body_default(void **state)
{
	(void)state;
	check_rejected("POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413);
}

static void
test_http_length_overflow(void **state)
{
	(void)state;
	check_rejected("POST / HTTP/1.1\r\n"
		       "Content-Length: 99999999999999999999999999\r\n\r\n",
		       413);
}

static void
test_http_bare_lf(void **state)
{
	(void)state;
	check_rejected_reason("GET / HTTP/1.1\n\n", 400,
			      "line ends in LF without CR");
	check_rejected("GET / HTTP/1.1\r\nHost: h\n\r\n", 400);
}

static void
test_http_bare_cr(void **state)
{
	(void)state;
	check_rejected_reason("GET / HTTP/1.1\rX\r\n\r\n", 400,
			      "CR not followed by LF");
	check_rejected("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
}

static void
test_http_missing_version(void **state)
{
	(void)state;
	check_rejected_reason("GET /\r\n\r\n", 400,
			      "request line without HTTP version");
	check_rejected("GET\r\n\r\n", 400);
	check_rejected("\r\n", 400);
}

static void
test_http_bad_version(void **state)
{
	(void)state;
	check_rejected_reason("GET / HTTP/2.0\r\n\r\n", 505,
			      "unsupported HTTP version");
	check_rejected("GET / HTTP/1.2\r\n\r\n", 505);
	check_rejected("GET / HTTP/0.9\r\n\r\n", 505);
	check_rejected("GET / HTTP/1\r\n\r\n", 400);
	check_rejected("GET / http/1.1\r\n\r\n", 400);
	check_rejected("GET / HTTP/1.1 \r\n\r\n", 400);
	check_rejected("GET /  HTTP/1.1\r\n\r\n", 400);
}

static void
test_http_bad_method(void **state)
{
	(void)state;
	check_rejected(" / HTTP/1.1\r\n\r\n", 400);
	check_rejected("GE(T / HTTP/1.1\r\n\r\n", 400);
}

static void
test_http_bad_target(void **state)
{
	(void)state;
	check_rejected_reason("GET http://h/ HTTP/1.1\r\n\r\n", 400,
			      "request target does not start with '/'");
	check_rejected("OPTIONS * HTTP/1.1\r\n\r\n", 400);
	check_rejected("CONNECT h:443 HTTP/1.1\r\n\r\n", 400);
	check_rejected("GET /a\tb HTTP/1.1\r\n\r\n", 400);
	check_rejected("GET /a\x7f HTTP/1.1\r\n\r\n", 400);
	check_rejected("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 400);
	check_rejected("GET /a#frag HTTP/1.1\r\n\r\n", 400);
}

static void
test_http_space_before_colon(void **state)
{
	(void)state;
	check_rejected_reason("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400,
			      "whitespace in header name");
	check_rejected("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400);
}

static void
test_http_bad_header_name(void **state)
{
	(void)state;
	check_rejected("GET / HTTP/1.1\r\n: h\r\n\r\n", 400);
	check_rejected("GET / HTTP/1.1\r\nA(b: h\r\n\r\n", 400);
	check_rejected_reason("GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400,
			      "header line without colon");
}

static void
test_http_obs_fold(void **state)
{
	(void)state;
	check_rejected_reason("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400,
			      "obsolete line folding");
	check_rejected("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400);
}

static void
test_http_control_in_value(void **state)
{
	(void)state;
	check_rejected("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400);
	check_rejected("GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n", 400);
}

static void
test_http_bad_length(void **state)
{
	(void)state;
	check_rejected_reason("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
			      400, "Content-Length is not a decimal number");
	check_rejected("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	check_rejected("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400);
	check_rejected("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400);
	check_rejected("POST / HTTP/1.1\r\nContent-Length: 5,5\r\n\r\n", 400);
	check_rejected("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
	check_rejected("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
}

static void
test_http_length_conflict(void **state)
{
	(void)state;
	check_rejected_reason("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
			      "Content-Length: 4\r\n\r\nabcd", 400,
			      "conflicting Content-Length values");
}

static void
test_http_transfer_encoding(void **state)
{
	(void)state;
	check_rejected_reason("POST / HTTP/1.1\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n"
			      "0\r\n\r\n", 501,
			      "Transfer-Encoding is not supported");
	check_rejected("POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n"
		       "\r\n", 501);
	check_rejected("POST / HTTP/1.1\r\nContent-Length: 4\r\n"
		       "Transfer-Encoding: chunked\r\n\r\n", 501);
}

static void
test_http_duplicate_host(void **state)
{
	(void)state;
	check_rejected_reason("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
			      400, "duplicate Host header");
}

static void
test_http_nul_byte(void **state)
{
	static const char in_line[] = "GET /\0 HTTP/1.1\r\n\r\n";
	static const char in_name[] = "GET / HTTP/1.1\r\nX\0: y\r\n\r\n";
	static const char in_value[] = "GET / HTTP/1.1\r\nX: \0y\r\n\r\n";

	(void)state;
	check_rejected_bytes(NULL, in_line, sizeof(in_line) - 1, 400);
	check_rejected_bytes(NULL, in_name, sizeof(in_name) - 1, 400);
	check_rejected_bytes(NULL, in_value, sizeof(in_value) - 1, 400);
}

static void
test_http_nul_in_body(void **state)
{
	static const char s[] = "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				"\r\na\0b";
	struct http_parser *p = http_parser_new(NULL);
	const struct http_request *req;
	size_t consumed;

	(void)state;
	assert_non_null(p);
	assert_int_equal(feed_bytes(p, s, sizeof(s) - 1, &consumed),
			 HTTP_PARSE_DONE);
	req = http_parser_request(p);
	assert_int_equal(req->body_len, 3);
	assert_memory_equal(req->body, "a\0b", 3);
	http_parser_free(p);
}

static void
test_http_trailing_bytes(void **state)
{
	const char *head = "GET / HTTP/1.1\r\n\r\n";
	const char *post = "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
	char buf[128];
	struct http_parser *p = http_parser_new(NULL);
	size_t consumed;

	(void)state;
	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%sEXTRA", head);
	assert_int_equal(feed_string(p, buf, &consumed), HTTP_PARSE_DONE);
	assert_int_equal(consumed, strlen(head));
	assert_int_equal(feed_string(p, "more", &consumed), HTTP_PARSE_DONE);
	assert_int_equal(consumed, 0);

	http_parser_reset(p);
	snprintf(buf, sizeof(buf), "%sGET", post);
	assert_int_equal(feed_string(p, buf, &consumed), HTTP_PARSE_DONE);
	assert_int_equal(consumed, strlen(post));
	assert_string_equal((const char *)http_parser_request(p)->body, "ok");
	http_parser_free(p);
}

static void
test_http_reset_second(void **state)
{
	const char *two = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
			  "GET /b HTTP/1.0\r\nCookie: webvpn=1\r\n\r\n";
	struct http_parser *p = http_parser_new(NULL);
	const struct http_request *req;
	size_t first;
	size_t second;

	(void)state;
	assert_non_null(p);
	assert_int_equal(feed_string(p, two, &first), HTTP_PARSE_DONE);
	assert_string_equal(http_parser_request(p)->path, "/a");

	http_parser_reset(p);
	assert_null(http_parser_request(p));
	assert_int_equal(feed_string(p, two + first, &second),
			 HTTP_PARSE_DONE);
	assert_int_equal(first + second, strlen(two));
	req = http_parser_request(p);
	assert_int_equal(req->method, HTTP_METHOD_GET);
	assert_string_equal(req->path, "/b");
	assert_int_equal(req->version_minor, 0);
	assert_int_equal(req->nheaders, 1);
	assert_int_equal(req->body_len, 0);
	assert_string_equal((const char *)req->body, "");
	assert_null(http_request_header(req, "Content-Length"));
	http_parser_free(p);
}

static void
test_http_reset_after_error(void **state)
{
	struct http_parser *p = http_parser_new(NULL);
	size_t consumed;

	(void)state;
	assert_non_null(p);
	assert_int_equal(feed_string(p, "GET / HTTP/1.1\n", &consumed),
			 HTTP_PARSE_ERROR);
	assert_int_equal(feed_string(p, "\r\n", &consumed), HTTP_PARSE_ERROR);
	assert_int_equal(consumed, 0);

	http_parser_reset(p);
	assert_int_equal(http_parser_status(p), 0);
	assert_null(http_parser_error(p));
	assert_int_equal(feed_string(p, "GET / HTTP/1.1\r\n\r\n", &consumed),
			 HTTP_PARSE_DONE);
	http_parser_free(p);
}

static void
test_http_error_consumed(void **state)
{
	struct http_parser *p = http_parser_new(NULL);
	size_t consumed;

	(void)state;
	assert_non_null(p);
	assert_int_equal(feed_string(p, "GET / HTTP/1.1\nHost: h\r\n",
				     &consumed), HTTP_PARSE_ERROR);
	assert_int_equal(consumed, strlen("GET / HTTP/1.1\n"));
	assert_string_equal(http_parser_error(p),
			    "line ends in LF without CR");
	http_parser_free(p);
}

static void
test_http_zero_headers(void **state)
{
	struct http_limits lim = small_limits;
	struct http_parser *p;

	(void)state;
	lim.header_count_max = 0;
	p = parse_ok(&lim, "GET / HTTP/1.1\r\n\r\n");
	http_parser_free(p);
	check_rejected_with(&lim, "GET / HTTP/1.1\r\nA: 1\r\n\r\n", 431);
}

static void
test_http_huge_limits(void **state)
{
	struct http_limits lim;

	(void)state;
	http_limits_default(&lim);
	lim.request_line_max = SIZE_MAX;
	errno = 0;
	assert_null(http_parser_new(&lim));
	assert_int_equal(errno, EINVAL);

	http_limits_default(&lim);
	lim.body_max = SIZE_MAX;
	errno = 0;
	assert_null(http_parser_new(&lim));
	assert_int_equal(errno, EINVAL);
}

static void
test_cookie_positions(void **state)
{
	const char *header = "a=1; webvpn=XYZ; b=2";
	char out[16];

	(void)state;
	assert_true(http_cookie_get(header, "a", out, sizeof(out)));
	assert_string_equal(out, "1");
	assert_true(http_cookie_get(header, "webvpn", out, sizeof(out)));
	assert_string_equal(out, "XYZ");
	assert_true(http_cookie_get(header, "b", out, sizeof(out)));
	assert_string_equal(out, "2");
	assert_true(http_cookie_get("webvpn=only", "webvpn", out,
				    sizeof(out)));
	assert_string_equal(out, "only");
}

static void
test_cookie_absent(void **state)
{
	const char *header = "xwebvpn=1; webvpnx=2; WEBVPN=3; webvpn";
	char out[16] = "junk";

	(void)state;
	assert_false(http_cookie_get(header, "webvpn", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(http_cookie_get("", "webvpn", out, sizeof(out)));
	assert_false(http_cookie_get("a=1", "", out, sizeof(out)));
	assert_false(http_cookie_get("a=1;b=2", "c", out, sizeof(out)));
}

static void
test_cookie_first_wins(void **state)
{
	char out[16];

	(void)state;
	assert_true(http_cookie_get("s=one; s=two", "s", out, sizeof(out)));
	assert_string_equal(out, "one");
}

static void
test_cookie_spacing(void **state)
{
	char out[16];

	(void)state;
	assert_true(http_cookie_get("a=1;b=2 ;  c=3\t", "b", out,
				    sizeof(out)));
	assert_string_equal(out, "2");
	assert_true(http_cookie_get("a=1;b=2 ;  c=3\t", "c", out,
				    sizeof(out)));
	assert_string_equal(out, "3");
	assert_true(http_cookie_get("a=; b=2", "a", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(http_cookie_get("a=x=y", "a", out, sizeof(out)));
	assert_string_equal(out, "x=y");
	assert_true(http_cookie_get("a=\"q\"", "a", out, sizeof(out)));
	assert_string_equal(out, "\"q\"");
}

static void
test_cookie_too_long(void **state)
{
	char out[4] = "zzz";

	(void)state;
	assert_false(http_cookie_get("a=1; webvpn=ABCD", "webvpn", out,
				     sizeof(out)));
	assert_string_equal(out, "");
	assert_true(http_cookie_get("a=1; webvpn=ABC", "webvpn", out,
				    sizeof(out)));
	assert_string_equal(out, "ABC");
	assert_false(http_cookie_get("a=1", "a", out, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get),
		cmocka_unit_test(test_http_get_no_query),
		cmocka_unit_test(test_http_empty_query),
		cmocka_unit_test(test_http_post_body),
		cmocka_unit_test(test_http_connect_cookie),
		cmocka_unit_test(test_http_connection_close),
		cmocka_unit_test(test_http_other_method),
		cmocka_unit_test(test_http_byte_by_byte),
		cmocka_unit_test(test_http_empty_feed),
		cmocka_unit_test(test_http_header_lookup),
		cmocka_unit_test(test_http_value_trim),
		cmocka_unit_test(test_http_get_length_zero),
		cmocka_unit_test(test_http_same_lengths),
		cmocka_unit_test(test_http_line_limit),
		cmocka_unit_test(test_http_line_default),
		cmocka_unit_test(test_http_head_grows),
		cmocka_unit_test(test_http_blank_line_at_buffer_end),
		cmocka_unit_test(test_http_largest_head),
		cmocka_unit_test(test_http_count_limit),
		cmocka_unit_test(test_http_count_default),
		cmocka_unit_test(test_http_bytes_limit),
		cmocka_unit_test(test_http_bytes_default),
		cmocka_unit_test(test_http_body_limit),
		cmocka_unit_test(test_http_body_default),
		cmocka_unit_test(test_http_length_overflow),
		cmocka_unit_test(test_http_bare_lf),
		cmocka_unit_test(test_http_bare_cr),
		cmocka_unit_test(test_http_missing_version),
		cmocka_unit_test(test_http_bad_version),
		cmocka_unit_test(test_http_bad_method),
		cmocka_unit_test(test_http_bad_target),
		cmocka_unit_test(test_http_space_before_colon),
		cmocka_unit_test(test_http_bad_header_name),
		cmocka_unit_test(test_http_obs_fold),
		cmocka_unit_test(test_http_control_in_value),
		cmocka_unit_test(test_http_bad_length),
		cmocka_unit_test(test_http_length_conflict),
		cmocka_unit_test(test_http_transfer_encoding),
		cmocka_unit_test(test_http_duplicate_host),
		cmocka_unit_test(test_http_nul_byte),
		cmocka_unit_test(test_http_nul_in_body),
		cmocka_unit_test(test_http_trailing_bytes),
		cmocka_unit_test(test_http_reset_second),
		cmocka_unit_test(test_http_reset_after_error),
		cmocka_unit_test(test_http_error_consumed),
		cmocka_unit_test(test_http_zero_headers),
		cmocka_unit_test(test_http_huge_limits),
		cmocka_unit_test(test_cookie_positions),
		cmocka_unit_test(test_cookie_absent),
		cmocka_unit_test(test_cookie_first_wins),
		cmocka_unit_test(test_cookie_spacing),
		cmocka_unit_test(test_cookie_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
