/*
 * Fuzz the HTTP request parser. The first byte picks the limits and the
 * size of the pieces the input is fed in; the rest is the byte stream of
 * one connection, which may hold several pipelined requests. The stream
 * is parsed twice, in one piece and in small pieces, and both runs must
 * agree, because TCP may split a request anywhere.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

/* Small limits, so that short inputs reach every limit check. */
static const struct http_limits fuzz_small_limits = {
	.request_line_max = 64,
	.header_count_max = 4,
	.header_bytes_max = 256,
	.body_max = 128,
};

struct fuzz_outcome {
	enum http_parse_result result;
	int		status;
	size_t		consumed;	/* bytes of the stream used in all */
	size_t		requests;	/* requests parsed to DONE */
};

/* Use a parsed request the way the connection code does. */
static void
fuzz_check_request(const struct http_request *req)
{
	const char *cookie;
	char value[64];
	size_t i;

	FUZZ_CHECK(req->method_name != NULL && req->target != NULL);
	FUZZ_CHECK(req->path != NULL && req->target[0] == '/');
	FUZZ_CHECK(req->body != NULL && req->body[req->body_len] == '\0');
	for (i = 0; i < req->nheaders; i++)
		FUZZ_CHECK(http_request_header(req,
		    req->headers[i].name) != NULL);
	cookie = http_request_header(req, "Cookie");
	if (cookie != NULL && http_cookie_get(cookie, "webvpn", value,
	    sizeof(value)))
		FUZZ_CHECK(strlen(value) < sizeof(value));
}

/*
 * Feed the stream in pieces of at most step bytes; after each request,
 * reset the parser and go on with the bytes left over, as a keep-alive
 * connection does.
 */
static void
fuzz_parse(const struct http_limits *lim, const uint8_t *data, size_t size,
    size_t step, struct fuzz_outcome *out)
{
	struct http_parser *p = http_parser_new(lim);
	enum http_parse_result r = HTTP_PARSE_INCOMPLETE;
	size_t off = 0, used, n;

	memset(out, 0, sizeof(*out));
	if (p == NULL)
		abort();
	while (off < size && r != HTTP_PARSE_ERROR) {
		n = size - off < step ? size - off : step;
		r = http_parser_feed(p, data + off, n, &used);
		FUZZ_CHECK(used <= n);
		off += used;
		if (r == HTTP_PARSE_DONE) {
			fuzz_check_request(http_parser_request(p));
			out->requests++;
			http_parser_reset(p);
		} else if (r == HTTP_PARSE_INCOMPLETE) {
			FUZZ_CHECK(used == n);
		}
	}
	if (r == HTTP_PARSE_ERROR) {
		FUZZ_CHECK(http_parser_error(p) != NULL);
		FUZZ_CHECK(http_parser_request(p) == NULL);
	}
	out->result = r;
	out->status = http_parser_status(p);
	out->consumed = off;
	http_parser_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_outcome whole, pieces;
	const struct http_limits *lim = NULL;
	size_t step;

	if (size < 1)
		return (0);
	if (data[0] & 0x80)
		lim = &fuzz_small_limits;
	step = (data[0] & 0x0f) + 1;
	data++;
	size--;

	fuzz_parse(lim, data, size, size, &whole);
	fuzz_parse(lim, data, size, step, &pieces);
	FUZZ_CHECK(whole.result == pieces.result);
	FUZZ_CHECK(whole.status == pieces.status);
	FUZZ_CHECK(whole.requests == pieces.requests);
	/* The header leaves the bytes consumed by a bad request open. */
	if (whole.result != HTTP_PARSE_ERROR)
		FUZZ_CHECK(whole.consumed == pieces.consumed);
	return (0);
}
