/*
 * DTLS for one simulated client, event-driven: a connected UDP socket
 * per client, an OpenSSL DTLS client on a datagram BIO, and a handshake
 * driven by the socket's read event and OpenSSL's retransmission timer.
 * Each record carries one packet behind a 1-byte type with the CSTP type
 * values, as openconnect sends them.
 *
 * The client runs the dialect that the CONNECT reply names:
 * - PSK-NEGOTIATE: a full handshake with a PSK suite. The key is 32
 *   bytes of the TLS exporter of the CSTP connection (label
 *   "EXPORTER-openconnect-psk", no context). The App-ID goes into the
 *   ClientHello session id, where headend looks for it, and into
 *   extension 48018, where ocserv looks first.
 * - DTLS 1.2 resumption and the pre-standard version 0x0100 (OpenSSL's
 *   DTLS1_BAD_VER): OpenSSL resumes a session made by hand, whose master
 *   secret is the X-DTLS-Master-Secret that the client sent and whose id
 *   is the server's X-DTLS-Session-ID. tests/tools/phone-emu-dtls.h
 *   follows the same recipe with a blocking loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cstp.h"
#include "loadgen.h"

#define DTLS_PSK_LABEL		"EXPORTER-openconnect-psk"
#define DTLS_PSK_LEN		32
#define DTLS_ID_MAX		32	/* session id field of a ClientHello */
#define DTLS_APP_ID_EXT		48018	/* openconnect's App-ID extension */
/* Largest datagram on a 1500-byte Ethernet path: less IPv4 and UDP. */
#define DTLS_LINK_MTU		(1500 - 20 - 8)
#define DTLS_RECORD_MAX		(1 + 16384)	/* type byte, max plaintext */
#define DTLS_READS_PER_EVENT	64	/* one client's share of a loop turn */
#define DTLS_LOGGED		3	/* failures logged per kind */
#define DTLS_DEFAULT_PORT	443
#define DTLS_DEFAULT_KEEPALIVE	20
#define DTLS_DEFAULT_DPD	30
#define NS_PER_S		1000000000ull

/*
 * The offers that openconnect 9.01 (Debian 12) sends in CONNECT, less
 * OC2-DTLS1_2-CHACHA20-POLY1305 and the DHE suites, which this client
 * does not run.
 */
#define OFFER_PSK	"PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:" \
			"OC-DTLS1_2-AES128-GCM:AES256-SHA:AES128-SHA"
#define OFFER_DTLS12	"ECDHE-RSA-AES256-GCM-SHA384:" \
			"ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384:" \
			"AES128-GCM-SHA256:AES256-SHA:AES128-SHA"
/* The 0x0100 suites that headend supports. */
#define OFFER_LEGACY	"AES256-SHA:AES128-SHA"

enum link_state {
	LINK_HANDSHAKE,
	LINK_UP,
};

struct dtls_link {
	struct client	*client;
	enum link_state	state;
	enum dtls_dialect dialect;
	int		fd;
	SSL		*ssl;
	struct event	*rx;
	struct event	*timer;		/* handshake retransmit and deadline */
	struct event	*tick;		/* keepalive and DPD, once up */
	uint64_t	started_ns;
	uint64_t	deadline_ns;	/* the handshake fails after this */
	uint64_t	last_rx_ns;
	uint64_t	last_tx_ns;
	int		keepalive;	/* seconds, 0 = none */
	int		dpd;		/* seconds, 0 = none */
	uint8_t		psk[DTLS_PSK_LEN];
	uint8_t		app_ext[1 + DTLS_ID_MAX];	/* length, App-ID */
};

/* The DTLS part of a CONNECT reply. */
struct dtls_reply {
	enum dtls_dialect dialect;
	char		suite[128];	/* OpenSSL name; "" for PSK */
	uint8_t		id[DTLS_ID_MAX];	/* Session-ID or App-ID */
	size_t		id_len;
	uint16_t	port;
	int		keepalive;
	int		dpd;
};

static void	link_rx_cb(evutil_socket_t fd, short events, void *arg);
static void	link_timer_cb(evutil_socket_t fd, short events, void *arg);
static void	link_tick_cb(evutil_socket_t fd, short events, void *arg);

static const char *const dialect_names[DIALECTS] = {
	[DIALECT_PSK] = "psk",
	[DIALECT_DTLS12] = "dtls1.2",
	[DIALECT_LEGACY] = "legacy",
};

const char *
dtls_dialect_name(enum dtls_dialect dialect)
{
	return (dialect_names[dialect]);
}

/* ---- CONNECT request and reply ------------------------------------------ */

/*
 * Append the DTLS request headers of the chosen offer, with a fresh
 * master secret that a resumption dialect needs later.
 */
void
dtls_request_headers(struct client *c, struct evbuffer *b)
{
	const struct options *o = &c->lg->opt;
	const char *ciphers = o->dtls_ciphers, *ciphers12 = o->dtls12_ciphers;
	char hex[2 * DTLS_SECRET_LEN + 1];
	size_t i;

	if (o->dtls == DTLS_NONE)
		return;
	if (ciphers == NULL)
		ciphers = o->dtls == DTLS_PSK ? OFFER_PSK : OFFER_LEGACY;
	if (ciphers12 == NULL)
		ciphers12 = o->dtls == DTLS_PSK ? OFFER_DTLS12 : "";
	if (RAND_bytes(c->setup->dtls_secret, DTLS_SECRET_LEN) == 1) {
		for (i = 0; i < DTLS_SECRET_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02X",
			    c->setup->dtls_secret[i]);
		evbuffer_add_printf(b, "X-DTLS-Master-Secret: %s\r\n", hex);
	}
	if (ciphers[0] != '\0')
		evbuffer_add_printf(b, "X-DTLS-CipherSuite: %s\r\n", ciphers);
	if (ciphers12[0] != '\0')
		evbuffer_add_printf(b, "X-DTLS12-CipherSuite: %s\r\n",
		    ciphers12);
}

static bool
reply_header(const char *head, const char *name, char *out, size_t len)
{
	const char *v = header_find(head, name, NULL);

	if (v == NULL)
		return (false);
	header_copy(v, out, len);
	return (out[0] != '\0');
}

/* A number header between 0 and max, else fallback. */
static int
reply_number(const char *head, const char *name, int max, int fallback)
{
	char value[32];
	int n;

	if (!reply_header(head, name, value, sizeof(value)))
		return (fallback);
	n = atoi(value);
	return (n >= 0 && n <= max ? n : fallback);
}

/*
 * Map the reply's suite header to a dialect and an OpenSSL suite name.
 * Returns the name of the header that carries the id, or NULL when the
 * reply offers no DTLS.
 */
static const char *
reply_dialect(const char *head, struct dtls_reply *r)
{
	char name[sizeof(r->suite)];

	if (reply_header(head, "X-DTLS12-CipherSuite", r->suite,
	    sizeof(r->suite))) {
		r->dialect = DIALECT_DTLS12;
		return ("X-DTLS-Session-ID");
	}
	if (!reply_header(head, "X-DTLS-CipherSuite", name, sizeof(name)))
		return (NULL);
	if (strcmp(name, "PSK-NEGOTIATE") == 0) {
		r->dialect = DIALECT_PSK;
		return ("X-DTLS-App-ID");
	}
	r->dialect = DIALECT_DTLS12;
	if (strcmp(name, "OC-DTLS1_2-AES256-GCM") == 0)
		snprintf(r->suite, sizeof(r->suite), "AES256-GCM-SHA384");
	else if (strcmp(name, "OC-DTLS1_2-AES128-GCM") == 0)
		snprintf(r->suite, sizeof(r->suite), "AES128-GCM-SHA256");
	else {
		r->dialect = DIALECT_LEGACY;
		snprintf(r->suite, sizeof(r->suite), "%s", name);
	}
	return ("X-DTLS-Session-ID");
}

/*
 * Read the DTLS part of a CONNECT reply. Returns 0, -ENOENT when the
 * reply offers no DTLS, or -EINVAL with the reason in why.
 */
static int
reply_parse(const char *head, struct dtls_reply *r, char *why, size_t len)
{
	char hex[2 * DTLS_ID_MAX + 8];
	const char *id_header;
	int port;

	memset(r, 0, sizeof(*r));
	if ((id_header = reply_dialect(head, r)) == NULL ||
	    !reply_header(head, id_header, hex, sizeof(hex)))
		return (-ENOENT);
	if (OPENSSL_hexstr2buf_ex(r->id, sizeof(r->id), &r->id_len, hex,
	    '\0') != 1 || r->id_len == 0 ||
	    (r->dialect != DIALECT_PSK && r->id_len != DTLS_ID_MAX)) {
		snprintf(why, len, "%s \"%s\" is not %s hex digits", id_header,
		    hex, r->dialect == DIALECT_PSK ? "2 to 64" : "64");
		return (-EINVAL);
	}
	port = reply_number(head, "X-DTLS-Port", 65535, DTLS_DEFAULT_PORT);
	r->port = (uint16_t)(port > 0 ? port : DTLS_DEFAULT_PORT);
	r->keepalive = reply_number(head, "X-DTLS-Keepalive", 3600,
	    DTLS_DEFAULT_KEEPALIVE);
	r->dpd = reply_number(head, "X-DTLS-DPD", 3600, DTLS_DEFAULT_DPD);
	return (0);
}

/* ---- the OpenSSL client ------------------------------------------------- */

/* The PSK identity is "psk" as in openconnect, and servers ignore it. */
static unsigned int
link_psk_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len)
{
	struct dtls_link *l = SSL_get_app_data(ssl);

	(void)hint;
	if (l == NULL || max_identity_len < 4 || max_psk_len < DTLS_PSK_LEN)
		return (0);
	snprintf(identity, max_identity_len, "psk");
	memcpy(psk, l->psk, DTLS_PSK_LEN);
	return (DTLS_PSK_LEN);
}

/* Add extension 48018 in PSK-NEGOTIATE only: returning 0 omits it. */
static int
link_app_id_add(SSL *ssl, unsigned int type, const unsigned char **out,
    size_t *outlen, int *alert, void *arg)
{
	struct dtls_link *l = SSL_get_app_data(ssl);

	(void)type;
	(void)alert;
	(void)arg;
	if (l == NULL || l->dialect != DIALECT_PSK)
		return (0);
	*out = l->app_ext;
	*outlen = 1 + (size_t)l->app_ext[0];
	return (1);
}

int
dtls_init(struct loadgen *lg)
{
	SSL_CTX *ctx;

	if (lg->opt.dtls == DTLS_NONE)
		return (0);
	if ((ctx = SSL_CTX_new(DTLS_client_method())) == NULL)
		return (-ENOMEM);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU |
	    SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_psk_client_callback(ctx, link_psk_cb);
	if (SSL_CTX_add_client_custom_ext(ctx, DTLS_APP_ID_EXT,
	    link_app_id_add, NULL, NULL, NULL, NULL) != 1) {
		SSL_CTX_free(ctx);
		return (-EINVAL);
	}
	lg->dtls_ctx = ctx;
	return (0);
}

/*
 * A throwaway session that only carries the App-ID as the ClientHello
 * session id. The server replies with a full handshake, and the PSK
 * callback supplies the exported key. Only plain PSK key exchange is
 * offered, as openconnect's GnuTLS build (Debian's) offers it.
 */
static int
link_setup_psk(struct client *c, struct dtls_link *l,
    const struct dtls_reply *r)
{
	SSL *tls = bufferevent_openssl_get_ssl(c->bev);
	SSL_SESSION *s;
	int ok;

	if (tls == NULL || SSL_export_keying_material(tls, l->psk,
	    DTLS_PSK_LEN, DTLS_PSK_LABEL, strlen(DTLS_PSK_LABEL), NULL, 0,
	    0) != 1)
		return (-1);
	l->app_ext[0] = (uint8_t)r->id_len;
	memcpy(l->app_ext + 1, r->id, r->id_len);
	if (SSL_set_cipher_list(l->ssl, "kPSK") != 1 ||
	    (s = SSL_SESSION_new()) == NULL)
		return (-1);
	ok = SSL_SESSION_set_protocol_version(s, DTLS1_2_VERSION) == 1 &&
	    SSL_SESSION_set1_id(s, r->id, (unsigned int)r->id_len) == 1 &&
	    SSL_set_session(l->ssl, s) == 1;
	SSL_SESSION_free(s);
	return (ok ? 0 : -1);
}

/* Find the suite named in the reply in the list OpenSSL made of it. */
static const SSL_CIPHER *
link_find_suite(SSL *ssl, const char *name)
{
	STACK_OF(SSL_CIPHER) *list = SSL_get_ciphers(ssl);
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		const SSL_CIPHER *sc = sk_SSL_CIPHER_value(list, i);

		if (strcmp(SSL_CIPHER_get_name(sc), name) == 0)
			return (sc);
	}
	return (NULL);
}

/*
 * Attach the session that the CONNECT exchange describes, so that the
 * ClientHello requests its resumption. Encrypt-then-MAC and the extended
 * master secret stay off because the made-up session has neither, and
 * the 0x0100 dialect needs security level 0 for its SHA-1 era suites.
 */
static int
link_setup_resume(struct client *c, struct dtls_link *l,
    const struct dtls_reply *r)
{
	int version = r->dialect == DIALECT_LEGACY ? DTLS1_BAD_VER :
	    DTLS1_2_VERSION;
	const SSL_CIPHER *suite;
	SSL_SESSION *s;
	char list[sizeof(r->suite) + 16];
	int ok;

	snprintf(list, sizeof(list), "%s%s", r->suite,
	    version == DTLS1_BAD_VER ? ":@SECLEVEL=0" : "");
	SSL_set_options(l->ssl, SSL_OP_NO_ENCRYPT_THEN_MAC |
	    SSL_OP_NO_EXTENDED_MASTER_SECRET);
	if (SSL_set_min_proto_version(l->ssl, version) != 1 ||
	    SSL_set_max_proto_version(l->ssl, version) != 1 ||
	    SSL_set_cipher_list(l->ssl, list) != 1 ||
	    (suite = link_find_suite(l->ssl, r->suite)) == NULL ||
	    (s = SSL_SESSION_new()) == NULL)
		return (-1);
	ok = SSL_SESSION_set_protocol_version(s, version) == 1 &&
	    SSL_SESSION_set1_master_key(s, c->setup->dtls_secret,
	    DTLS_SECRET_LEN) == 1 &&
	    SSL_SESSION_set1_id(s, r->id, (unsigned int)r->id_len) == 1 &&
	    SSL_SESSION_set_cipher(s, suite) == 1;
	SSL_SESSION_set_time(s, (long)time(NULL));
	SSL_SESSION_set_timeout(s, 300);
	ok = ok && SSL_set_session(l->ssl, s) == 1;
	SSL_SESSION_free(s);
	return (ok ? 0 : -1);
}

/*
 * Open a UDP socket from the local address of the client's TCP
 * connection, so that --source spreads DTLS the same way, and connect it
 * to the server.
 */
static int
link_socket(struct client *c, struct dtls_link *l, uint16_t port)
{
	struct sockaddr_in local, peer = c->lg->opt.server;
	socklen_t len = sizeof(local);
	int tcp = (int)bufferevent_getfd(c->bev);

	if (tcp < 0 || getsockname(tcp, (struct sockaddr *)&local, &len) != 0)
		return (-errno);
	local.sin_port = 0;
	peer.sin_port = htons(port);
	l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0 ||
	    bind(l->fd, (struct sockaddr *)&local, sizeof(local)) != 0 ||
	    connect(l->fd, (struct sockaddr *)&peer, sizeof(peer)) != 0)
		return (-errno);
	return (0);
}

static int
link_ssl_new(struct client *c, struct dtls_link *l,
    const struct dtls_reply *r)
{
	const struct sockaddr_in *server = &c->lg->opt.server;
	uint16_t port = htons(r->port);
	BIO_ADDR *peer;
	BIO *bio;
	int ok;

	if ((l->ssl = SSL_new(c->lg->dtls_ctx)) == NULL)
		return (-1);
	SSL_set_app_data(l->ssl, l);
	if ((bio = BIO_new_dgram(l->fd, BIO_NOCLOSE)) == NULL)
		return (-1);
	SSL_set_bio(l->ssl, bio, bio);
	if ((peer = BIO_ADDR_new()) == NULL)
		return (-1);
	ok = BIO_ADDR_rawmake(peer, AF_INET, &server->sin_addr,
	    sizeof(server->sin_addr), port) == 1 &&
	    BIO_ctrl_set_connected(bio, peer) == 1;
	BIO_ADDR_free(peer);
	if (!ok)
		return (-1);
	SSL_set_mtu(l->ssl, DTLS_LINK_MTU);
	SSL_set_connect_state(l->ssl);
	return (r->dialect == DIALECT_PSK ? link_setup_psk(c, l, r) :
	    link_setup_resume(c, l, r));
}

/* Copy OpenSSL's reason for the last failure, else fallback, to why. */
static void
link_error_text(char *why, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(why, len, "%s", reason != NULL ? reason : fallback);
	ERR_clear_error();
}

/* ---- the handshake ------------------------------------------------------ */

/* Give up on DTLS for this client, which goes on over CSTP. */
static void
dtls_fail(struct client *c, const char *why)
{
	struct loadgen *lg = c->lg;

	lg->dtls.failed++;
	if (lg->opt.verbose || lg->dtls.failed <= DTLS_LOGGED)
		fprintf(stderr, "loadgen: client %u: DTLS handshake failed, "
		    "staying on CSTP: %s\n", c->id, why);
	dtls_close(c);
	if (c->state == CS_DTLS)
		client_tunnel_up(c);
}

/* End an association that was up. The client goes on over CSTP. */
static void
link_dead(struct dtls_link *l, const char *why)
{
	struct client *c = l->client;
	struct loadgen *lg = c->lg;

	lg->dtls.dead++;
	if (lg->opt.verbose || lg->dtls.dead <= DTLS_LOGGED)
		fprintf(stderr, "loadgen: client %u: DTLS went down, back to "
		    "CSTP: %s\n", c->id, why);
	dtls_close(c);
}

static struct timeval
ns_tv(uint64_t ns)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ns / NS_PER_S);
	tv.tv_usec = (suseconds_t)(ns % NS_PER_S / 1000);
	return (tv);
}

/* Wake at OpenSSL's retransmission time or the deadline, if earlier. */
static void
link_timer_arm(struct dtls_link *l)
{
	uint64_t now = now_ns(), wait, retransmit;
	struct timeval tv;

	wait = l->deadline_ns > now ? l->deadline_ns - now : 0;
	if (DTLSv1_get_timeout(l->ssl, &tv) == 1) {
		retransmit = (uint64_t)tv.tv_sec * NS_PER_S +
		    (uint64_t)tv.tv_usec * 1000;
		if (retransmit < wait)
			wait = retransmit;
	}
	tv = ns_tv(wait);
	evtimer_add(l->timer, &tv);
}

/*
 * Start the keepalive and DPD tick: every keepalive interval or every
 * half DPD time, whichever is shorter.
 */
static int
link_tick_start(struct dtls_link *l)
{
	struct event_base *base = l->client->lg->base;
	int every = l->keepalive;
	const struct timeval *common;
	struct timeval tv;

	if (l->dpd > 0 && (every == 0 || l->dpd / 2 < every))
		every = l->dpd / 2 > 0 ? l->dpd / 2 : 1;
	if (every == 0)
		return (0);
	tv.tv_sec = every;
	tv.tv_usec = 0;
	/* All sessions share a few intervals, so use libevent's O(1) queues. */
	common = event_base_init_common_timeout(base, &tv);
	return (event_add(l->tick, common != NULL ? common : &tv));
}

static void	link_read(struct dtls_link *l);

static void
link_up(struct dtls_link *l)
{
	struct client *c = l->client;
	struct loadgen *lg = c->lg;
	uint64_t now = now_ns();

	/*
	 * As openconnect does: only a resumption proves that the server
	 * has the master secret, so a full handshake is rejected.
	 */
	if (l->dialect != DIALECT_PSK && SSL_session_reused(l->ssl) != 1) {
		dtls_fail(c, "the server did a full handshake instead of "
		    "resuming the session");
		return;
	}
	event_del(l->timer);
	if (link_tick_start(l) != 0) {
		dtls_fail(c, "cannot start the DTLS keepalive timer");
		return;
	}
	l->state = LINK_UP;
	l->last_rx_ns = l->last_tx_ns = now;
	lg->dtls.up++;
	lg->dtls.dialects[l->dialect]++;
	samples_add(&lg->dtls.handshake_times, now - l->started_ns);
	if (lg->opt.verbose)
		fprintf(stderr, "loadgen: client %u: DTLS up, %s %s\n", c->id,
		    SSL_get_version(l->ssl), SSL_get_cipher_name(l->ssl));
	client_tunnel_up(c);
	/* The server's first records may have come with its last flight. */
	if (c->dtls == l)
		link_read(l);
}

static void
link_handshake_step(struct dtls_link *l)
{
	char why[160];
	int rc, err;

	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(l->ssl);
	if (rc == 1) {
		link_up(l);
		return;
	}
	err = SSL_get_error(l->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		link_timer_arm(l);
		return;
	}
	if (err == SSL_ERROR_SYSCALL && errno != 0)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else
		link_error_text(why, sizeof(why), "handshake failed");
	dtls_fail(l->client, why);
}

static void
link_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_link *l = arg;
	char why[96];

	(void)fd;
	(void)events;
	if (now_ns() >= l->deadline_ns) {
		snprintf(why, sizeof(why), "no handshake within %g s "
		    "(--dtls-timeout)", l->client->lg->opt.dtls_timeout);
		dtls_fail(l->client, why);
		return;
	}
	/*
	 * This retransmits the last flight when its timer ran out, and does
	 * nothing otherwise.
	 */
	if (DTLSv1_handle_timeout(l->ssl) < 0) {
		link_error_text(why, sizeof(why), "too many retransmissions");
		dtls_fail(l->client, why);
		return;
	}
	link_handshake_step(l);
}

static int
link_open(struct client *c, const struct dtls_reply *r, char *why,
    size_t len)
{
	struct loadgen *lg = c->lg;
	struct dtls_link *l;
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, len, "out of memory");
		return (-ENOMEM);
	}
	l->client = c;
	l->fd = -1;
	l->dialect = r->dialect;
	l->keepalive = r->keepalive;
	l->dpd = r->dpd;
	c->dtls = l;
	if ((rc = link_socket(c, l, r->port)) != 0) {
		snprintf(why, len, "UDP socket to port %u failed: %s",
		    r->port, strerror(-rc));
		return (rc);
	}
	if (link_ssl_new(c, l, r) != 0) {
		link_error_text(why, len, "setting up the DTLS client failed");
		return (-EINVAL);
	}
	l->rx = event_new(lg->base, l->fd, EV_READ | EV_PERSIST, link_rx_cb,
	    l);
	l->timer = evtimer_new(lg->base, link_timer_cb, l);
	l->tick = event_new(lg->base, -1, EV_PERSIST, link_tick_cb, l);
	if (l->rx == NULL || l->timer == NULL || l->tick == NULL ||
	    event_add(l->rx, NULL) != 0) {
		snprintf(why, len, "out of memory");
		return (-ENOMEM);
	}
	return (0);
}

/*
 * Start the DTLS handshake that the CONNECT reply head offers. Returns 0
 * when it started: the client is then in CS_DTLS and goes up when the
 * handshake ends, over DTLS or, when it fails, over CSTP. Returns a
 * negative errno when there is no DTLS to start, and the caller brings
 * the tunnel up over CSTP.
 */
int
dtls_start(struct client *c, const char *head)
{
	struct loadgen *lg = c->lg;
	struct timeval immediately = { 0, 0 };
	struct dtls_reply r;
	char why[160];
	int rc;

	if (lg->dtls_ctx == NULL)
		return (-ENOTSUP);
	rc = reply_parse(head, &r, why, sizeof(why));
	if (rc == -ENOENT) {
		lg->dtls.not_offered++;
		if (lg->opt.verbose || lg->dtls.not_offered <= DTLS_LOGGED)
			fprintf(stderr, "loadgen: client %u: the CONNECT "
			    "reply offers no DTLS; staying on CSTP\n", c->id);
		return (rc);
	}
	lg->dtls.offered++;
	if (rc == 0)
		rc = link_open(c, &r, why, sizeof(why));
	if (rc != 0) {
		dtls_fail(c, why);
		return (rc);
	}
	c->state = CS_DTLS;
	c->dtls->started_ns = now_ns();
	c->dtls->deadline_ns = c->dtls->started_ns +
	    (uint64_t)(lg->opt.dtls_timeout * 1e9);
	/* The first timer event sends the ClientHello from the loop. */
	evtimer_add(c->dtls->timer, &immediately);
	return (0);
}

/* ---- records once up ---------------------------------------------------- */

bool
dtls_ready(const struct client *c)
{
	return (c->dtls != NULL && c->dtls->state == LINK_UP);
}

/* Send one record: the type byte, then the payload. */
int
dtls_send(struct client *c, uint8_t type, const void *payload, size_t len)
{
	struct dtls_link *l = c->dtls;
	uint8_t rec[DTLS_RECORD_MAX];
	int n;

	if (!dtls_ready(c))
		return (-ENOTCONN);
	if (len + 1 > sizeof(rec))
		return (-EMSGSIZE);
	rec[0] = type;
	if (len > 0)
		memcpy(rec + 1, payload, len);
	n = SSL_write(l->ssl, rec, (int)(len + 1));
	if (n != (int)(len + 1)) {
		/* A full socket buffer drops the record, as UDP would. */
		c->lg->dtls.send_errors++;
		ERR_clear_error();
		return (-EIO);
	}
	l->last_tx_ns = now_ns();
	if (type == CSTP_DATA)
		c->lg->dtls.data_sent++;
	return (0);
}

static void
link_handle_record(struct dtls_link *l, const uint8_t *rec, size_t len)
{
	struct client *c = l->client;

	switch (rec[0]) {
	case CSTP_DATA:
		c->lg->dtls.data_received++;
		if (c->voice != NULL)
			voice_receive(c, rec + 1, len - 1);
		break;
	case CSTP_DPD_REQ:
		/* Echo the payload: the server may be probing the MTU. */
		dtls_send(c, CSTP_DPD_RESP, rec + 1, len - 1);
		break;
	case CSTP_DISCONNECT:
	case CSTP_TERMINATE:
		client_fail(c, FAIL_CLOSED, "the server ended the tunnel "
		    "over DTLS");
		break;
	default:
		/* DPD responses and keepalives only count as traffic. */
		break;
	}
}

/* Read the records waiting; stop when the client drops its link. */
static void
link_read(struct dtls_link *l)
{
	struct client *c = l->client;
	uint8_t rec[DTLS_RECORD_MAX];
	char why[160];
	int i, n, err;

	for (i = 0; i < DTLS_READS_PER_EVENT && c->dtls == l; i++) {
		ERR_clear_error();
		errno = 0;
		n = SSL_read(l->ssl, rec, sizeof(rec));
		if (n > 0) {
			l->last_rx_ns = now_ns();
			link_handle_record(l, rec, (size_t)n);
			continue;
		}
		err = SSL_get_error(l->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			return;
		if (err == SSL_ERROR_ZERO_RETURN)
			snprintf(why, sizeof(why), "the server closed the "
			    "association");
		else if (err == SSL_ERROR_SYSCALL && errno != 0)
			snprintf(why, sizeof(why), "%s", strerror(errno));
		else
			link_error_text(why, sizeof(why), "read failed");
		link_dead(l, why);
		return;
	}
}

static void
link_rx_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_link *l = arg;

	(void)fd;
	(void)events;
	if (l->state == LINK_HANDSHAKE)
		link_handshake_step(l);
	else
		link_read(l);
}

/*
 * Keepalive and DPD once up, as openconnect runs them: DPD-REQ after DPD
 * seconds without a record from the server, dead after twice that, and
 * a keepalive after keepalive seconds without sending.
 */
static void
link_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_link *l = arg;
	uint64_t now = now_ns() + NS_PER_S / 2;	/* ticks may fire early */
	uint64_t rx_idle = (now - l->last_rx_ns) / NS_PER_S;
	uint64_t tx_idle = (now - l->last_tx_ns) / NS_PER_S;

	(void)fd;
	(void)events;
	if (l->dpd > 0 && rx_idle >= 2 * (uint64_t)l->dpd) {
		link_dead(l, "no DPD response within twice the DPD time");
		return;
	}
	if (l->dpd > 0 && rx_idle >= (uint64_t)l->dpd)
		dtls_send(l->client, CSTP_DPD_REQ, NULL, 0);
	else if (l->keepalive > 0 && tx_idle >= (uint64_t)l->keepalive)
		dtls_send(l->client, CSTP_KEEPALIVE, NULL, 0);
}

void
dtls_close(struct client *c)
{
	struct dtls_link *l = c->dtls;

	if (l == NULL)
		return;
	c->dtls = NULL;
	if (l->rx != NULL)
		event_free(l->rx);
	if (l->timer != NULL)
		event_free(l->timer);
	if (l->tick != NULL)
		event_free(l->tick);
	SSL_free(l->ssl);
	if (l->fd >= 0)
		close(l->fd);
	OPENSSL_cleanse(l->psk, sizeof(l->psk));
	free(l);
}
