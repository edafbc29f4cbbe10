/* The legacy form login declared in legacy.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>

#include "conn.h"
#include "http.h"
#include "legacy.h"
#include "login.h"
#include "netproc.h"
#include "route.h"
#include "session.h"
#include "xmlauth.h"

#define LEGACY_XML_TYPE		"text/xml; charset=utf-8"

bool
legacy_is_client(const struct http_request *req)
{
	return (http_request_header(req, "X-Transcend-Version") != NULL);
}

/* Send the login form; in "both" groups it has only the password. */
static void
legacy_send_form(struct conn *c, const struct route *rt, bool cert_user)
{
	struct evbuffer *buf = evbuffer_new();
	char *action = xml_escape(rt->ro_path);
	size_t len;

	if (buf == NULL || action == NULL) {
		if (buf != NULL)
			evbuffer_free(buf);
		free(action);
		conn_close(c);
		return;
	}
	evbuffer_add_printf(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<auth id=\"main\">\n<title>Login</title>\n<message>%s"
	    "</message>\n<form method=\"post\" action=\"%s\">\n%s"
	    "<input type=\"password\" name=\"password\" label=\"Password:\"/>"
	    "\n</form>\n</auth>\n", cert_user ? "Enter the password of your "
	    "certificate's user." : "Enter your username and password.",
	    action, cert_user ? "" : "<input type=\"text\" name=\"username\" "
	    "label=\"Username:\"/>\n");
	free(action);
	len = evbuffer_get_length(buf);
	conn_respond(c, 200, "OK", NULL, LEGACY_XML_TYPE,
	    evbuffer_pullup(buf, -1), len, false);
	evbuffer_free(buf);
	conn_request_done(c);
}

static void
legacy_fail(struct conn *c, struct login *lg, int status)
{
	if (lg != NULL)
		login_destroy(lg);
	if (status == 401)
		conn_respond(c, 401, "Authentication failed", NULL, NULL,
		    NULL, 0, true);
	else
		conn_respond(c, 503, "Service Unavailable", NULL, NULL, NULL,
		    0, true);
}

static void
legacy_grant(struct login *lg, struct conn *c)
{
	static const char body[] = "<?xml version=\"1.0\" "
	    "encoding=\"UTF-8\"?>\n<auth id=\"success\">\n<title>Logged in"
	    "</title>\n</auth>\n";
	char headers[SESSION_COOKIE_TEXT + 64];
	struct session *se;

	if (login_open_session(lg, c, &se) != 0) {
		legacy_fail(c, lg, 503);
		return;
	}
	snprintf(headers, sizeof(headers), "Set-Cookie: webvpn=%s; Secure; "
	    "HttpOnly\r\n", se->se_cookie);
	login_destroy(lg);
	conn_respond(c, 200, "OK", headers, LEGACY_XML_TYPE, body,
	    strlen(body), false);
	conn_request_done(c);
}

static void
legacy_auth_done(struct login *lg, struct conn *c,
    enum ipc_auth_result result, const char *message)
{
	const char *group = c->c_np->cfg->tgroups[lg->lg_tgroup].name;

	if (result == IPC_AUTH_OK) {
		legacy_grant(lg, c);
		return;
	}
	if (result == IPC_AUTH_DENIED) {
		if (!lg->lg_banned) {
			counter_add(&c->c_np->stats.logins_denied, 1);
			conn_log(c, LOG_INFO, "login failed: user=%s group=%s: "
			    "wrong username or password", lg->lg_user, group);
		}
		legacy_fail(c, lg, 401);
		return;
	}
	if (!lg->lg_banned) {
		counter_add(&c->c_np->stats.logins_error, 1);
		conn_log(c, LOG_WARNING, "login of user=%s group=%s could not "
		    "be checked: %s", lg->lg_user, group, message);
	}
	legacy_fail(c, lg, 503);
}

/*
 * Create the login and check the certificate where the group needs one.
 * Returns the login, or NULL after sending the response.
 */
static struct login *
legacy_begin(struct conn *c, const struct http_request *req,
    const struct route *rt)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[rt->ro_tgroup];
	struct login *lg = login_create(c, req, rt);
	int rc;

	if (lg == NULL || tg->auth == AUTH_METHOD_PASSWORD)
		return (lg);
	if ((rc = login_verify_cert(lg, c)) != 0) {
		legacy_fail(c, lg, rc == -EAGAIN ? 503 : 401);
		return (NULL);
	}
	return (lg);
}

static void
legacy_get(struct conn *c, const struct http_request *req,
    const struct route *rt)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[rt->ro_tgroup];
	struct login *lg;

	conn_log_limited(c, LOG_INFO, "form login started: group=%s path=%s",
	    tg->name, rt->ro_path);
	if (tg->auth == AUTH_METHOD_PASSWORD) {
		legacy_send_form(c, rt, false);
		return;
	}
	if ((lg = legacy_begin(c, req, rt)) == NULL)
		return;
	if (tg->auth == AUTH_METHOD_CERTIFICATE) {
		legacy_grant(lg, c);
		return;
	}
	login_destroy(lg);
	legacy_send_form(c, rt, true);
}

static void
legacy_post(struct conn *c, const struct http_request *req,
    const struct route *rt, const struct login_form *f)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[rt->ro_tgroup];
	bool cert_user = tg->auth == AUTH_METHOD_BOTH;
	struct login *lg;
	const char *user, *problem;

	if (tg->auth == AUTH_METHOD_CERTIFICATE) {
		legacy_get(c, req, rt);
		return;
	}
	if (!f->lf_has_password || (!cert_user && !f->lf_has_user)) {
		legacy_send_form(c, rt, cert_user);
		return;
	}
	if ((lg = legacy_begin(c, req, rt)) == NULL)
		return;
	user = cert_user ? lg->lg_user : f->lf_user;
	if ((problem = login_credentials_problem(user, f->lf_password)) !=
	    NULL) {
		counter_add(&c->c_np->stats.logins_denied, 1);
		conn_log(c, LOG_INFO, "login failed: %s", problem);
		legacy_fail(c, lg, 401);
		return;
	}
	if (login_authenticate(lg, c, user, f->lf_password,
	    legacy_auth_done) != 0)
		legacy_fail(c, lg, 503);
}

void
legacy_handle(struct conn *c, const struct http_request *req)
{
	struct login_form f;
	struct route rt;
	int rc;

	if (route_select(c, req, NULL, &rt) != 0)
		return;
	if (req->method == HTTP_METHOD_GET) {
		legacy_get(c, req, &rt);
		return;
	}
	if (req->method != HTTP_METHOD_POST) {
		conn_respond(c, 405, "Method Not Allowed", "Allow: GET, "
		    "POST\r\n", NULL, NULL, 0, true);
		return;
	}
	rc = login_form_parse(req->body, req->body_len, &f);

	/* A long password is a failed login, as one with a space is. */
	if (rc == -E2BIG) {
		counter_add(&c->c_np->stats.logins_denied, 1);
		conn_log(c, LOG_INFO, "login failed: %s", login_too_long);
		legacy_fail(c, NULL, 401);
		return;
	}
	if (rc != 0) {
		conn_log_limited(c, LOG_INFO, "rejected form login: malformed "
		    "form body");
		conn_respond(c, 400, "Bad Request", NULL, NULL, NULL, 0, true);
		return;
	}
	legacy_post(c, req, &rt, &f);
	OPENSSL_cleanse(&f, sizeof(f));
}
