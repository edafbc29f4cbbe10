/*
 * The legacy form login of clients that do not speak the XML protocol,
 * such as openconnect --no-xmlpost and AnyConnect 2.x:
 *
 *   GET  <group-url>  -> 200 with a bare <auth id="main"> document whose
 *                        form posts username and password back to the
 *                        same group-url;
 *   POST <group-url>  -> URL-encoded fields; 200 with the webvpn cookie
 *                        and <auth id="success"> on success.
 *
 * The path of each request selects the tunnel-group again, so the flow
 * keeps no state between the two requests. In "certificate" groups the
 * GET already succeeds; in "both" groups the form requests only the
 * password of the certificate's user. Failures answer 401 (credentials
 * or certificate) or 503 (server side) and close the connection.
 */
#ifndef HEADEND_LEGACY_H
#define HEADEND_LEGACY_H

#include <stdbool.h>

struct conn;
struct http_request;

/*
 * Whether req comes from a VPN client outside the XML protocol: such
 * clients send X-Transcend-Version, browsers do not.
 */
bool	legacy_is_client(const struct http_request *req);

void	legacy_handle(struct conn *c, const struct http_request *req);

#endif
