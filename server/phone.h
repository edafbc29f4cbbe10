/*
 * The login dialogue of Cisco IP phones (User-Agent "Cisco SVC IPPhone
 * Client ..."), on any configured group-url:
 *
 *   GET  -> 200 with an expired webvpn cookie and webvpnlogin=1, which
 *           makes the phone send its credentials;
 *   POST -> the form fields username and password, or an empty body when
 *           the phone authenticates with its certificate (MIC or LSC);
 *           200 with the webvpn session cookie on success.
 *
 * A phone erases its stored password after a failed login, so only wrong
 * credentials (or a rejected certificate) get 401. An authd failure or
 * timeout, an exhausted pool and any server error get 503, so the phone
 * keeps its password and tries again. The CONNECT that follows is the
 * ordinary one.
 */
#ifndef HEADEND_PHONE_H
#define HEADEND_PHONE_H

#include <stdbool.h>

struct conn;
struct http_request;

bool	phone_is_phone(const struct http_request *req);

/* Respond to a phone's request on a group-url. */
void	phone_handle(struct conn *c, const struct http_request *req);

#endif
