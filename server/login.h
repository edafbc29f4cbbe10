/*
 * Logins: the XML aggregate-auth exchange of AnyConnect and openconnect.
 * The first request of a login selects the tunnel-group through its
 * group-urls; later requests find the login again through the signed
 * opaque handle or the webvpncontext cookie, so they stay in that group
 * whatever path they are posted to.
 */
#ifndef HEADEND_LOGIN_H
#define HEADEND_LOGIN_H

struct conn;
struct login;
struct netproc;
struct http_request;

int	login_init(struct netproc *np);

/* Answer a GET or POST (anything but CONNECT). */
void	login_handle(struct conn *c, const struct http_request *req);

/* The connection of a login that waits for authd is gone. */
void	login_conn_gone(struct login *lg);

#endif
