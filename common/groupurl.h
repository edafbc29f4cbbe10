/*
 * Group-urls: the URL a client connected to selects its tunnel-group. The
 * configuration lists full URLs ("https://vpn.example.net/phones"), while
 * clients either send such a URL in <group-access> or only a Host header
 * and a request path. Both are normalised into struct groupurl and then
 * compared field by field.
 */
#ifndef HEADEND_GROUPURL_H
#define HEADEND_GROUPURL_H

#include <stdbool.h>

/*
 * A normalised group-url. host is the lower-case host name or IPv4
 * address, or an IPv6 address in brackets ("[2001:db8::1]"), followed by
 * ":port" unless the port is 443. path starts with '/', and has no query,
 * no fragment, no "//" and no trailing '/' unless it is "/" itself.
 */
struct groupurl {
	char	host[256];
	char	path[512];
};

/*
 * Parse and normalise a full URL. The scheme must be https, in any case.
 * The host may be a DNS name of letters, digits, '-', '.' and '_', an
 * IPv4 address or a bracketed IPv6 address. IPv6 addresses are rewritten
 * as inet_ntop(3) prints them, so "[2001:DB8:0::1]" becomes
 * "[2001:db8::1]". A port of 443, or an empty one, is dropped. In the
 * path, percent-escapes of unreserved characters (letters, digits, '-',
 * '.', '_', '~') are decoded and other escapes get upper-case hex digits.
 * Returns 0, or -EINVAL for any of:
 *  - a scheme other than https, userinfo ('@' before the path), an empty
 *    host or a port outside 1..65535,
 *  - a "." or ".." path segment or a bad percent-escape,
 *  - a space, control or non-ASCII byte anywhere in url,
 *  - a host or path that does not fit struct groupurl.
 */
int
groupurl_parse(const char *url, struct groupurl *out);

/*
 * Normalise a request as groupurl_parse does. host_header is the Host
 * field value with surrounding whitespace already removed, as HTTP
 * parsers deliver it. target is the request target: an origin-form path
 * with an optional query, or an absolute https URL, whose host then
 * replaces the Host header as RFC 9112 section 3.2.2 requires.
 * Returns 0 or -EINVAL.
 */
int
groupurl_from_request(const char *host_header, const char *target,
    struct groupurl *out);

/*
 * Whether both name the same group-url. Hosts are already lower-case.
 * Paths compare case-sensitively, because RFC 3986 makes the path case
 * significant and servers may map "/Phones" and "/phones" differently.
 */
bool
groupurl_equal(const struct groupurl *a, const struct groupurl *b);

#endif
