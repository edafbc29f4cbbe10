/*
 * Strict HTTP/1.1 request parser. The head is read one byte at a time
 * into a buffer that starts small and grows up to the size the limits
 * allow, so that an idle connection uses little memory. A move of the
 * buffer rebases every pointer into it, and the head stops growing once
 * it is complete, so the pointers in struct http_request stay valid. The
 * body is copied in bulk once its length is known from Content-Length.
 */
#include "http.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum http_state {
	HTTP_STATE_REQUEST_LINE,
	HTTP_STATE_HEADERS,
	HTTP_STATE_BODY,
	HTTP_STATE_DONE,
	HTTP_STATE_ERROR,
};

struct http_parser {
	struct http_limits lim;
	enum http_state	state;
	bool		saw_cr;		/* the previous byte was CR */

	/*
	 * One buffer contains the request line at offset 0, then the path
	 * copied from it, then the header lines, each NUL-terminated.
	 */
	char		*head;
	size_t		head_cap;	/* allocated bytes */
	size_t		head_max;	/* the most the limits need */
	size_t		path_off;	/* path, behind the request line */
	size_t		header_off;	/* header lines, behind the path */
	size_t		line_len;	/* bytes of the current line so far */
	size_t		header_used;	/* bytes of header lines stored */
	size_t		header_bytes;	/* header section so far, with CRLFs */
	struct http_header *headers;	/* header_count_max entries */

	bool		have_length;
	bool		have_host;
	size_t		content_length;
	unsigned char	*body;
	size_t		body_size;	/* allocated bytes of body */
	size_t		body_received;

	int		status;
	const char	*error;
	struct http_request req;
};

void
http_limits_default(struct http_limits *lim)
{
	lim->request_line_max = HTTP_REQUEST_LINE_MAX;
	lim->header_count_max = HTTP_HEADER_COUNT_MAX;
	lim->header_bytes_max = HTTP_HEADER_BYTES_MAX;
	lim->body_max = HTTP_BODY_MAX;
}

/* Initial size of the head buffer, in bytes. */
#define HTTP_HEAD_INITIAL	1024

/*
 * Returns the size of the head allocation, or 0 when a limit is so large
 * that this size or the body size plus its NUL would overflow.
 */
static size_t
http_head_size(const struct http_limits *lim)
{
	size_t line = lim->request_line_max;
	size_t headers = lim->header_bytes_max;

	if (line > SIZE_MAX / 4 || headers > SIZE_MAX / 4)
		return 0;

	if (lim->body_max > SIZE_MAX / 2)
		return 0;

	return 2 * (line + 1) + headers + 1;
}

struct http_parser *
http_parser_new(const struct http_limits *lim)
{
	struct http_parser *p;
	size_t count;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;

	if (lim)
		p->lim = *lim;
	else
		http_limits_default(&p->lim);

	p->head_max = http_head_size(&p->lim);
	if (p->head_max == 0) {
		free(p);
		errno = EINVAL;
		return NULL;
	}

	/* calloc(0) may return NULL, which would look like a failure. */
	count = p->lim.header_count_max ? p->lim.header_count_max : 1;
	p->head_cap = p->head_max < HTTP_HEAD_INITIAL ? p->head_max :
	    HTTP_HEAD_INITIAL;
	p->head = calloc(1, p->head_cap);
	p->headers = calloc(count, sizeof(*p->headers));
	if (!p->head || !p->headers) {
		http_parser_free(p);
		errno = ENOMEM;
		return NULL;
	}

	http_parser_reset(p);
	return p;
}

/* Cookies and passwords pass through these buffers. */
static void
http_parser_wipe(struct http_parser *p)
{
	if (p->head)
		explicit_bzero(p->head, p->head_cap);

	if (p->body)
		explicit_bzero(p->body, p->body_size);
}

void
http_parser_free(struct http_parser *p)
{
	if (!p)
		return;

	http_parser_wipe(p);
	free(p->head);
	free(p->headers);
	free(p->body);
	free(p);
}

void
http_parser_reset(struct http_parser *p)
{
	http_parser_wipe(p);
	p->state = HTTP_STATE_REQUEST_LINE;
	p->saw_cr = false;
	p->line_len = 0;
	p->path_off = 0;
	p->header_off = 0;
	p->header_used = 0;
	p->header_bytes = 0;
	p->have_length = false;
	p->have_host = false;
	p->content_length = 0;
	p->body_received = 0;
	p->status = 0;
	p->error = NULL;

	memset(&p->req, 0, sizeof(p->req));
	p->req.headers = p->headers;
	p->req.body = (const unsigned char *)"";
}

static enum http_parse_result
http_fail(struct http_parser *p, int status, const char *error)
{
	p->state = HTTP_STATE_ERROR;
	p->status = status;
	p->error = error;
	return HTTP_PARSE_ERROR;
}

static bool
http_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 tchar, the characters of methods and header names. */
static bool
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;

	if (http_is_digit((char)c))
		return true;

	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static enum http_method
http_method_from_name(const char *name)
{
	if (strcmp(name, "GET") == 0)
		return HTTP_METHOD_GET;

	if (strcmp(name, "POST") == 0)
		return HTTP_METHOD_POST;

	if (strcmp(name, "CONNECT") == 0)
		return HTTP_METHOD_CONNECT;

	if (strcmp(name, "HEAD") == 0)
		return HTTP_METHOD_HEAD;

	return HTTP_METHOD_OTHER;
}

static enum http_parse_result
http_method_parse(struct http_parser *p, const char *name)
{
	const char *c;

	if (*name == '\0')
		return http_fail(p, 400, "empty method");

	for (c = name; *c; c++) {
		if (!http_is_tchar((unsigned char)*c))
			return http_fail(p, 400, "invalid character in method");
	}

	p->req.method_name = name;
	p->req.method = http_method_from_name(name);
	return HTTP_PARSE_INCOMPLETE;
}

/*
 * Accept origin-form only, even for CONNECT, because clients of this
 * protocol send "CONNECT /CSCOSSLC/tunnel". A fragment never belongs in
 * a request target, so '#' is rejected with the other non-URI bytes.
 */
static enum http_parse_result
http_target_parse(struct http_parser *p, const char *target)
{
	const char *c;
	const char *query;
	size_t path_len;

	if (target[0] != '/')
		return http_fail(p, 400,
				 "request target does not start with '/'");

	for (c = target; *c; c++) {
		unsigned char byte = (unsigned char)*c;

		if (byte <= ' ' || byte >= 0x7f || byte == '#')
			return http_fail(p, 400,
					 "invalid character in request target");
	}

	query = strchr(target, '?');
	path_len = query ? (size_t)(query - target) : strlen(target);
	/* http_line_end reserved room for the path behind the line. */
	memcpy(p->head + p->path_off, target, path_len);
	p->head[p->path_off + path_len] = '\0';
	p->header_off = p->path_off + path_len + 1;

	p->req.target = target;
	p->req.path = p->head + p->path_off;
	p->req.query = query ? query + 1 : NULL;
	return HTTP_PARSE_INCOMPLETE;
}

/* Versions other than 1.0 and 1.1 are well-formed but unsupported: 505. */
static enum http_parse_result
http_version_parse(struct http_parser *p, const char *version)
{
	if (strlen(version) != 8 || strncmp(version, "HTTP/", 5) != 0)
		return http_fail(p, 400, "malformed HTTP version");

	if (!http_is_digit(version[5]) || version[6] != '.' ||
	    !http_is_digit(version[7]))
		return http_fail(p, 400, "malformed HTTP version");

	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return http_fail(p, 505, "unsupported HTTP version");

	p->req.version_minor = version[7] - '0';
	return HTTP_PARSE_INCOMPLETE;
}

/* Splits "METHOD SP target SP HTTP/1.x" in place at the two spaces. */
static enum http_parse_result
http_request_line_parse(struct http_parser *p, char *line)
{
	enum http_parse_result result;
	char *target;
	char *version;

	/*
	 * NOTE: RFC 9112 section 2.2 suggests ignoring blank lines before a
	 * request line. None of the supported clients sends them, so they
	 * are rejected here.
	 */
	if (*line == '\0')
		return http_fail(p, 400, "empty request line");

	target = strchr(line, ' ');
	if (!target)
		return http_fail(p, 400, "request line without target");

	*target++ = '\0';
	version = strchr(target, ' ');
	if (!version)
		return http_fail(p, 400, "request line without HTTP version");

	*version++ = '\0';
	result = http_method_parse(p, line);
	if (result == HTTP_PARSE_INCOMPLETE)
		result = http_target_parse(p, target);

	if (result == HTTP_PARSE_INCOMPLETE)
		result = http_version_parse(p, version);

	return result;
}

static enum http_parse_result
http_content_length_parse(struct http_parser *p, const char *value)
{
	size_t length = 0;
	bool overflow = false;
	const char *c;

	if (*value == '\0')
		return http_fail(p, 400, "empty Content-Length");

	for (c = value; *c; c++) {
		size_t digit;

		if (!http_is_digit(*c))
			return http_fail(p, 400, "Content-Length is not a "
					 "decimal number");

		digit = (size_t)(*c - '0');
		if (length > (SIZE_MAX - digit) / 10)
			overflow = true;
		else
			length = length * 10 + digit;
	}

	if (overflow || length > p->lim.body_max)
		return http_fail(p, 413,
				 "Content-Length exceeds the body limit");

	if (p->have_length && length != p->content_length)
		return http_fail(p, 400, "conflicting Content-Length values");

	p->have_length = true;
	p->content_length = length;
	return HTTP_PARSE_INCOMPLETE;
}

/*
 * Acts on the headers that decide how the request is framed. Chunked or
 * any other transfer coding is never needed by these clients, and
 * rejecting it removes the usual request smuggling paths.
 */
static enum http_parse_result
http_header_apply(struct http_parser *p, const char *name, const char *value)
{
	if (strcasecmp(name, "Transfer-Encoding") == 0)
		return http_fail(p, 501, "Transfer-Encoding is not supported");

	if (strcasecmp(name, "Content-Length") == 0)
		return http_content_length_parse(p, value);

	/*
	 * A request without Host parses: HTTP/1.0 may leave it out, and
	 * conn.c rejects an HTTP/1.1 one with 400 (RFC 9112 section 3.2).
	 */
	if (strcasecmp(name, "Host") == 0) {
		if (p->have_host)
			return http_fail(p, 400, "duplicate Host header");

		p->have_host = true;
	}

	return HTTP_PARSE_INCOMPLETE;
}

static enum http_parse_result
http_header_name_check(struct http_parser *p, const char *name,
		       const char *colon)
{
	const char *c;

	if (name == colon)
		return http_fail(p, 400, "empty header name");

	for (c = name; c < colon; c++) {
		if (http_is_ows(*c))
			return http_fail(p, 400, "whitespace in header name");

		if (!http_is_tchar((unsigned char)*c))
			return http_fail(p, 400,
					 "invalid character in header name");
	}

	return HTTP_PARSE_INCOMPLETE;
}

/* Trims OWS in place and accepts HTAB, SP, VCHAR and obs-text. */
static char *
http_header_value_trim(char *start, char *end)
{
	while (start < end && http_is_ows(*start))
		start++;

	while (end > start && http_is_ows(end[-1]))
		end--;

	*end = '\0';
	return start;
}

static bool
http_header_value_valid(const char *value)
{
	const unsigned char *c;

	for (c = (const unsigned char *)value; *c; c++) {
		if ((*c < ' ' && *c != '\t') || *c == 0x7f)
			return false;
	}

	return true;
}

static enum http_parse_result
http_header_line_parse(struct http_parser *p, char *line, size_t len)
{
	enum http_parse_result result;
	struct http_header *header;
	char *colon;
	char *value;

	if (http_is_ows(line[0]))
		return http_fail(p, 400, "obsolete line folding");

	colon = strchr(line, ':');
	if (!colon)
		return http_fail(p, 400, "header line without colon");

	result = http_header_name_check(p, line, colon);
	if (result != HTTP_PARSE_INCOMPLETE)
		return result;

	*colon = '\0';
	value = http_header_value_trim(colon + 1, line + len);
	if (!http_header_value_valid(value))
		return http_fail(p, 400, "control character in header value");

	if (p->req.nheaders >= p->lim.header_count_max)
		return http_fail(p, 431, "too many header fields");

	header = &p->headers[p->req.nheaders++];
	header->name = line;
	header->value = value;
	return http_header_apply(p, line, value);
}

/* Called at the blank line that ends the head. Sizes the body buffer. */
static enum http_parse_result
http_head_finish(struct http_parser *p)
{
	size_t need = p->content_length + 1;

	if (p->content_length == 0) {
		p->state = HTTP_STATE_DONE;
		return HTTP_PARSE_DONE;
	}

	if (p->body_size < need) {
		free(p->body);
		p->body_size = 0;
		p->body = malloc(need);
		if (!p->body)
			return http_fail(p, 500,
					 "failed to allocate the body buffer");

		p->body_size = need;
	}

	p->state = HTTP_STATE_BODY;
	return HTTP_PARSE_INCOMPLETE;
}

static size_t
http_line_offset(const struct http_parser *p)
{
	if (p->state == HTTP_STATE_REQUEST_LINE)
		return 0;

	return p->header_off + p->header_used;
}

static char *
http_line_start(struct http_parser *p)
{
	return p->head + http_line_offset(p);
}

/* Point ptr, which pointed into old, to the same byte of new. */
static void
http_rebase(const char **ptr, const char *old, char *new)
{
	if (*ptr != NULL)
		*ptr = new + (*ptr - old);
}

/*
 * Grow the head buffer to at least need bytes, never past head_max, and
 * move the pointers into it. The old copy is wiped, since cookies and
 * passwords pass through it.
 */
static int
http_head_reserve(struct http_parser *p, size_t need)
{
	size_t cap = p->head_cap, i;
	char *old = p->head, *new;

	if (need <= cap)
		return 0;
	if (need > p->head_max)
		return -1;

	while (cap < need)
		cap = cap > p->head_max / 2 ? p->head_max : cap * 2;
	if ((new = calloc(1, cap)) == NULL)
		return -1;
	memcpy(new, old, p->head_cap);

	http_rebase(&p->req.method_name, old, new);
	http_rebase(&p->req.target, old, new);
	http_rebase(&p->req.path, old, new);
	http_rebase(&p->req.query, old, new);
	for (i = 0; i < p->req.nheaders; i++) {
		http_rebase(&p->headers[i].name, old, new);
		http_rebase(&p->headers[i].value, old, new);
	}

	explicit_bzero(old, p->head_cap);
	free(old);
	p->head = new;
	p->head_cap = cap;
	return 0;
}

/* Called at CRLF: the current line is complete and stored without it. */
static enum http_parse_result
http_line_end(struct http_parser *p)
{
	enum http_parse_result result;
	size_t len = p->line_len;
	char *line;

	/* An empty line has stored nothing yet, so its NUL needs room too. */
	if (http_head_reserve(p, http_line_offset(p) + len + 1) != 0)
		return http_fail(p, 500, "failed to allocate the head buffer");

	line = http_line_start(p);
	line[len] = '\0';
	p->line_len = 0;
	if (p->state == HTTP_STATE_REQUEST_LINE) {
		/* The path, at most as long as the line, goes behind it. */
		p->path_off = len + 1;
		if (http_head_reserve(p, 2 * (len + 1)) != 0)
			return http_fail(p, 500,
					 "failed to allocate the head buffer");

		line = p->head;
		result = http_request_line_parse(p, line);
		if (result == HTTP_PARSE_INCOMPLETE)
			p->state = HTTP_STATE_HEADERS;

		return result;
	}

	p->header_bytes += len + 2;
	if (p->header_bytes > p->lim.header_bytes_max)
		return http_fail(p, 431, "header section too long");

	if (len == 0)
		return http_head_finish(p);

	p->header_used += len + 1;
	return http_header_line_parse(p, line, len);
}

/*
 * Limits are checked before a byte is stored, counting the CRLF still to
 * come, so the fixed buffers can never overflow.
 */
static enum http_parse_result
http_line_append(struct http_parser *p, char c)
{
	size_t header_total = p->header_bytes + p->line_len + 1 + 2;

	if (p->state == HTTP_STATE_REQUEST_LINE &&
	    p->line_len >= p->lim.request_line_max)
		return http_fail(p, 414, "request line too long");

	if (p->state == HTTP_STATE_HEADERS &&
	    header_total > p->lim.header_bytes_max)
		return http_fail(p, 431, "header section too long");

	/* Room for this byte and the NUL that ends the line. */
	if (http_head_reserve(p, http_line_offset(p) + p->line_len + 2) != 0)
		return http_fail(p, 500, "failed to allocate the head buffer");

	http_line_start(p)[p->line_len++] = c;
	return HTTP_PARSE_INCOMPLETE;
}

static enum http_parse_result
http_head_byte(struct http_parser *p, unsigned char c)
{
	if (c == '\0')
		return http_fail(p, 400, "NUL byte in request head");

	if (p->saw_cr) {
		if (c != '\n')
			return http_fail(p, 400, "CR not followed by LF");

		p->saw_cr = false;
		return http_line_end(p);
	}

	if (c == '\r') {
		p->saw_cr = true;
		return HTTP_PARSE_INCOMPLETE;
	}

	if (c == '\n')
		return http_fail(p, 400, "line ends in LF without CR");

	return http_line_append(p, (char)c);
}

/* Copies body bytes up to Content-Length and sets *used to the count. */
static enum http_parse_result
http_body_feed(struct http_parser *p, const unsigned char *data, size_t len,
	       size_t *used)
{
	size_t missing = p->content_length - p->body_received;
	size_t n = len < missing ? len : missing;

	memcpy(p->body + p->body_received, data, n);
	p->body_received += n;
	*used = n;
	if (p->body_received < p->content_length)
		return HTTP_PARSE_INCOMPLETE;

	p->body[p->content_length] = '\0';
	p->req.body = p->body;
	p->req.body_len = p->content_length;
	p->state = HTTP_STATE_DONE;
	return HTTP_PARSE_DONE;
}

static enum http_parse_result
http_parser_result(const struct http_parser *p)
{
	if (p->state == HTTP_STATE_DONE)
		return HTTP_PARSE_DONE;

	if (p->state == HTTP_STATE_ERROR)
		return HTTP_PARSE_ERROR;

	return HTTP_PARSE_INCOMPLETE;
}

enum http_parse_result
http_parser_feed(struct http_parser *p, const void *data, size_t len,
		 size_t *consumed)
{
	const unsigned char *bytes = data;
	enum http_parse_result result = http_parser_result(p);
	size_t used = 0;

	while (result == HTTP_PARSE_INCOMPLETE && used < len) {
		size_t n = 1;

		if (p->state == HTTP_STATE_BODY)
			result = http_body_feed(p, bytes + used, len - used,
						&n);
		else
			result = http_head_byte(p, bytes[used]);

		used += n;
	}

	*consumed = used;
	return result;
}

const struct http_request *
http_parser_request(const struct http_parser *p)
{
	if (p->state != HTTP_STATE_DONE)
		return NULL;

	return &p->req;
}

int
http_parser_status(const struct http_parser *p)
{
	return p->status;
}

const char *
http_parser_error(const struct http_parser *p)
{
	return p->error;
}

const char *
http_request_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}

	return NULL;
}

/* Return whether the comma-separated list value contains token (any case). */
static bool
http_list_has_token(const char *value, const char *token)
{
	size_t len = strlen(token), n;
	const char *p = value;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == len && strncasecmp(p, token, len) == 0)
			return true;
		p += n;
	}
	return false;
}

bool
http_request_wants_close(const struct http_request *req)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Connection") == 0 &&
		    http_list_has_token(req->headers[i].value, "close"))
			return true;
	}
	return false;
}

/*
 * Matches one "name=value" pair of a Cookie header, given without its
 * ';'. On a match, sets the value span with OWS trimmed from its end.
 */
static bool
http_cookie_pair_match(const char *pair, const char *end, const char *name,
		       const char **value, size_t *value_len)
{
	size_t name_len = strlen(name);
	const char *value_end = end;

	while (pair < end && http_is_ows(*pair))
		pair++;

	if ((size_t)(end - pair) <= name_len || pair[name_len] != '=' ||
	    memcmp(pair, name, name_len) != 0)
		return false;

	*value = pair + name_len + 1;
	while (value_end > *value && http_is_ows(value_end[-1]))
		value_end--;

	*value_len = (size_t)(value_end - *value);
	return true;
}

bool
http_cookie_get(const char *cookie_header, const char *name, char *out,
		size_t outlen)
{
	const char *pair = cookie_header;

	if (outlen == 0)
		return false;

	out[0] = '\0';
	if (*name == '\0')
		return false;

	while (*pair) {
		const char *end = pair + strcspn(pair, ";");
		const char *value;
		size_t value_len;

		if (http_cookie_pair_match(pair, end, name, &value,
					   &value_len)) {
			if (value_len >= outlen)
				return false;

			memcpy(out, value, value_len);
			out[value_len] = '\0';
			return true;
		}

		pair = *end ? end + 1 : end;
	}

	return false;
}
