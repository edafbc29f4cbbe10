/* The XML login flow declared in login.h. */
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
#include "ban.h"
#include "cert.h"
#include "conn.h"
#include "http.h"
#include "legacy.h"
#include "hash.h"
#include "log.h"
#include "login.h"
#include "loginwait.h"
#include "source.h"
#include "netproc.h"
#include "phone.h"
#include "route.h"
#include "session.h"
#include "xmlauth.h"

#define LOGIN_SIG_TEXT		33	/* 16 bytes of HMAC in hex */
#define LOGIN_MAX_FAILURES	3	/* wrong passwords before 401 */
#define LOGIN_LIFETIME		300	/* seconds a login may take */
#define LOGIN_MAX_PENDING	10000	/* logins in progress at once */
#define LOGIN_BUCKETS		4096	/* power of two */

/*
 * Logins in progress from one address beyond which, with the table full,
 * a new login from that address ends one of its own instead of the
 * oldest of all. Without it, a few dozen addresses that start logins and
 * never finish them end every other client's login within a second.
 */
#define LOGIN_FULL_TABLE_SHARE	16

/* A storm of phones has thousands of logins in flight: find by hash. */
static struct {
	TAILQ_HEAD(, login) logins;
	size_t		nlogins;
	struct login	*by_handle[LOGIN_BUCKETS];
} login_state = { .logins = TAILQ_HEAD_INITIALIZER(login_state.logins) };

/* The handle text may come from a client, so all of it is hashed. */
static size_t
login_bucket(const char *handle)
{
	return (hash_text(handle, SIZE_MAX) & (LOGIN_BUCKETS - 1));
}

static void	login_free(struct login *lg);

int
login_init(struct netproc *np)
{
	int rc = route_init(np->cfg);

	if (rc == 0)
		rc = loginwait_init(np->base);
	return (rc != 0 ? rc : cert_start(np));
}

void
login_mark_tgroups(bool used[CONFIG_MAX_TGROUPS])
{
	const struct login *lg;

	TAILQ_FOREACH(lg, &login_state.logins, lg_entry)
		used[lg->lg_tgroup] = true;
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

/*
 * End the oldest login from source (NULL: from any address) that waits
 * for its client, not for authd. Logins that clients opened and left
 * would otherwise lock out everyone behind an address, such as a site's
 * phones behind one NAT, or everyone once the table is full, until they
 * expire. Returns whether one was ended.
 */
static bool
login_evict_oldest(const char *source)
{
	struct login *lg;

	TAILQ_FOREACH(lg, &login_state.logins, lg_entry) {
		if (lg->lg_conn == NULL && !lg->lg_checking &&
		    (source == NULL || strcmp(lg->lg_source, source) == 0)) {
			login_free(lg);
			return (true);
		}
	}
	return (false);
}

/*
 * End a waiting login when the table is full, and count it: the oldest
 * of source when source has more than its share, else the oldest of all.
 */
static bool
login_make_room(struct netproc *np, const char *source)
{
	uint64_t full = counter_add(&np->stats.logins_table_full, 1);
	bool own = false, room;

	if (source_count(np->sources, source, SOURCE_LOGIN) >
	    LOGIN_FULL_TABLE_SHARE)
		own = login_evict_oldest(source);
	room = own || login_evict_oldest(NULL);

	/* A flood would log a line per login, so every 1000th is enough. */
	if (full % 1000 != 0)
		return (room);
	if (room)
		log_warnx("%d logins are in progress: ended the oldest that "
		    "waited for its client%s%s, to start a new one (%llu "
		    "times so far)", LOGIN_MAX_PENDING, own ? " from " : "",
		    own ? source : "", (unsigned long long)full + 1);
	else
		log_warnx("login rejected: %d logins are in progress, all "
		    "waiting for authd (%llu times so far)", LOGIN_MAX_PENDING,
		    (unsigned long long)full + 1);
	return (room);
}

static struct login *
login_new(struct netproc *np, size_t tgroup, const char *path,
    const char *source)
{
	static const char hex[] = "0123456789abcdef";
	struct timeval tv = { LOGIN_LIFETIME, 0 };
	uint8_t raw[LOGIN_HANDLE_LEN];
	struct login *lg, **bucket;
	size_t i;

	if (login_state.nlogins >= LOGIN_MAX_PENDING &&
	    !login_make_room(np, source))
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
	bucket = &login_state.by_handle[login_bucket(lg->lg_handle)];
	lg->lg_next_by_handle = *bucket;
	*bucket = lg;
	login_state.nlogins++;
	return (lg);
}

static void
login_free(struct login *lg)
{
	struct login **pp = &login_state.by_handle[login_bucket(lg->lg_handle)];

	while (*pp != lg)
		pp = &(*pp)->lg_next_by_handle;
	*pp = lg->lg_next_by_handle;
	loginwait_remove(lg);
	if (lg->lg_checking) {
		authc_cancel(lg->lg_np->authc, lg->lg_request);
		ban_check_end(lg->lg_np->bans, lg->lg_source, lg->lg_checked);
		loginwait_notify(lg->lg_source, lg->lg_checked);
	}
	if (lg->lg_conn != NULL)
		lg->lg_conn->c_login = NULL;
	source_del(lg->lg_np->sources, lg->lg_source, SOURCE_LOGIN);
	TAILQ_REMOVE(&login_state.logins, lg, lg_entry);
	login_state.nlogins--;
	event_free(lg->lg_expire);
	cert_identity_clear(&lg->lg_cert);
	free(lg);
}

/*
 * The password check goes on without the client, because its result must
 * count for the bans: otherwise a client could guess without limit by
 * hanging up before authd replies.
 */
void
login_conn_gone(struct login *lg)
{
	loginwait_remove(lg);
	lg->lg_conn = NULL;

	/* A phone's or form's login is one request: none can resume it. */
	if (!lg->lg_checking && !lg->lg_resumable)
		login_free(lg);
}

size_t
login_count(void)
{
	return (login_state.nlogins);
}

static struct login *
login_find(const char *handle)
{
	struct login *lg;

	if (strlen(handle) != LOGIN_HANDLE_TEXT - 1)
		return (NULL);
	lg = login_state.by_handle[login_bucket(handle)];
	for (; lg != NULL; lg = lg->lg_next_by_handle) {
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
	bool cert_user = lg->lg_cert.ci_user[0] != '\0';

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
	    "<message>%s</message>\n", tg->name, lg->lg_handle, sig,
	    cert_user ? "Enter the password of your certificate's user." :
	    "Enter your username and password.");
	if (err != NULL)
		evbuffer_add_printf(buf, "<error id=\"88\" param1=\"\" "
		    "param2=\"\">%s</error>\n", err);
	evbuffer_add_printf(buf, "<form method=\"post\" action=\"%s\">\n%s"
	    "<input type=\"password\" name=\"password\" "
	    "label=\"Password:\"/>\n</form>\n</auth>\n</config-auth>\n",
	    action, cert_user ? "" : "<input type=\"text\" "
	    "name=\"username\" label=\"Username:\"/>\n");
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

/* Count a login against its source, ending an abandoned one if full. */
static bool
login_source_add(struct conn *c)
{
	struct netproc *np = c->c_np;
	int limit = np->cfg->limits.logins_per_source;
	uint64_t over;

	if (source_add(np->sources, c->c_addr, SOURCE_LOGIN, limit))
		return (true);
	over = counter_add(&np->stats.logins_over_source_limit, 1);
	if (login_evict_oldest(c->c_addr) &&
	    source_add(np->sources, c->c_addr, SOURCE_LOGIN, limit)) {
		if (over % 100 == 0)
			conn_log(c, LOG_INFO, "the source has %d logins in "
			    "progress (limit logins-per-source): ended its "
			    "oldest waiting one to start this", limit);
		return (true);
	}
	conn_log(c, LOG_INFO, "login refused: the source has %d logins "
	    "waiting for authd (limit logins-per-source)", limit);
	return (false);
}

struct login *
login_create(struct conn *c, const struct http_request *req,
    const struct route *rt)
{
	const char *agent = http_request_header(req, "User-Agent");
	struct netproc *np = c->c_np;
	struct login *lg = NULL;

	if (login_source_add(c) &&
	    (lg = login_new(np, rt->ro_tgroup, rt->ro_path, c->c_addr)) ==
	    NULL) {
		source_del(np->sources, c->c_addr, SOURCE_LOGIN);
		conn_log(c, LOG_INFO, "login refused: no room for another "
		    "login in progress, or out of memory");
	}
	if (lg == NULL) {
		conn_respond(c, 503, "Service Unavailable", NULL, NULL, NULL,
		    0, true);
		return (NULL);
	}
	snprintf(lg->lg_source, sizeof(lg->lg_source), "%s", c->c_addr);
	snprintf(lg->lg_agent, sizeof(lg->lg_agent), "%s",
	    agent != NULL ? agent : "");
	return (lg);
}

void
login_destroy(struct login *lg)
{
	login_free(lg);
}

/* An XML response that ends the login with a message and no form. */
static void
login_send_error(struct conn *c, const char *text)
{
	struct evbuffer *buf = evbuffer_new();
	char *msg = xml_escape(text);

	if (buf == NULL || msg == NULL) {
		if (buf != NULL)
			evbuffer_free(buf);
		free(msg);
		conn_close(c);
		return;
	}
	evbuffer_add_printf(buf,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<config-auth client=\"vpn\" type=\"auth-request\" "
	    "aggregate-auth-version=\"2\">\n<auth id=\"main\">\n"
	    "<title>Login failed</title>\n<error id=\"88\" param1=\"\" "
	    "param2=\"\">%s</error>\n</auth>\n</config-auth>\n", msg);
	free(msg);
	login_send_xml(c, buf, NULL, true);
}

/*
 * Ask a client without a certificate to connect again with one. A
 * client that has none replies with <client-cert-fail/>.
 */
static void
login_send_cert_request(struct conn *c)
{
	static const char body[] = "<?xml version=\"1.0\" "
	    "encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" "
	    "type=\"auth-request\" aggregate-auth-version=\"2\">\n"
	    "<client-cert-request/>\n</config-auth>\n";

	conn_respond(c, 200, "OK", NULL, "text/xml; charset=utf-8", body,
	    strlen(body), true);
}

static void	login_grant(struct login *lg, struct conn *c);

/* The first request of a login to a certificate or "both" group. */
static void
login_start_cert(struct conn *c, struct login *lg,
    const struct xmlauth_request *x)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[lg->lg_tgroup];
	int rc = login_verify_cert(lg, c);

	if (rc == -ENOENT && !x->client_cert_fail) {
		login_free(lg);
		login_send_cert_request(c);
		return;
	}
	if (rc != 0) {
		login_free(lg);
		login_send_error(c, rc == -EAGAIN ? "The server cannot check "
		    "certificates at the moment; try again later." :
		    "Certificate Validation Failure: the client certificate "
		    "is missing or not accepted for this VPN address.");
		return;
	}
	if (tg->auth == AUTH_METHOD_CERTIFICATE)
		login_grant(lg, c);
	else
		login_send_form(c, lg, NULL);
}

static void
login_start(struct conn *c, const struct http_request *req,
    const struct xmlauth_request *x)
{
	const struct config_tgroup *tg;
	struct route rt;
	struct login *lg;

	if (route_select(c, req, x->group_access, &rt) != 0)
		return;
	if ((lg = login_create(c, req, &rt)) == NULL)
		return;
	lg->lg_resumable = true;
	tg = &c->c_np->cfg->tgroups[lg->lg_tgroup];
	conn_log_limited(c, LOG_INFO, "login started: group=%s path=%s",
	    tg->name, rt.ro_path);
	if (tg->auth == AUTH_METHOD_PASSWORD)
		login_send_form(c, lg, NULL);
	else
		login_start_cert(c, lg, x);
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

/*
 * Copy user into out for a log line, with each space written as \x20. A
 * rejected name may contain spaces, and then a "result=ok" in it
 * would read as a field of the line.
 */
static const char *
login_user_logged(const char *user, char *out, size_t len)
{
	size_t used = 0;

	for (; *user != '\0' && used + 5 < len; user++) {
		if (*user == ' ') {
			memcpy(out + used, "\\x20", 4);
			used += 4;
		} else {
			out[used++] = *user;
		}
	}
	out[used] = '\0';
	return (out);
}

static void
login_fail(struct login *lg, struct conn *c, const char *why)
{
	char user[4 * IPC_USER_MAX];

	lg->lg_failures++;

	/* login_banned logged and counted a refusal by a ban. */
	if (!lg->lg_banned) {
		counter_add(&c->c_np->stats.logins_denied, 1);
		conn_log(c, LOG_INFO, "login failed: user=%s group=%s: %s "
		    "(attempt %u of %d)",
		    login_user_logged(lg->lg_user, user, sizeof(user)),
		    c->c_np->cfg->tgroups[lg->lg_tgroup].name, why,
		    lg->lg_failures, LOGIN_MAX_FAILURES);
	}
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
	const struct config *cfg = c->c_np->cfg;
	struct session *se;
	char text[256];
	int rc = login_open_session(lg, c, &se);

	if (rc == -ENOSPC) {
		snprintf(text, sizeof(text), "No address is free in pool "
		    "%s; try again later or ask your administrator to "
		    "enlarge the pool.", cfg->pools[
		    cfg->tgroups[lg->lg_tgroup].pool].name);
		login_send_form(c, lg, text);
		return;
	}
	if (rc == -EUSERS) {
		login_send_form(c, lg, "The maximum number of VPN sessions is "
		    "reached; try again later.");
		return;
	}
	if (rc == -EDQUOT) {
		login_send_form(c, lg, "You are already logged in with the "
		    "maximum number of sessions; log out of one of them "
		    "first.");
		return;
	}
	if (rc != 0) {
		conn_respond(c, 503, "Service Unavailable", NULL, NULL, NULL,
		    0, true);
		return;
	}
	login_free(lg);
	login_send_complete(c, se);
}

static void
login_auth_done(struct login *lg, struct conn *c,
    enum ipc_auth_result result, const char *msg)
{
	switch (result) {
	case IPC_AUTH_OK:
		login_grant(lg, c);
		break;
	case IPC_AUTH_DENIED:
		login_fail(lg, c, "Login failed: wrong username or "
		    "password.");
		break;
	default:
		if (!lg->lg_banned) {
			counter_add(&c->c_np->stats.logins_error, 1);
			conn_log(c, LOG_WARNING, "login of user=%s could not "
			    "be checked: %s", lg->lg_user, msg);
		}
		login_send_form(c, lg, "The authentication service is "
		    "unavailable; try again later.");
		break;
	}
}

/*
 * In a "both" group the username is the certificate's, checked at the
 * first request, so the reply carries only the password. A certificate
 * sent again on this connection must be the same one.
 */
static bool
login_cert_user(struct conn *c, struct login *lg, const char **user)
{
	if (lg->lg_cert.ci_user[0] == '\0')
		return (true);
	if (SSL_get0_peer_certificate(c->c_ssl) != NULL &&
	    !cert_matches(c->c_ssl, &lg->lg_cert)) {
		conn_log(c, LOG_INFO, "auth-reply for user=%s on a connection "
		    "with another client certificate", lg->lg_user);
		return (false);
	}
	*user = lg->lg_cert.ci_user;
	return (true);
}

static void
login_check(struct conn *c, struct login *lg,
    const struct xmlauth_request *x)
{
	const struct config_tgroup *tg = &c->c_np->cfg->tgroups[lg->lg_tgroup];
	const char *user = x->username, *problem;
	bool has_user = x->has_username;

	/* A ban refused the login's previous reply, maybe; not this one. */
	lg->lg_banned = false;
	if (tg->auth == AUTH_METHOD_CERTIFICATE ||
	    !login_cert_user(c, lg, &user)) {
		login_free(lg);
		conn_respond(c, 401, "Authentication failed", NULL, NULL,
		    NULL, 0, true);
		return;
	}
	has_user |= user != x->username;
	snprintf(lg->lg_user, sizeof(lg->lg_user), "%s", user);
	if (x->credential_too_long) {
		login_fail(lg, c, login_too_long);
		return;
	}
	if (!has_user || !x->has_password) {
		login_send_form(c, lg, "Enter your username and password.");
		return;
	}
	if ((problem = login_credentials_problem(user, x->password)) != NULL) {
		login_fail(lg, c, problem);
		return;
	}
	if (login_authenticate(lg, c, user, x->password,
	    login_auth_done) != 0)
		login_send_form(c, lg, "The authentication service is "
		    "unavailable; try again later.");
}

static const char login_group_gone[] = "The tunnel-group of this login "
    "was removed. Connect again with another group URL.\n";

static void
login_reply(struct conn *c, const struct http_request *req,
    const struct xmlauth_request *x)
{
	struct login *lg = login_resume(c, req, x);
	const char *group;

	if (lg == NULL) {
		counter_add(&c->c_np->stats.logins_expired, 1);
		conn_log_limited(c, LOG_INFO, "auth-reply without a valid "
		    "login context (expired or forged)");
		conn_respond(c, 401, "Login expired", NULL, NULL, NULL, 0,
		    true);
		return;
	}
	if (lg->lg_checking || lg->lg_waiting) {
		/*
		 * Another connection's reply for this login waits for authd.
		 * Touching the login now would leave that connection without
		 * a response, or let two authd replies race for one login.
		 */
		conn_log(c, LOG_INFO, "auth-reply for a login whose password "
		    "is being checked on another connection; rejected");
		conn_respond(c, 409, "Conflict", NULL, NULL, NULL, 0, true);
		return;
	}
	group = c->c_np->cfg->tgroups[lg->lg_tgroup].name;
	if (c->c_np->cfg->tgroups[lg->lg_tgroup].retired) {
		/* authd runs the new file, which no longer has the group. */
		counter_add(&c->c_np->stats.logins_expired, 1);
		conn_log(c, LOG_INFO, "login ended: a reload removed its "
		    "tunnel-group %s", group);
		login_free(lg);
		conn_respond(c, 404, "Not Found", NULL, "text/plain",
		    login_group_gone, strlen(login_group_gone), true);
		return;
	}
	/*
	 * headend offers no group list, so a group-select is a client's
	 * memory of another gateway. The signed handle fixes the group, so
	 * the login goes on in it.
	 */
	if (x->group_select[0] != '\0' && strcmp(x->group_select, group))
		conn_log(c, LOG_INFO, "group-select %s ignored: the login "
		    "stays in tunnel-group %s, which its first request chose",
		    x->group_select, group);
	login_check(c, lg, x);
}

static void
login_logout(struct conn *c, const struct xmlauth_request *x)
{
	struct session *se = session_find_cookie(c->c_np->sessions,
	    x->session_token, c->c_peer);
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
		conn_log_limited(c, LOG_INFO, "rejected XML request: %s", err);
		conn_respond(c, 400, "Bad Request", NULL, "text/plain", err,
		    strlen(err), true);
	} else if (x->type == XMLAUTH_INIT) {
		login_start(c, req, x);
	} else if (x->type == XMLAUTH_AUTH_REPLY) {
		login_reply(c, req, x);
	} else if (x->type == XMLAUTH_LOGOUT) {
		login_logout(c, x);
	} else {
		conn_log_limited(c, LOG_INFO, "rejected XML request of "
		    "unknown type");
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
	struct route rt;

	if (route_select(c, req, NULL, &rt) != 0)
		return;
	conn_respond(c, 200, "OK", NULL, "text/html", page, strlen(page),
	    true);
}

void
login_handle(struct conn *c, const struct http_request *req)
{
	const char *agg = http_request_header(req, "X-Aggregate-Auth");

	if (phone_is_phone(req))
		phone_handle(c, req);
	else if (req->method == HTTP_METHOD_POST && agg != NULL &&
	    strcmp(agg, "1") == 0)
		login_handle_xml(c, req);
	else if (legacy_is_client(req))
		legacy_handle(c, req);
	else
		login_handle_plain(c, req);
}
