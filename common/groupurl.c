#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <strings.h>

#include "groupurl.h"

#define GROUPURL_SCHEME		"https://"
#define GROUPURL_DEFAULT_PORT	443

/* Run on the whole input first, so later steps need not check for
 * spaces, control characters or non-ASCII bytes. */
static bool
groupurl_text_valid(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	}
	return true;
}

/* ASCII only, whatever the locale, because URLs are ASCII. */
static bool
groupurl_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
groupurl_is_unreserved(int c)
{
	return groupurl_is_alnum(c) || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* RFC 3986 pchar, less pct-encoded which the caller handles. */
static bool
groupurl_is_pchar(int c)
{
	if (c == '\0')
		return false;
	return groupurl_is_unreserved(c) || strchr("!$&'()*+,;=:@", c) != NULL;
}

/* Parse a decimal port. An empty port means the default, as RFC 3986
 * section 6.2.3 allows. */
static int
groupurl_parse_port(const char *s, size_t len, unsigned int *port)
{
	unsigned int value = 0;
	size_t i;

	if (len == 0) {
		*port = GROUPURL_DEFAULT_PORT;
		return 0;
	}

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		value = value * 10 + (unsigned int)(s[i] - '0');
		if (value > 65535)
			return -EINVAL;
	}
	if (value == 0)
		return -EINVAL;

	*port = value;
	return 0;
}

static int
groupurl_copy_name(const char *s, size_t len, char *host, size_t hostlen)
{
	size_t i;

	/* "vpn.example.net." is the same name, written as fully qualified. */
	if (len > 1 && s[len - 1] == '.' && s[len - 2] != '.')
		len--;
	if (len == 0 || len >= hostlen)
		return -EINVAL;

	for (i = 0; i < len; i++) {
		if (!groupurl_is_alnum(s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return -EINVAL;
		host[i] = s[i];
		if (s[i] >= 'A' && s[i] <= 'Z')
			host[i] = (char)(s[i] - 'A' + 'a');
	}
	host[len] = '\0';
	return 0;
}

/* Rewrite the address through inet_pton and inet_ntop, so every spelling
 * of one address yields the same string. Zone ids are rejected. */
static int
groupurl_copy_ipv6(const char *s, size_t len, char *host, size_t hostlen)
{
	char text[INET6_ADDRSTRLEN];
	char canonical[INET6_ADDRSTRLEN];
	struct in6_addr addr;
	int n;

	if (len == 0 || len >= sizeof(text))
		return -EINVAL;

	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET6, text, &addr) != 1)
		return -EINVAL;
	if (inet_ntop(AF_INET6, &addr, canonical, sizeof(canonical)) == NULL)
		return -EINVAL;

	n = snprintf(host, hostlen, "[%s]", canonical);
	if (n < 0 || (size_t)n >= hostlen)
		return -EINVAL;
	return 0;
}

/*
 * Split an authority of len bytes into host and port, rejecting userinfo.
 * *name and *namelen get the host without brackets, *bracketed whether it
 * was an IPv6 literal, and *port the port or 443.
 */
static int
groupurl_split_authority(const char *s, size_t len, const char **name,
    size_t *namelen, bool *bracketed, unsigned int *port)
{
	const char *end = s + len;
	const char *colon;
	const char *close;

	if (memchr(s, '@', len) != NULL)
		return -EINVAL;

	*bracketed = len > 0 && s[0] == '[';
	if (*bracketed) {
		close = memchr(s, ']', len);
		if (close == NULL)
			return -EINVAL;
		*name = s + 1;
		*namelen = (size_t)(close - s) - 1;
		colon = close + 1;
		if (colon < end && *colon != ':')
			return -EINVAL;
	} else {
		colon = memchr(s, ':', len);
		if (colon == NULL)
			colon = end;
		*name = s;
		*namelen = (size_t)(colon - s);
	}

	if (colon >= end) {
		*port = GROUPURL_DEFAULT_PORT;
		return 0;
	}
	return groupurl_parse_port(colon + 1, (size_t)(end - colon - 1), port);
}

static int
groupurl_parse_authority(const char *s, size_t len, char *host,
    size_t hostlen)
{
	const char *name;
	size_t namelen, used;
	unsigned int port;
	bool bracketed;
	int rc, n;

	rc = groupurl_split_authority(s, len, &name, &namelen, &bracketed,
	    &port);
	if (rc < 0)
		return rc;

	if (bracketed)
		rc = groupurl_copy_ipv6(name, namelen, host, hostlen);
	else
		rc = groupurl_copy_name(name, namelen, host, hostlen);
	if (rc < 0 || port == GROUPURL_DEFAULT_PORT)
		return rc;

	used = strlen(host);
	n = snprintf(host + used, hostlen - used, ":%u", port);
	if (n < 0 || (size_t)n >= hostlen - used)
		return -EINVAL;
	return 0;
}

/*
 * Read the percent-escape at s into *out (up to 3 bytes): the decoded
 * character when it is unreserved, else the escape with upper-case hex.
 * Returns the number of bytes written or -EINVAL.
 */
static int
groupurl_decode_escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int high, low, c;

	high = OPENSSL_hexchar2int((unsigned char)s[1]);
	low = high < 0 ? -1 : OPENSSL_hexchar2int((unsigned char)s[2]);
	if (low < 0)
		return -EINVAL;

	c = high * 16 + low;
	if (groupurl_is_unreserved(c)) {
		out[0] = (char)c;
		return 1;
	}

	out[0] = '%';
	out[1] = hex[high];
	out[2] = hex[low];
	return 3;
}

/* Whether any segment of a normalised path is "." or "..". */
static bool
groupurl_has_dot_segment(const char *path)
{
	const char *seg = path;
	size_t len;

	while (*seg == '/') {
		seg++;
		len = strcspn(seg, "/");
		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return true;
		seg += len;
	}
	return false;
}

/*
 * Append the next path element at s to path[*used]: a collapsed '/', an
 * escape or a plain character. Returns the number of input bytes consumed
 * or -EINVAL.
 */
static int
groupurl_path_step(const char *s, char *path, size_t pathlen, size_t *used)
{
	char piece[3];
	int n = 1;
	int consumed = 1;

	if (s[0] == '/' && path[*used - 1] == '/')
		return 1;

	if (s[0] == '%') {
		n = groupurl_decode_escape(s, piece);
		consumed = 3;
	} else if (s[0] == '/' || groupurl_is_pchar((unsigned char)s[0])) {
		piece[0] = s[0];
	} else {
		n = -EINVAL;
	}
	if (n < 0 || *used + (size_t)n >= pathlen)
		return -EINVAL;

	memcpy(path + *used, piece, (size_t)n);
	*used += (size_t)n;
	return consumed;
}

/* Normalise the path that starts at s (at '/', '?', '#' or the end). */
static int
groupurl_parse_path(const char *s, char *path, size_t pathlen)
{
	size_t used = 1;
	int n;

	path[0] = '/';
	if (*s == '/')
		s++;

	while (*s != '\0' && *s != '?' && *s != '#') {
		n = groupurl_path_step(s, path, pathlen, &used);
		if (n < 0)
			return n;
		s += n;
	}

	if (used > 1 && path[used - 1] == '/')
		used--;
	path[used] = '\0';

	if (groupurl_has_dot_segment(path))
		return -EINVAL;
	return 0;
}

int
groupurl_parse(const char *url, struct groupurl *out)
{
	size_t scheme_len = strlen(GROUPURL_SCHEME);
	const char *authority;
	size_t len;
	int rc;

	if (!groupurl_text_valid(url))
		return -EINVAL;
	if (strncasecmp(url, GROUPURL_SCHEME, scheme_len) != 0)
		return -EINVAL;

	authority = url + scheme_len;
	len = strcspn(authority, "/?#");
	rc = groupurl_parse_authority(authority, len, out->host,
	    sizeof(out->host));
	if (rc < 0)
		return rc;

	return groupurl_parse_path(authority + len, out->path,
	    sizeof(out->path));
}

int
groupurl_from_request(const char *host_header, const char *target,
    struct groupurl *out)
{
	int rc;

	if (strncasecmp(target, GROUPURL_SCHEME, strlen(GROUPURL_SCHEME)) == 0)
		return groupurl_parse(target, out);

	if (!groupurl_text_valid(host_header) || !groupurl_text_valid(target))
		return -EINVAL;
	if (target[0] != '/')
		return -EINVAL;

	rc = groupurl_parse_authority(host_header, strlen(host_header),
	    out->host, sizeof(out->host));
	if (rc < 0)
		return rc;

	return groupurl_parse_path(target, out->path, sizeof(out->path));
}

bool
groupurl_equal(const struct groupurl *a, const struct groupurl *b)
{
	return strcmp(a->host, b->host) == 0 && strcmp(a->path, b->path) == 0;
}
