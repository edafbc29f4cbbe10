/*
 * The client side of the login flows and of CONNECT. Responses are parsed
 * only as far as a client needs: the document type, the <opaque> block to
 * echo, the form's action and inputs, and the session token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "loadgen.h"

#define PHONE_USER_AGENT	"Cisco SVC IPPhone Client v1.0 (1.0)"
#define FORM_FIELDS_MAX		1024	/* bytes of XML <auth> fields */
#define ATTR_MAX		256
#define USER_TEXT_MAX		(LOADGEN_TEXT_MAX + 16)	/* prefix + index */

static void
login_username(const struct client *c, char *out, size_t outlen)
{
	const struct options *o = &c->lg->opt;

	if (o->users > 0)
		snprintf(out, outlen, "%s%05u", o->user, c->id % o->users);
	else
		snprintf(out, outlen, "%s", o->user);
}

static const char *
login_user_agent(const struct client *c)
{
	return (c->lg->opt.flow == FLOW_PHONE ? PHONE_USER_AGENT :
	    c->lg->opt.user_agent);
}

/* Append "Cookie: a=b; c=d\r\n" for the cookies kept so far. */
static void
login_add_cookies(struct client *c, struct evbuffer *b, const char *extra)
{
	const struct setup *s = c->setup;
	const char *sep = "";
	int i;

	if (extra == NULL && s->cookies[0][0] == '\0')
		return;
	evbuffer_add_printf(b, "Cookie: ");
	if (extra != NULL) {
		evbuffer_add_printf(b, "%s", extra);
		sep = "; ";
	}
	for (i = 0; i < LOADGEN_COOKIES && s->cookies[i][0] != '\0'; i++) {
		evbuffer_add_printf(b, "%s%s", sep, s->cookies[i]);
		sep = "; ";
	}
	evbuffer_add_printf(b, "\r\n");
}

/* Send a request; body may be NULL. Fails the client on error. */
static int
login_send(struct client *c, const char *method, const char *path,
    const char *content_type, const char *body, const char *extra_headers)
{
	struct evbuffer *b = bufferevent_get_output(c->bev);
	size_t len = body != NULL ? strlen(body) : 0;

	evbuffer_add_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: %s\r\nAccept: */*\r\nX-Transcend-Version: 1\r\n",
	    method, path, c->lg->opt.host, login_user_agent(c));
	if (extra_headers != NULL)
		evbuffer_add_printf(b, "%s", extra_headers);
	login_add_cookies(c, b, c->lg->opt.flow == FLOW_PHONE &&
	    strcmp(method, "POST") == 0 ? "webvpnlogin=1" : NULL);
	if (content_type != NULL)
		evbuffer_add_printf(b, "Content-Type: %s\r\n", content_type);
	if (body != NULL || strcmp(method, "POST") == 0)
		evbuffer_add_printf(b, "Content-Length: %zu\r\n", len);
	evbuffer_add_printf(b, "\r\n");
	if (len > 0)
		evbuffer_add(b, body, len);
	return (0);
}

int
login_send_first(struct client *c)
{
	const struct options *o = &c->lg->opt;
	char body[1024];

	if (o->flow == FLOW_PHONE)
		return (login_send(c, "GET", o->path, NULL, NULL, NULL));
	snprintf(body, sizeof(body),
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<config-auth client=\"vpn\" type=\"init\" "
	    "aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3"
	    "</version><device-id>linux-64</device-id>"
	    "<group-access>https://%s%s</group-access></config-auth>\n",
	    o->host, o->path);
	return (login_send(c, "POST", o->path,
	    "application/xml; charset=utf-8", body,
	    "X-Aggregate-Auth: 1\r\nX-Support-HTTP-Auth: true\r\n"));
}

/* Keep or replace a cookie from one Set-Cookie value; drop expired ones. */
static void
login_store_cookie(struct setup *s, const char *value)
{
	char pair[LOADGEN_COOKIE_MAX], line[LOADGEN_COOKIE_MAX];
	size_t n = strcspn(value, ";\r\n"), name_len;
	const char *eq = memchr(value, '=', n);
	bool expired;
	int i;

	if (eq == NULL || n >= sizeof(pair))
		return;
	memcpy(pair, value, n);
	pair[n] = '\0';
	header_copy(value, line, sizeof(line));
	name_len = (size_t)(eq - value);
	/* Servers delete a cookie with an empty value or a past date. */
	expired = eq[1] == ';' || eq[1] == '\r' ||
	    strstr(line, "1970") != NULL;
	if (strncmp(pair, "webvpn=", 7) == 0 && !expired)
		snprintf(s->token, sizeof(s->token), "%s", pair + 7);
	for (i = 0; i < LOADGEN_COOKIES && s->cookies[i][0] != '\0'; i++) {
		if (strncmp(s->cookies[i], pair, name_len + 1) == 0)
			break;
	}
	if (i == LOADGEN_COOKIES)
		return;
	if (!expired) {
		memcpy(s->cookies[i], pair, n + 1);
		return;
	}
	/* Remove it by moving the later cookies down. */
	for (; i + 1 < LOADGEN_COOKIES; i++)
		memcpy(s->cookies[i], s->cookies[i + 1], LOADGEN_COOKIE_MAX);
	s->cookies[LOADGEN_COOKIES - 1][0] = '\0';
}

static void
login_store_cookies(struct setup *s, const char *head)
{
	const char *cursor = NULL, *v;

	while ((v = header_find(head, "Set-Cookie", &cursor)) != NULL)
		login_store_cookie(s, v);
}

/* Copy the value of attribute name inside the tag that starts at tag. */
static bool
xml_attr(const char *tag, const char *name, char *out, size_t outlen)
{
	const char *end = strchr(tag, '>'), *p = tag;
	size_t nlen = strlen(name), n;

	while (end != NULL && (p = strstr(p, name)) != NULL && p < end) {
		if (p[-1] == ' ' && p[nlen] == '=' && p[nlen + 1] == '"') {
			p += nlen + 2;
			n = strcspn(p, "\"");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return (true);
		}
		p += nlen;
	}
	return (false);
}

/* Copy the text of the first <name>...</name> element. */
static bool
xml_text(const char *doc, const char *name, char *out, size_t outlen)
{
	char open[64], close[64];
	const char *p, *e;
	size_t n;

	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	if ((p = strstr(doc, open)) == NULL)
		return (false);
	p += strlen(open);
	if ((e = strstr(p, close)) == NULL)
		return (false);
	n = (size_t)(e - p);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return (true);
}

/* Add the <auth> children for the inputs of the server's form. */
static void
login_fill_inputs(struct client *c, const char *form, char *out,
    size_t outlen)
{
	char name[ATTR_MAX], type[ATTR_MAX], value[USER_TEXT_MAX];
	char user[USER_TEXT_MAX];
	const char *p = form;
	size_t used = 0;

	login_username(c, user, sizeof(user));
	out[0] = '\0';
	while ((p = strstr(p, "<input")) != NULL && used < outlen) {
		p += 6;
		if (!xml_attr(p, "name", name, sizeof(name)))
			continue;
		if (!xml_attr(p, "type", type, sizeof(type)))
			type[0] = '\0';
		if (strcmp(type, "password") == 0)
			snprintf(value, sizeof(value), "%s",
			    c->lg->opt.password);
		else if (strcmp(type, "hidden") == 0) {
			if (!xml_attr(p, "value", value, sizeof(value)))
				value[0] = '\0';
		} else
			snprintf(value, sizeof(value), "%s", user);
		used += (size_t)snprintf(out + used, outlen - used,
		    "<%s>%s</%s>", name, value, name);
	}
}

/* Reply to an auth-request with the echoed <opaque> and the inputs. */
static int
login_send_reply(struct client *c, const char *doc)
{
	char action[ATTR_MAX] = "/", fields[FORM_FIELDS_MAX], *body;
	const char *form = strstr(doc, "<form");
	const char *op = strstr(doc, "<opaque"), *op_end;
	size_t op_len = 0, len;
	int rc;

	if (form == NULL) {
		client_fail(c, FAIL_HTTP, "auth-request without a form");
		return (-1);
	}
	xml_attr(form + 5, "action", action, sizeof(action));
	if (op != NULL && (op_end = strstr(op, "</opaque>")) != NULL)
		op_len = (size_t)(op_end - op) + 9;
	login_fill_inputs(c, form, fields, sizeof(fields));
	len = op_len + strlen(fields) + 512;
	if ((body = malloc(len)) == NULL) {
		client_fail(c, FAIL_HTTP, "out of memory");
		return (-1);
	}
	snprintf(body, len, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<config-auth client=\"vpn\" type=\"auth-reply\" "
	    "aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3"
	    "</version><device-id>linux-64</device-id>%.*s"
	    "<auth>%s</auth></config-auth>\n", (int)op_len,
	    op != NULL ? op : "", fields);
	rc = login_send(c, "POST", action, "application/xml; charset=utf-8",
	    body, "X-Aggregate-Auth: 1\r\nX-Support-HTTP-Auth: true\r\n");
	free(body);
	return (rc);
}

/* Percent-encode text for an application/x-www-form-urlencoded body. */
static void
form_encode(const char *text, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t used = 0;

	for (; *text != '\0' && used + 4 < outlen; text++) {
		unsigned char ch = (unsigned char)*text;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			out[used++] = (char)ch;
		} else {
			out[used++] = '%';
			out[used++] = hex[ch >> 4];
			out[used++] = hex[ch & 15];
		}
	}
	out[used] = '\0';
}

static int
login_send_phone_form(struct client *c)
{
	char user[USER_TEXT_MAX], u[3 * USER_TEXT_MAX];
	char p[3 * LOADGEN_TEXT_MAX];
	char body[sizeof(u) + sizeof(p) + 32];

	login_username(c, user, sizeof(user));
	form_encode(user, u, sizeof(u));
	form_encode(c->lg->opt.password, p, sizeof(p));
	snprintf(body, sizeof(body), "username=%s&password=%s", u, p);
	return (login_send(c, "POST", c->lg->opt.path,
	    "application/x-www-form-urlencoded", body, NULL));
}

int
login_send_connect(struct client *c)
{
	const struct options *o = &c->lg->opt;
	char extra[LOADGEN_COOKIE_MAX + 32], host[64];
	struct evbuffer *b = bufferevent_get_output(c->bev);

	snprintf(extra, sizeof(extra), "webvpn=%s", c->setup->token);
	snprintf(host, sizeof(host), "loadgen-%u", c->id);
	evbuffer_add_printf(b, "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
	    "Host: %s\r\nUser-Agent: %s\r\nX-Transcend-Version: 1\r\n"
	    "Cookie: %s\r\nX-CSTP-Version: 1\r\nX-CSTP-Hostname: %s\r\n"
	    "X-CSTP-Base-MTU: 1500\r\nX-CSTP-Address-Type: IPv4\r\n",
	    o->host, login_user_agent(c), extra, host);
	dtls_request_headers(c, b);
	evbuffer_add_printf(b, "\r\n");
	c->state = CS_CONNECT;
	return (0);
}

/* Go on with CONNECT once a session token is known. */
static int
login_have_token(struct client *c)
{
	if (c->lg->opt.new_conn)
		return (client_reconnect(c));
	return (login_send_connect(c));
}

static int
login_handle_xml(struct client *c, const char *body)
{
	char token[LOADGEN_COOKIE_MAX], why[256];
	struct setup *s = c->setup;
	const char *err;

	if (strstr(body, "type=\"complete\"") != NULL) {
		if (xml_text(body, "session-token", token, sizeof(token)))
			snprintf(s->token, sizeof(s->token), "%s", token);
		if (s->token[0] == '\0') {
			client_fail(c, FAIL_AUTH, "login completed without a "
			    "session token");
			return (-1);
		}
		return (login_have_token(c));
	}
	if (strstr(body, "type=\"auth-request\"") == NULL) {
		client_fail(c, FAIL_HTTP, "response is neither auth-request "
		    "nor complete");
		return (-1);
	}
	if (s->rounds > 0 && (err = strstr(body, "<error")) != NULL) {
		/* Its text names the cause: wrong password or busy server. */
		if ((err = strchr(err, '>')) == NULL)
			err = "";
		snprintf(why, sizeof(why), "the server answered with the "
		    "error \"%.*s\"", (int)strcspn(err + 1, "<"), err + 1);
		client_fail(c, FAIL_AUTH, why);
		return (-1);
	}
	if (++s->rounds > LOADGEN_AUTH_ROUNDS) {
		client_fail(c, FAIL_AUTH, "too many auth-request rounds");
		return (-1);
	}
	return (login_send_reply(c, body));
}

static int
login_handle_phone(struct client *c)
{
	if (c->setup->token[0] != '\0')
		return (login_have_token(c));
	if (c->phone_got_page) {
		client_fail(c, FAIL_AUTH, "form POST returned no webvpn "
		    "cookie");
		return (-1);
	}
	c->phone_got_page = true;
	return (login_send_phone_form(c));
}

/*
 * Read the CONNECT reply head: the leased address, the keepalive and
 * the DTLS offer. The tunnel counts as up once DTLS is up or has failed.
 */
static int
login_handle_connected(struct client *c, int status, const char *head)
{
	char value[64];
	const char *v;

	if (status != 200) {
		snprintf(value, sizeof(value), "CONNECT returned status %d",
		    status);
		client_fail(c, status == 401 ? FAIL_AUTH : FAIL_TUNNEL, value);
		return (-1);
	}
	if ((v = header_find(head, "X-CSTP-Address", NULL)) == NULL) {
		client_fail(c, FAIL_TUNNEL, "CONNECT reply has no address");
		return (-1);
	}
	header_copy(v, value, sizeof(value));
	if (inet_pton(AF_INET, value, &c->addr) != 1) {
		client_fail(c, FAIL_TUNNEL, "CONNECT reply has an invalid "
		    "X-CSTP-Address");
		return (-1);
	}
	c->keepalive = 20;
	if ((v = header_find(head, "X-CSTP-Keepalive", NULL)) != NULL)
		c->keepalive = atoi(v);
	/* Phones send keepalives at least once a minute. */
	if (c->keepalive <= 0 || c->keepalive > 60)
		c->keepalive = 60;
	if (dtls_start(c, head) == 0)
		return (0);
	client_tunnel_up(c);
	return (0);
}

int
login_handle_response(struct client *c, int status, const char *head,
    const char *body, size_t body_len)
{
	char why[64];

	if (c->lg->opt.verbose)
		fprintf(stderr, "loadgen: client %u response:\n%s%.*s\n",
		    c->id, head, (int)body_len, body);
	if (c->state == CS_CONNECT)
		return (login_handle_connected(c, status, head));
	login_store_cookies(c->setup, head);
	if (status != 200) {
		snprintf(why, sizeof(why), "login request returned status %d",
		    status);
		client_fail(c, status == 401 || status == 403 ? FAIL_AUTH :
		    FAIL_HTTP, why);
		return (-1);
	}
	if (c->lg->opt.flow == FLOW_PHONE)
		return (login_handle_phone(c));
	return (login_handle_xml(c, body));
}
