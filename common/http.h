/*
 * Incremental, strict HTTP/1.1 request parser. It does no I/O. The
 * connection code feeds it bytes as they arrive (after TLS) and calls
 * http_parser_request() once the parser reports HTTP_PARSE_DONE. Every
 * byte before authentication is hostile, so the parser accepts only the
 * subset of RFC 9112 that openconnect, AnyConnect and Cisco IP phones
 * send, and bounds every buffer by struct http_limits.
 *
 * Rejected with 400: lines not ending in CRLF, NUL bytes in the head, a
 * target not starting with '/' (CONNECT included), whitespace before a
 * header colon, obs-fold, control characters in values, a malformed or
 * conflicting Content-Length, and a second Host header. Rejected with
 * 501: any Transfer-Encoding. The body length comes from Content-Length
 * only, so a request without it has an empty body.
 */
#ifndef HEADEND_HTTP_H
#define HEADEND_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_REQUEST_LINE_MAX	8192
#define HTTP_HEADER_COUNT_MAX	64
#define HTTP_HEADER_BYTES_MAX	16384
#define HTTP_BODY_MAX		65536

struct http_limits {
	size_t	request_line_max;	/* bytes, CRLF excluded */
	size_t	header_count_max;
	size_t	header_bytes_max;	/* header section with all CRLFs */
	size_t	body_max;		/* bytes */
};

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_POST,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER,
};

/* Name and value point into parser-owned storage. */
struct http_header {
	const char	*name;
	const char	*value;	/* surrounding spaces and tabs removed */
};

/*
 * A parsed request. All pointers stay valid until the parser is reset or
 * freed.
 */
struct http_request {
	enum http_method method;
	const char	*method_name;	/* as sent, case-sensitive */
	const char	*target;	/* as sent, e.g. "/phones?x=1" */
	const char	*path;		/* target without the query */
	const char	*query;		/* text after the first '?', or NULL */
	int		version_minor;	/* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	struct http_header *headers;	/* in the order received */
	size_t		nheaders;
	const unsigned char *body;	/* NUL-terminated, "" when empty */
	size_t		body_len;	/* NUL excluded */
};

enum http_parse_result {
	HTTP_PARSE_INCOMPLETE,
	HTTP_PARSE_DONE,
	HTTP_PARSE_ERROR,
};

struct http_parser;

void
http_limits_default(struct http_limits *lim);

/*
 * Allocate a parser with lim copied (NULL means the defaults). The head
 * buffer starts at 1 KiB and grows with the request, up to about
 * 2 * request_line_max + header_bytes_max. The body buffer is allocated
 * when the first body arrives. Returns NULL with errno set on failure.
 */
struct http_parser *
http_parser_new(const struct http_limits *lim);

/* Free the parser after wiping the request it holds. NULL is a no-op. */
void
http_parser_free(struct http_parser *p);

/*
 * Prepare for the next request on the same connection. The previous
 * request's storage is wiped, so its pointers become invalid.
 */
void
http_parser_reset(struct http_parser *p);

/*
 * Consume up to len bytes of the request and set *consumed to the number
 * used. Once the result is HTTP_PARSE_DONE, bytes after the end of the
 * request are left unconsumed for the next request. After DONE or ERROR,
 * further calls consume nothing and return the same result until reset.
 */
enum http_parse_result
http_parser_feed(struct http_parser *p, const void *data, size_t len,
		 size_t *consumed);

/* Returns the parsed request after DONE, otherwise NULL. */
const struct http_request *
http_parser_request(const struct http_parser *p);

/*
 * Returns the HTTP status to send after ERROR: 400, 413, 414, 431, 501,
 * 505, or 500 when the body buffer could not be allocated. Returns 0
 * before an error.
 */
int
http_parser_status(const struct http_parser *p);

/*
 * Returns the reason for the error, for the log, after ERROR, otherwise
 * NULL. The text never quotes the request.
 */
const char *
http_parser_error(const struct http_parser *p);

/* Returns the value of the first header named name (any case), or NULL. */
const char *
http_request_header(const struct http_request *req, const char *name);

/*
 * Return whether a Connection header of req lists the token "close" (any
 * case), so the client wants the connection closed after the response.
 * An HTTP/1.0 request without it keeps the connection open as well: how
 * phones use HTTP/1.0 is not known, and they may send the next request
 * on the same connection.
 */
bool
http_request_wants_close(const struct http_request *req);

/*
 * Copy the value of the first cookie named name (case-sensitive) from a
 * Cookie header value such as "a=1; webvpn=XYZ; b=2" into out. Returns
 * false when the cookie is absent or its value does not fit in outlen
 * bytes with the NUL, and never truncates (out is then "" if outlen > 0).
 * Quotes around a value are kept.
 */
bool
http_cookie_get(const char *cookie_header, const char *name, char *out,
		size_t outlen);

#endif
