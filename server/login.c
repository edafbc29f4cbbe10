/* The XML login flow declared in login.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "authc.h"
#include "conn.h"
#include "groupurl.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "netproc.h"
#include "pool.h"
#include "session.h"
#include "userfile.h"
#include "xmlauth.h"

#define LOGIN_HANDLE_LEN	16	/* random bytes of a login handle */
#define LOGIN_HANDLE_TEXT	(2 * LOGIN_HANDLE_LEN + 1)
#define LOGIN_SIG_TEXT		33	/* 16 bytes of HMAC in hex */
#define LOGIN_MAX_FAILURES	3	/* wrong passwords before 401 */
#define LOGIN_LIFETIME		300	/* seconds a login may take */
#define LOGIN_MAX_PENDING	10000	/* logins in progress at once */

/* A login in progress, between its first request and its cookie. */
struct login {
	char		lg_handle[LOGIN_HANDLE_TEXT];
	size_t		lg_tgroup;
	char		lg_path[CONFIG_URL_MAX];	/* form action */
	unsigned	lg_failures;
	struct conn	*lg_conn;	/* waiting for authd, or NULL */
	int64_t		lg_request;
	char		lg_user[IPC_USER_MAX];
	struct event	*lg_expire;
	struct netproc	*lg_np;
	TAILQ_ENTRY(login) lg_entry;
};

/* The normalised group-urls of every tunnel-group. */
struct login_url {
	struct groupurl	lu_url;
	size_t		lu_tgroup;
};

static struct {
	TAILQ_HEAD(, login) logins;
	size_t		nlogins;
	struct login_url *urls;
	size_t		nurls;
} login_state = { .logins = TAILQ_HEAD_INITIALIZER(login_state.logins) };

static void	login_free(struct login *lg);

int
login_init(struct netproc *np)
{
	const struct config *cfg = np->cfg;
	size_t i, j, n = 0;

	for (i = 0; i < cfg->ntgroups; i++)
		n += cfg->tgroups[i].nurls;
	login_state.urls = calloc(n ? n : 1, sizeof(*login_state.urls));
	if (login_state.urls == NULL)
		return (-ENOMEM);
	for (i = 0; i < cfg->ntgroups; i++) {
		for (j = 0; j < cfg->tgroups[i].nurls; j++) {
			struct login_url *lu = &login_state.urls[
			    login_state.nurls];

			if (groupurl_parse(cfg->tgroups[i].urls[j],
			    &lu->lu_url) != 0)
				return (-EINVAL);
			lu->lu_tgroup = i;
			login_state.nurls++;
		}
	}
	return (0);
}

static const struct login_url *
login_find_url(const struct groupurl *u)
{
	size_t i;

	for (i = 0; i < login_state.nurls; i++) {
		if (groupurl_equal(&login_state.urls[i].lu_url, u))
			return (&login_state.urls[i]);
	}
	return (NULL);
}

static void
login_sign(const struct netproc *np, const char *handle, const char *group,
    char out[LOGIN_SIG_TEXT])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	char data[LOGIN_HANDLE_TEXT + CONFIG_NAME_MAX + 1];
	size_t i;

	snprintf(data, sizeof(data), "%s:%s", handle, group);
	HMAC(EVP_sha256(), np->secret, sizeof(np->secret),
	    (const uint8_t *)data, strlen(data), mac, &maclen);
	for (i = 0; i < (LOGIN_SIG_TEXT - 1) / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[LOGIN_SIG_TEXT - 1] = '\0';
}

static void
login_expire_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	login_free(arg);
}

static struct login *
login_new(struct netproc *np, size_t tgroup, const char *path)
{
	static const char hex[] = "0123456789abcdef";
	struct timeval tv = { LOGIN_LIFETIME, 0 };
	uint8_t raw[LOGIN_HANDLE_LEN];
	struct login *lg;
	size_t i;

	if (login_state.nlogins >= LOGIN_MAX_PENDING)
		return (NULL);
	if ((lg = calloc(1, sizeof(*lg))) == NULL)
		return (NULL);
	if ((lg->lg_expire = evtimer_new(np->base, login_expire_cb, lg)) ==
	    NULL || RAND_bytes(raw, sizeof(raw)) != 1) {
		if (lg->lg_expire != NULL)
			event_free(lg->lg_expire);
		free(lg);
		return (NULL);
	}
	for (i = 0; i < sizeof(raw); i++) {
		lg->lg_handle[2 * i] = hex[raw[i] >> 4];
		lg->lg_handle[2 * i + 1] = hex[raw[i] & 15];
	}
	lg->lg_np = np;
	lg->lg_tgroup = tgroup;
	snprintf(lg->lg_path, sizeof(lg->lg_path), "%s", path);
	evtimer_add(lg->lg_expire, &tv);
	TAILQ_INSERT_TAIL(&login_state.logins, lg, lg_entry);
	login_state.nlogins++;
	return (lg);
}

static void
login_free(struct login *lg)
{
	if (lg->lg_conn != NULL) {
		authc_cancel(lg->lg_np->authc, lg->lg_request);
		lg->lg_conn->c_login = NULL;
	}
	TAILQ_REMOVE(&login_state.logins, lg, lg_entry);
	login_state.nlogins--;
	event_free(lg->lg_expire);
	free(lg);
}

void
login_conn_gone(struct login *lg)
{
	authc_cancel(lg->lg_np->authc, lg->lg_request);
	lg->lg_conn = NULL;
}

static struct login *
login_find(const char *handle)
{
	struct login *lg;

	if (strlen(handle) != LOGIN_HANDLE_TEXT - 1)
		return (NULL);
	TAILQ_FOREACH(lg, &login_state.logins, lg_entry) {
		if (CRYPTO_memcmp(lg->lg_handle, handle,
		    LOGIN_HANDLE_TEXT - 1) == 0)
			return (lg);
	}
	return (NULL);
}

/* Respond with an XML document built in buf, keeping the connection. */
static void
login_send_xml(struct conn *c, struct evbuffer *buf, const char *headers,
    bool close)
{
	size_t len = evbuffer_get_length(buf);
	char *body = malloc(len + 1);

	if (body == NULL) {
		evbuffer_free(buf);
		conn_close(c);
		return;
	}
	evbuffer_remove(buf, body, len);
	evbuffer_free(buf);
	conn_respond(c, 200, "OK", headers, "text/xml; charset=utf-8", body,
	    len, close);
	free(body);
}

static void
login_send_form(struct conn *c, struct login *lg, const char *error)
{
	const struct config_tgroup *tg =
	    &c->c_np->cfg->tgroups[lg->lg_tgroup];
	char sig[LOGIN_SIG_TEXT], headers[128];
	char *action = xml_escape(lg->lg_path);
	char *err = error ? xml_escape(error) : NULL;
	struct evbuffer *buf = evbuffer_new();

	if (buf == NULL || action == NULL || (error != NULL && err == NULL))
		goto fail;
	login_sign(c->c_np, lg->lg_handle, tg->name, sig);
	evbuffer_add_printf(buf,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<config-auth client=\"vpn\" type=\"auth-request\" "
	    "aggregate-auth-version=\"2\">\n"
	    "<opaque is-for=\"sg\"><tunnel-group>%s</tunnel-group>"
	    "<aggauth-handle>%s</aggauth-handle><auth-sig>%s</auth-sig>"
	    "</opaque>\n"
	    "<auth id=\"main\">\n<title>Login</title>\n"
	    "<message>Enter your username and password.</message>\n",
	    tg->name, lg->lg_handle, sig);
	if (err != NULL)
		evbuffer_add_printf(buf, "<error id=\"88\" param1=\"\" "
		    "param2=\"\">%s</error>\n", err);
	evbuffer_add_printf(buf,
	    "<form method=\"post\" action=\"%s\">\n"
	    "<input type=\"text\" name=\"username\" label=\"Username:\"/>\n"
	    "<input type=\"password\" name=\"password\" "
	    "label=\"Password:\"/>\n</form>\n</auth>\n</config-auth>\n",
	    action);
	snprintf(headers, sizeof(headers), "Set-Cookie: webvpncontext=%s; "
	    "Secure; HttpOnly\r\n", lg->lg_handle);
	free(action);
	free(err);
	login_send_xml(c, buf, headers, false);
	conn_request_done(c);
	return;
fail:
	free(action);
	free(err);
	if (buf != NULL)
		evbuffer_free(buf);
	conn_close(c);
}

static void
login_send_complete(struct conn *c, const struct session *se)
{
	struct evbuffer *buf = evbuffer_new();
	char headers[256];

	if (buf == NULL) {
		conn_close(c);
		return;
	}
	evbuffer_add_printf(buf,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<config-auth client=\"vpn\" type=\"complete\" "
	    "aggregate-auth-version=\"2\">\n"
	    "<session-id>%llu</session-id>\n"
	    "<session-token>%s</session-token>\n"
	    "<auth id=\"success\">\n<message id=\"0\" param1=\"\" "
	    "param2=\"\"></message>\n</auth>\n</config-auth>\n",
	    (unsigned long long)se->se_id, se->se_cookie);
	snprintf(headers, sizeof(headers),
	    "Set-Cookie: webvpn=%s; Secure; HttpOnly\r\n"
	    "Set-Cookie: webvpncontext=; expires=Thu, 01 Jan 1970 "
	    "00:00:00 GMT; Secure\r\n", se->se_cookie);
	login_send_xml(c, buf, headers, false);
	conn_request_done(c);
}

static void
login_reject_url(struct conn *c, const char *url)
{
	char body[CONFIG_URL_MAX + 128];

	c->c_np->stats.urls_rejected++;
	conn_log(c, LOG_INFO, "rejected login: no tunnel-group has the "
	    "group-url %s", url);
	snprintf(body, sizeof(body), "No tunnel-group is configured for "
	    "%s: check the VPN address, including its path.\n", url);
	conn_respond(c, 404, "Not Found", NULL, "text/plain", body,
	    strlen(body), true);
}

/*
 * Select the tunnel-group of a first request: the XML group-access URL
 * when the client sent one, else the Host header and request path. When
 * both are present and name different groups, the login is rejected
 * rather than guessed.
 */
static const struct login_url *
login_select_group(struct conn *c, const struct http_request *req,
    const char *group_access, char *shown, size_t shownlen)
{
	const char *host = http_request_header(req, "Host");
	const struct login_url *by_access = NULL, *by_request = NULL;
	struct groupurl u;

	snprintf(shown, shownlen, "https://%s%s", host ? host : "?",
	    req->path);
	if (host != NULL && groupurl_from_request(host, req->target, &u) == 0)
		by_request = login_find_url(&u);
	if (group_access != NULL && group_access[0] != '\0') {
		snprintf(shown, shownlen, "%s", group_access);
		if (groupurl_parse(group_access, &u) == 0)
			by_access = login_find_url(&u);
		if (by_access != NULL && by_request != NULL &&
		    by_access->lu_tgroup != by_request->lu_tgroup) {
			conn_log(c, LOG_INFO, "group-access %s and request "
			    "path %s select different groups", group_access,
			    req->path);
			return (NULL);
		}
		return (by_access);
	}
	return (by_request);
}

static void
login_start(struct conn *c, const struct http_request *req,
    const struct xmlauth_request *x)
{
	const struct login_url *lu;
	struct login *lg;
	char shown[CONFIG_URL_MAX + 300];

	lu = login_select_group(c, req, x->group_access, shown,
	    sizeof(shown));
	if (lu == NULL) {
		login_reject_url(c, shown);
		return;
	}
	if ((lg = login_new(c->c_np, lu->lu_tgroup, lu->lu_url.path)) ==
	    NULL) {
		conn_log(c, LOG_WARNING, "cannot start a login: too many "
		    "logins in progress or out of memory");
		conn_respond(c, 503, "Service Unavailable", NULL, NULL, NULL,
		    0, true);
		return;
	}
	conn_log(c, LOG_INFO, "login started: group=%s url=%s",
	    c->c_np->cfg->tgroups[lg->lg_tgroup].name, shown);
	login_send_form(c, lg, NULL);
}

/* Find the login of a follow-up request through opaque or cookie. */
static struct login *
login_resume(struct conn *c, const struct http_request *req,
    const struct xmlauth_request *x)
{
	char cookie[LOGIN_HANDLE_TEXT + 1], sig[LOGIN_SIG_TEXT];
	const char *hdr = http_request_header(req, "Cookie");
	struct login *lg = NULL;

	if (x->opaque_handle[0] != '\0') {
		lg = login_find(x->opaque_handle);
		if (lg != NULL) {
			login_sign(c->c_np, lg->lg_handle,
			    c->c_np->cfg->tgroups[lg->lg_tgroup].name, sig);
			if (strlen(x->opaque_sig) != LOGIN_SIG_TEXT - 1 ||
			    CRYPTO_memcmp(sig, x->opaque_sig,
			    LOGIN_SIG_TEXT - 1) != 0)
				lg = NULL;
		}
	}
	if (lg == NULL && hdr != NULL &&
	    http_cookie_get(hdr, "webvpncontext", cookie, sizeof(cookie)))
		lg = login_find(cookie);
	return (lg);
}

static void
login_fail(struct login *lg, struct conn *c, const char *why)
{
	lg->lg_failures++;
	c->c_np->stats.logins_denied++;
	conn_log(c, LOG_INFO, "login failed: user=%s group=%s: %s "
	    "(attempt %u of %d)", lg->lg_user,
	    c->c_np->cfg->tgroups[lg->lg_tgroup].name, why, lg->lg_failures,
	    LOGIN_MAX_FAILURES);
	if (lg->lg_failures >= LOGIN_MAX_FAILURES) {
		login_free(lg);
		conn_respond(c, 401, "Authentication failed", NULL, NULL,
		    NULL, 0, true);
		return;
	}
	login_send_form(c, lg, why);
}

static void
login_grant(struct login *lg, struct conn *c)
{
	struct netproc *np = c->c_np;
	const struct config_tgroup *tg = &np->cfg->tgroups[lg->lg_tgroup];
	const struct config_pool *cp = &np->cfg->pools[tg->pool];
	struct session *se;
	uint32_t addr;
	char text[256];

	if (pool_lease(np->pools[tg->pool], &addr) != 0) {
		np->stats.logins_pool_exhausted++;
		conn_log(c, LOG_WARNING, "login refused: user=%s group=%s: "
		    "pool %s has no free address (%zu in use)", lg->lg_user,
		    tg->name, cp->name, pool_used(np->pools[tg->pool]));
		snprintf(text, sizeof(text), "No address is free in pool "
		    "%s; try again later or ask your administrator to "
		    "enlarge the pool.", cp->name);
		login_send_form(c, lg, text);
		return;
	}
	se = session_create(np->sessions, lg->lg_user, lg->lg_tgroup,
	    tg->pool, addr, c->c_peer);
	if (se == NULL) {
		pool_release(np->pools[tg->pool], addr);
		conn_respond(c, 503, "Service Unavailable", NULL, NULL, NULL,
		    0, true);
		return;
	}
	np->stats.logins_ok++;
	snprintf(se->se_user_agent, sizeof(se->se_user_agent), "%s",
	    "");
	session_log(se, LOG_INFO, "logged in; address %s leased from pool "
	    "%s", inet_ntop(AF_INET, &(struct in_addr){ htonl(addr) }, text,
	    sizeof(text)), cp->name);
	login_free(lg);
	login_send_complete(c, se);
}

static void
login_auth_done(void *arg, enum ipc_auth_result result, const char *msg)
{
	struct login *lg = arg;
	struct conn *c = lg->lg_conn;

	lg->lg_conn = NULL;
	c->c_login = NULL;
	switch (result) {
	case IPC_AUTH_OK:
		login_grant(lg, c);
		break;
	case IPC_AUTH_DENIED:
		login_fail(lg, c, "Login failed: wrong username or "
		    "password.");
		break;
	default:
		c->c_np->stats.logins_error++;
		conn_log(c, LOG_WARNING, "login of user=%s could not be "
		    "checked: %s", lg->lg_user, msg);
		login_send_form(c, lg, "The authentication service is "
		    "unavailable; try again later.");
		break;
	}
}

static void
login_check(struct conn *c, struct login *lg,
    const struct xmlauth_request *x)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[lg->lg_tgroup];
	int64_t id;

	snprintf(lg->lg_user, sizeof(lg->lg_user), "%s", x->username);
	if (!x->has_username || !x->has_password) {
		login_send_form(c, lg, "Enter your username and password.");
		return;
	}
	if (strchr(x->username, ' ') || strchr(x->password, ' ')) {
		login_fail(lg, c, "Usernames and passwords may not contain "
		    "spaces, because IP phones cannot send them.");
		return;
	}
	if (!userfile_name_valid(x->username) ||
	    !userfile_password_valid(x->password)) {
		login_fail(lg, c, "The username or password contains "
		    "characters that are not allowed.");
		return;
	}
	id = authc_request(c->c_np->authc, tg->name, x->username,
	    x->password, login_auth_done, lg);
	if (id < 0) {
		c->c_np->stats.logins_error++;
		conn_log(c, LOG_WARNING, "cannot ask authd: %s",
		    strerror((int)-id));
		login_send_form(c, lg, "The authentication service is "
		    "unavailable; try again later.");
		return;
	}
	lg->lg_request = id;
	lg->lg_conn = c;
	c->c_login = lg;
}

static void
login_reply(struct conn *c, const struct http_request *req,
    const struct xmlauth_request *x)
{
	struct login *lg = login_resume(c, req, x);
	const char *group;

	if (lg == NULL) {
		conn_log(c, LOG_INFO, "auth-reply without a valid login "
		    "context (expired or forged)");
		conn_respond(c, 401, "Login expired", NULL, NULL, NULL, 0,
		    true);
		return;
	}
	group = c->c_np->cfg->tgroups[lg->lg_tgroup].name;
	if (x->group_select[0] != '\0' && strcmp(x->group_select, group)) {
		conn_log(c, LOG_INFO, "group-select %s differs from the group "
		    "%s chosen by the login's first request", x->group_select,
		    group);
		login_free(lg);
		conn_respond(c, 403, "Forbidden", NULL, NULL, NULL, 0, true);
		return;
	}
	login_check(c, lg, x);
}

static void
login_logout(struct conn *c, const struct xmlauth_request *x)
{
	struct session *se = session_find_cookie(c->c_np->sessions,
	    x->session_token);
	static const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<config-auth client=\"vpn\" type=\"complete\" "
	    "aggregate-auth-version=\"2\"><logout/></config-auth>\n";

	if (se != NULL)
		session_destroy(se, "logged out by the client");
	conn_respond(c, 200, "OK", NULL, "text/xml; charset=utf-8", body,
	    strlen(body), true);
}

static void
login_handle_xml(struct conn *c, const struct http_request *req)
{
	struct xmlauth_request *x = calloc(1, sizeof(*x));
	char err[256];

	if (x == NULL) {
		conn_close(c);
		return;
	}
	if (xmlauth_parse(req->body, req->body_len, x, err,
	    sizeof(err)) != 0) {
		conn_log(c, LOG_INFO, "rejected XML request: %s", err);
		conn_respond(c, 400, "Bad Request", NULL, "text/plain", err,
		    strlen(err), true);
	} else if (x->type == XMLAUTH_INIT) {
		login_start(c, req, x);
	} else if (x->type == XMLAUTH_AUTH_REPLY) {
		login_reply(c, req, x);
	} else if (x->type == XMLAUTH_LOGOUT) {
		login_logout(c, x);
	} else {
		conn_log(c, LOG_INFO, "rejected XML request of unknown type");
		conn_respond(c, 400, "Bad Request", NULL, NULL, NULL, 0, true);
	}
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

/* A browser or a client without XML support on a group-url. */
static void
login_handle_plain(struct conn *c, const struct http_request *req)
{
	static const char page[] = "<html><body><p>This is a VPN headend. "
	    "Connect with an AnyConnect-compatible VPN client."
	    "</p></body></html>\n";
	const struct login_url *lu;
	char shown[CONFIG_URL_MAX + 300];

	lu = login_select_group(c, req, NULL, shown, sizeof(shown));
	if (lu == NULL) {
		login_reject_url(c, shown);
		return;
	}
	conn_respond(c, 200, "OK", NULL, "text/html", page, strlen(page),
	    true);
}

void
login_handle(struct conn *c, const struct http_request *req)
{
	const char *agg = http_request_header(req, "X-Aggregate-Auth");

	if (req->method == HTTP_METHOD_POST && agg != NULL &&
	    strcmp(agg, "1") == 0)
		login_handle_xml(c, req);
	else
		login_handle_plain(c, req);
}
