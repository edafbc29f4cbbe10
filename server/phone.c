/* The phone login dialogue declared in phone.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <openssl/crypto.h>

#include "conn.h"
#include "dtls_offer.h"
#include "http.h"
#include "login.h"
#include "netproc.h"
#include "phone.h"
#include "route.h"
#include "session.h"

/*
 * The phone sends its POST only after it receives a webvpn cookie with
 * an expiry attribute and a non-empty webvpnlogin cookie. The expired
 * cookie is the line a Cisco ASA sends, byte for byte.
 */
#define PHONE_PROMPT_COOKIES \
	"Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; " \
	"path=/; secure\r\n" \
	"Set-Cookie: webvpnlogin=1; secure\r\n"

bool
phone_is_phone(const struct http_request *req)
{
	const char *agent = http_request_header(req, "User-Agent");

	return (dtls_offer_is_phone(agent));
}

/* Step 1, also the response to a POST that lacks a field. */
static void
phone_send_prompt(struct conn *c)
{
	conn_respond(c, 200, "OK", PHONE_PROMPT_COOKIES, NULL, NULL, 0,
	    false);
	conn_request_done(c);
}

/* Wrong credentials or a rejected certificate: the only 401. */
static void
phone_deny(struct conn *c, struct login *lg)
{
	login_destroy(lg);
	conn_respond(c, 401, "Authentication failed", NULL, NULL, NULL, 0,
	    true);
}

/* Anything that is not the phone's fault. */
static void
phone_unavailable(struct conn *c, struct login *lg, const char *reason)
{
	char header[256];

	if (lg != NULL)
		login_destroy(lg);
	snprintf(header, sizeof(header), "X-Reason: %s\r\n", reason);
	conn_respond(c, 503, "Service Unavailable", header, NULL, NULL, 0,
	    true);
}

static void
phone_grant(struct login *lg, struct conn *c)
{
	struct session *se;
	char headers[SESSION_COOKIE_TEXT + 96];
	int rc = login_open_session(lg, c, &se);

	if (rc != 0) {
		phone_unavailable(c, lg, rc == -ENOSPC ? "no free address" :
		    rc == -EDQUOT ? "already logged in with the maximum "
		    "number of sessions" : "server error");
		return;
	}
	snprintf(headers, sizeof(headers), "Set-Cookie: webvpn=%s; "
	    "secure\r\nConnection: Keep-Alive\r\n", se->se_cookie);
	login_destroy(lg);
	conn_respond(c, 200, "OK", headers, NULL, NULL, 0, false);
	conn_request_done(c);
}

static void
phone_auth_done(struct login *lg, struct conn *c,
    enum ipc_auth_result result, const char *message)
{
	const char *group = c->c_np->cfg->tgroups[lg->lg_tgroup].name;

	switch (result) {
	case IPC_AUTH_OK:
		phone_grant(lg, c);
		break;
	case IPC_AUTH_DENIED:
		if (!lg->lg_banned) {
			counter_add(&c->c_np->stats.logins_denied, 1);
			conn_log(c, LOG_INFO, "phone login failed: user=%s "
			    "group=%s: wrong username or password",
			    lg->lg_user, group);
		}
		phone_deny(c, lg);
		break;
	default:
		if (!lg->lg_banned) {
			counter_add(&c->c_np->stats.logins_error, 1);
			conn_log(c, LOG_WARNING, "phone login of user=%s "
			    "group=%s could not be checked, answering 503 so "
			    "the phone keeps its password: %s", lg->lg_user,
			    group, message);
		}
		phone_unavailable(c, lg, "authentication service unavailable");
		break;
	}
}

/*
 * The certificate step of "certificate" and "both" groups. Returns 0 to
 * go on, or the -errno of login_verify_cert after sending the response.
 */
static int
phone_check_cert(struct conn *c, struct login *lg)
{
	int rc = login_verify_cert(lg, c);

	if (rc == -EAGAIN)
		phone_unavailable(c, lg, "cannot check certificates");
	else if (rc != 0)
		phone_deny(c, lg);
	return (rc);
}

/*
 * Log what a POST left out. An empty POST is what a phone in certificate
 * mode sends, so a password group gets it when the phone's VPN profile
 * and the group disagree.
 */
static void
phone_log_missing(struct conn *c, const struct login *lg,
    const struct login_form *f, bool cert_user)
{
	if (!cert_user && !f->lf_has_password && !f->lf_has_user)
		conn_log(c, LOG_INFO, "phone POST without a username or a "
		    "password, as a phone in certificate mode sends, but "
		    "tunnel-group %s takes passwords: set the phone's VPN "
		    "profile to password login, or set authentication = "
		    "\"certificate\" in the group; asking again",
		    c->c_np->cfg->tgroups[lg->lg_tgroup].name);
	else
		conn_log(c, LOG_INFO, "phone POST without %s; asking again",
		    f->lf_has_password ? "a username" : "a password");
}

/* The password step; the username is the certificate's in "both". */
static void
phone_check_password(struct conn *c, struct login *lg,
    const struct login_form *f, bool cert_user)
{
	const char *user = cert_user ? lg->lg_user : f->lf_user;
	const char *problem;

	if (!f->lf_has_password || (!cert_user && !f->lf_has_user)) {
		phone_log_missing(c, lg, f, cert_user);
		login_destroy(lg);
		phone_send_prompt(c);
		return;
	}
	if ((problem = login_credentials_problem(user, f->lf_password)) !=
	    NULL) {
		counter_add(&c->c_np->stats.logins_denied, 1);
		conn_log(c, LOG_INFO, "phone login failed: %s", problem);
		phone_deny(c, lg);
		return;
	}
	if (login_authenticate(lg, c, user, f->lf_password,
	    phone_auth_done) != 0)
		phone_unavailable(c, lg, "authentication service unavailable");
}

static void
phone_login(struct conn *c, const struct http_request *req,
    const struct route *rt)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[rt->ro_tgroup];
	struct login_form f;
	struct login *lg;
	int rc;

	if ((rc = login_form_parse(req->body, req->body_len, &f)) != 0) {
		conn_log(c, LOG_INFO, "rejected phone POST: %s form body",
		    rc == -E2BIG ? "over-long value in the" : "malformed");
		conn_respond(c, 400, "Bad Request", NULL, NULL, NULL, 0, true);
		return;
	}
	if ((lg = login_create(c, req, rt)) == NULL)
		goto out;
	if (tg->auth != AUTH_METHOD_PASSWORD && phone_check_cert(c, lg) != 0)
		goto out;
	if (tg->auth == AUTH_METHOD_CERTIFICATE)
		phone_grant(lg, c);
	else
		phone_check_password(c, lg, &f,
		    tg->auth == AUTH_METHOD_BOTH);
out:
	OPENSSL_cleanse(&f, sizeof(f));
}

/*
 * No public capture shows a phone's exact requests, so with -v every
 * header is logged, with cookie values left out.
 */
static void
phone_log_headers(struct conn *c, const struct http_request *req)
{
	char line[1024];
	size_t i, used = 0;
	int n;

	line[0] = '\0';
	for (i = 0; i < req->nheaders && used < sizeof(line); i++) {
		const struct http_header *h = &req->headers[i];
		bool secret = strcasecmp(h->name, "Cookie") == 0;

		n = snprintf(line + used, sizeof(line) - used, "%s%s: %s",
		    i > 0 ? "; " : "", h->name, secret ? "(not logged)" :
		    h->value);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	conn_log(c, LOG_DEBUG, "phone %s %s HTTP/1.%d, body %zu bytes; %s",
	    req->method_name, req->target, req->version_minor,
	    req->body_len, line);
}

void
phone_handle(struct conn *c, const struct http_request *req)
{
	struct route rt;

	phone_log_headers(c, req);
	if (route_select(c, req, NULL, &rt) != 0)
		return;
	if (req->method == HTTP_METHOD_GET) {
		conn_log_limited(c, LOG_INFO, "phone login started: "
		    "group=%s path=%s",
		    c->c_np->cfg->tgroups[rt.ro_tgroup].name, rt.ro_path);
		phone_send_prompt(c);
	} else if (req->method == HTTP_METHOD_POST) {
		phone_login(c, req, &rt);
	} else {
		conn_log_limited(c, LOG_INFO, "rejected phone request: "
		    "method %s", req->method_name);
		conn_respond(c, 405, "Method Not Allowed", "Allow: GET, "
		    "POST\r\n", NULL, NULL, 0, true);
	}
}
