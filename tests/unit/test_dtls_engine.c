/*
 * The DTLS engine (server/dtls*.c) against OpenSSL DTLS clients in the
 * same process, over UDP on 127.0.0.1: DTLS 1.2 resumption, PSK-NEGOTIATE
 * and the pre-standard version 0x0100, DPD echo, DSCP on the outer
 * packet, records that must fit the link, NAT rebinding, garbage and the
 * ClientHello rate limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dtls.h"
#include "dtls_impl.h"
#include "log.h"
#include "netproc.h"
#include "session.h"
#include "test_cert_fixture.h"

#define PUMP_ROUNDS	2000	/* 1 ms each */
#define LINK_MTU	1500
#define IPV4_UDP	(20 + 8)
#define PSK_LEN		32
#define PSK_LABEL	"EXPORTER-openconnect-psk"

struct engine {
	struct netproc	np;
	struct session	se;
	struct dtls_channel *ch;
	int		fd;
	uint16_t	port;
	uint8_t		secret[DTLS_OFFER_SECRET_LEN];
};

struct client {
	int		fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	uint8_t		psk[PSK_LEN];
};

/* A UDP socket on 127.0.0.1, bound to any port or connected to port. */
static int
udp_socket(uint16_t connect_port, uint16_t *bound_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	if (connect_port != 0) {
		sin.sin_port = htons(connect_port);
		assert_int_equal(connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	} else {
		assert_int_equal(bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (bound_port != NULL)
		*bound_port = ntohs(sin.sin_port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return (fd);
}

static void
engine_init(struct engine *e)
{
	memset(e, 0, sizeof(*e));
	e->np.base = event_base_new();
	assert_non_null(e->np.base);
	e->fd = udp_socket(0, &e->port);
	assert_int_equal(dtls_start(&e->np, &e->fd, 1), 0);
	e->se.se_id = 1;
}

/* The channel's data MTU is what the tunnel would announce for it. */
static void
engine_open_channel(struct engine *e, const struct dtls_choice *choice,
    SSL *tls, int overhead)
{
	struct dtls_channel_params params = { .link_mtu = LINK_MTU,
	    .data_mtu = LINK_MTU - IPV4_UDP - overhead - 1, .dpd = 30,
	    .keepalive = 20, .port = 443 };

	e->ch = dtls_channel_new(e->np.dtls, &e->se, choice, tls, &params);
	assert_non_null(e->ch);
	dtls_channel_start(e->ch, NULL);
}

static void
engine_start(struct engine *e, const char *suite,
    enum dtls_offer_header header)
{
	struct dtls_choice choice = { 0 };
	size_t i;

	engine_init(e);
	for (i = 0; i < sizeof(e->secret); i++)
		e->secret[i] = (uint8_t)(i * 7 + 1);
	choice.suite = dtls_offer_find_suite(suite, header);
	assert_non_null(choice.suite);
	choice.mode = choice.suite->mode;
	memcpy(choice.master_secret, e->secret, sizeof(e->secret));
	engine_open_channel(e, &choice, NULL, choice.suite->overhead);
}

/* PSK-NEGOTIATE: the key comes from the CSTP connection's exporter. */
static void
engine_start_psk(struct engine *e, SSL *tls)
{
	struct dtls_choice choice = { .mode = DTLS_MODE_PSK };

	engine_init(e);
	engine_open_channel(e, &choice, tls,
	    dtls_psk_overhead(e->np.dtls, true));
}

static void
engine_stop(struct engine *e)
{
	dtls_channel_free(e->ch);
	dtls_free(e->np.dtls);
	event_base_free(e->np.base);
	close(e->fd);
}

static void
engine_pump(struct engine *e)
{
	event_base_loop(e->np.base, EVLOOP_NONBLOCK);
}

/* The client's own SSL_CIPHER for name; its list starts with TLS 1.3. */
static const SSL_CIPHER *
client_cipher(SSL *ssl, const char *name)
{
	STACK_OF(SSL_CIPHER) *list = SSL_get_ciphers(ssl);
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)),
		    name) == 0)
			return (sk_SSL_CIPHER_value(list, i));
	}
	fail_msg("client cipher list lacks %s", name);
	return (NULL);
}

static void
client_set_session(struct client *c, int version, const struct engine *e,
    const char *cipher)
{
	SSL_SESSION *ss = SSL_SESSION_new();

	assert_non_null(ss);
	assert_int_equal(SSL_SESSION_set_protocol_version(ss, version), 1);
	assert_int_equal(SSL_SESSION_set1_master_key(ss, e->secret,
	    sizeof(e->secret)), 1);
	assert_int_equal(SSL_SESSION_set1_id(ss, e->ch->ch_id,
	    DTLS_ID_LEN), 1);
	assert_int_equal(SSL_SESSION_set_cipher(ss,
	    client_cipher(c->ssl, cipher)), 1);
	SSL_SESSION_set_time(ss, time(NULL));
	SSL_SESSION_set_timeout(ss, 60);
	assert_int_equal(SSL_set_session(c->ssl, ss), 1);
	SSL_SESSION_free(ss);
}

/* A datagram BIO on the client's socket, connected to the engine. */
static BIO *
client_bio(int fd, uint16_t port)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	BIO *b = BIO_new_dgram(fd, BIO_NOCLOSE);
	BIO_ADDR *peer = BIO_ADDR_new();

	assert_non_null(b);
	assert_non_null(peer);
	assert_int_equal(BIO_ADDR_rawmake(peer, AF_INET, &lo, sizeof(lo),
	    htons(port)), 1);
	BIO_ctrl_set_connected(b, peer);
	BIO_ADDR_free(peer);
	return (b);
}

static void
client_set_bio(struct client *c, const struct engine *e)
{
	BIO *b = client_bio(c->fd, e->port);

	/* With the same BIO twice, SSL_set_bio takes one reference. */
	SSL_set_bio(c->ssl, b, b);
}

/*
 * A client that resumes the engine's session, the way openconnect's
 * OpenSSL build does: made-up session, one suite, fixed MTU.
 */
static void
client_open(struct client *c, const struct engine *e, int version,
    const char *cipher)
{
	int on = 1;

	c->fd = udp_socket(e->port, NULL);
	setsockopt(c->fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
	c->ctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(c->ctx);
	SSL_CTX_set_min_proto_version(c->ctx, version);
	SSL_CTX_set_max_proto_version(c->ctx, version);
	assert_int_equal(SSL_CTX_set_cipher_list(c->ctx, cipher), 1);
	if (version == DTLS1_BAD_VER) {
		SSL_CTX_set_options(c->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC |
		    SSL_OP_NO_EXTENDED_MASTER_SECRET |
		    SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
		SSL_CTX_set_read_ahead(c->ctx, 1);
	}
	c->ssl = SSL_new(c->ctx);
	assert_non_null(c->ssl);
	client_set_session(c, version, e, cipher);
	client_set_bio(c, e);
	SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(c->ssl, 1400);
	SSL_set_connect_state(c->ssl);
}

/* A TLS connection in memory, standing in for the CSTP connection. */
static void
tls_pair(SSL **server, SSL **client)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	EVP_PKEY *key;
	X509 *x;
	BIO *sb, *cb;
	int i, rs = 0, rc = 0;

	assert_true(sctx != NULL && cctx != NULL);
	cert_fixture_new("vpn.example.net", &key, &x);
	assert_int_equal(SSL_CTX_use_certificate(sctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sctx, key), 1);
	*server = SSL_new(sctx);
	*client = SSL_new(cctx);
	assert_int_equal(BIO_new_bio_pair(&sb, 0, &cb, 0), 1);
	SSL_set_bio(*server, sb, sb);
	SSL_set_bio(*client, cb, cb);
	SSL_set_accept_state(*server);
	SSL_set_connect_state(*client);
	for (i = 0; i < 20 && (rs != 1 || rc != 1); i++) {
		rc = SSL_do_handshake(*client);
		rs = SSL_do_handshake(*server);
	}
	assert_true(rs == 1 && rc == 1);
	X509_free(x);
	EVP_PKEY_free(key);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static unsigned int
client_psk_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len)
{
	struct client *c = SSL_get_app_data(ssl);

	(void)hint;
	if (max_identity_len < 4 || max_psk_len < PSK_LEN)
		return (0);
	snprintf(identity, max_identity_len, "psk");
	memcpy(psk, c->psk, PSK_LEN);
	return (PSK_LEN);
}

/*
 * A PSK-NEGOTIATE client offering the suites in ciphers, in its order
 * of preference. Its ClientHello carries the App-ID as session id.
 */
static void
client_open_psk(struct client *c, const struct engine *e, SSL *tls,
    const char *ciphers)
{
	SSL_SESSION *ss = SSL_SESSION_new();

	assert_non_null(ss);
	c->fd = udp_socket(e->port, NULL);
	c->ctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(c->ctx);
	assert_int_equal(SSL_CTX_set_cipher_list(c->ctx, ciphers), 1);
	SSL_CTX_set_psk_client_callback(c->ctx, client_psk_cb);
	assert_int_equal(SSL_export_keying_material(tls, c->psk, PSK_LEN,
	    PSK_LABEL, strlen(PSK_LABEL), NULL, 0, 0), 1);
	c->ssl = SSL_new(c->ctx);
	assert_non_null(c->ssl);
	SSL_set_app_data(c->ssl, c);
	assert_int_equal(SSL_SESSION_set_protocol_version(ss,
	    DTLS1_2_VERSION), 1);
	assert_int_equal(SSL_SESSION_set1_id(ss, e->ch->ch_id,
	    DTLS_ID_LEN), 1);
	assert_int_equal(SSL_set_session(c->ssl, ss), 1);
	SSL_SESSION_free(ss);
	client_set_bio(c, e);
	SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(c->ssl, LINK_MTU - IPV4_UDP);
	SSL_set_connect_state(c->ssl);
}

static void
client_close(struct client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	close(c->fd);
}

static void
client_handshake(struct client *c, struct engine *e)
{
	int i, rc = 0;

	for (i = 0; i < PUMP_ROUNDS && rc != 1; i++) {
		rc = SSL_do_handshake(c->ssl);
		engine_pump(e);
		usleep(1000);
	}
	assert_int_equal(rc, 1);
	assert_int_equal(SSL_session_reused(c->ssl),
	    e->ch->ch_mode == DTLS_MODE_PSK ? 0 : 1);
	for (i = 0; i < PUMP_ROUNDS && e->ch->ch_cur == NULL; i++) {
		engine_pump(e);
		usleep(1000);
	}
	assert_non_null(e->ch->ch_cur);
}

/* Read one record; *tos gets the TOS byte of its datagram. */
static int
client_read(struct client *c, struct engine *e, uint8_t *buf, size_t size,
    int *tos)
{
	union {
		struct cmsghdr	align;
		char		buf[64];
	} control;
	struct msghdr msg = { .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cm;
	int i, n = -1;

	for (i = 0; i < PUMP_ROUNDS && n <= 0; i++) {
		engine_pump(e);
		msg.msg_controllen = sizeof(control.buf);
		if (recvmsg(c->fd, &msg, MSG_PEEK) >= 0) {
			for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
			    cm = CMSG_NXTHDR(&msg, cm))
				if (cm->cmsg_type == IP_TOS)
					*tos = *(uint8_t *)CMSG_DATA(cm);
			n = SSL_read(c->ssl, buf, (int)size);
		}
		if (n <= 0)
			usleep(1000);
	}
	return (n);
}

static void
client_write(struct client *c, struct engine *e, const uint8_t *buf,
    size_t len)
{
	assert_int_equal(SSL_write(c->ssl, buf, (int)len), (int)len);
	engine_pump(e);
}

/* The engine echoes a DPD request with the same payload and length. */
static void
check_dpd_echo(struct client *c, struct engine *e)
{
	uint8_t req[1200], resp[2048];
	int tos = -1;

	memset(req, 0x5a, sizeof(req));
	req[0] = DTLS_PKT_DPD_REQ;
	client_write(c, e, req, sizeof(req));
	assert_int_equal(client_read(c, e, resp, sizeof(resp), &tos),
	    sizeof(req));
	assert_int_equal(resp[0], DTLS_PKT_DPD_RESP);
	assert_memory_equal(resp + 1, req + 1, sizeof(req) - 1);
}

/* An inner packet marked EF goes out on DTLS in an EF datagram. */
static void
check_send_dscp(struct client *c, struct engine *e)
{
	uint8_t pkt[40] = { 0x45, 0xb8, 0x00, 40 }, rec[2048];
	int tos = -1;

	assert_int_equal(dtls_channel_send(e->ch, pkt, sizeof(pkt)), 0);
	assert_int_equal(client_read(c, e, rec, sizeof(rec), &tos),
	    sizeof(pkt) + 1);
	assert_int_equal(rec[0], DTLS_PKT_DATA);
	assert_memory_equal(rec + 1, pkt, sizeof(pkt));
	assert_int_equal(tos, 0xb8);
	assert_int_equal(e->se.se_stats.dtls_packets_out, 1);
}

static void
test_resume_dtls12(void **state)
{
	struct engine e;
	struct client c;

	(void)state;
	engine_start(&e, "AES256-GCM-SHA384", DTLS_HEADER_DTLS12);
	client_open(&c, &e, DTLS1_2_VERSION, "AES256-GCM-SHA384");
	client_handshake(&c, &e);
	assert_int_equal(e.se.se_dtls.state, SESSION_DTLS_UP);
	assert_string_equal(e.se.se_dtls.cipher, "AES256-GCM-SHA384");
	assert_string_equal(e.se.se_dtls.version, "DTLSv1.2");
	assert_int_equal(e.np.stats.dtls_handshakes, 1);
	check_dpd_echo(&c, &e);
	check_send_dscp(&c, &e);
	client_close(&c);
	engine_stop(&e);
}

static void
test_resume_wrong_secret(void **state)
{
	struct engine e;
	struct client c;
	int i;

	(void)state;
	engine_start(&e, "OC-DTLS1_2-AES128-GCM", DTLS_HEADER_CIPHERSUITE);
	e.secret[0] ^= 1;
	client_open(&c, &e, DTLS1_2_VERSION, "AES128-GCM-SHA256");
	for (i = 0; i < 300 && SSL_do_handshake(c.ssl) != 1; i++) {
		engine_pump(&e);
		usleep(1000);
	}
	assert_null(e.ch->ch_cur);
	assert_int_equal(e.se.se_dtls.state, SESSION_DTLS_NEVER);
	client_close(&c);
	engine_stop(&e);
}

static void
test_legacy(void **state)
{
	struct engine e;
	struct client c;

	(void)state;
	engine_start(&e, "AES128-SHA", DTLS_HEADER_CIPHERSUITE);
	client_open(&c, &e, DTLS1_BAD_VER, "AES128-SHA");
	client_handshake(&c, &e);
	assert_string_equal(e.se.se_dtls.version, "DTLSv0.9");
	assert_string_equal(e.se.se_dtls.cipher, "AES128-SHA");
	check_dpd_echo(&c, &e);
	check_send_dscp(&c, &e);
	client_close(&c);
	engine_stop(&e);
}

/* Move the client to a new source port, as a NAT that rebinds does. */
static void
client_move(struct client *c, const struct engine *e)
{
	int fd = udp_socket(e->port, NULL);

	close(c->fd);
	c->fd = fd;
	client_set_bio(c, e);
}

static void
test_rebinding(void **state)
{
	struct engine e;
	struct client c;
	char before[SESSION_PEER_MAX];

	(void)state;
	engine_start(&e, "AES256-GCM-SHA384", DTLS_HEADER_DTLS12);
	client_open(&c, &e, DTLS1_2_VERSION, "AES256-GCM-SHA384");
	client_handshake(&c, &e);
	snprintf(before, sizeof(before), "%s", e.se.se_dtls.peer);
	client_move(&c, &e);
	check_dpd_echo(&c, &e);
	assert_int_equal(e.np.stats.dtls_rebindings, 1);
	assert_string_not_equal(e.se.se_dtls.peer, before);
	client_close(&c);
	engine_stop(&e);
}

/* Garbage and forged records from other ports change nothing. */
static void
test_garbage(void **state)
{
	static const uint8_t junk[] = "not DTLS at all";
	uint8_t record[13 + 40] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9,
	    0, 40 };
	struct engine e;
	struct client c;
	int fd;

	(void)state;
	engine_start(&e, "AES256-GCM-SHA384", DTLS_HEADER_DTLS12);
	client_open(&c, &e, DTLS1_2_VERSION, "AES256-GCM-SHA384");
	client_handshake(&c, &e);
	fd = udp_socket(e.port, NULL);
	assert_int_equal(send(fd, junk, sizeof(junk), 0), sizeof(junk));
	assert_int_equal(send(fd, record, sizeof(record), 0),
	    sizeof(record));
	usleep(10000);
	engine_pump(&e);
	assert_int_equal(e.np.stats.dtls_drops_malformed, 1);
	assert_int_equal(e.np.stats.dtls_drops_unknown_peer, 1);
	assert_int_equal(e.np.stats.dtls_rebindings, 0);
	check_dpd_echo(&c, &e);
	close(fd);
	client_close(&c);
	engine_stop(&e);
}

/* The size of the next datagram for the client, without reading it. */
static ssize_t
client_datagram_size(struct client *c, struct engine *e)
{
	uint8_t buf[4096];
	ssize_t n = -1;
	int i;

	for (i = 0; i < PUMP_ROUNDS && n < 0; i++) {
		engine_pump(e);
		if ((n = recv(c->fd, buf, sizeof(buf), MSG_PEEK)) < 0)
			usleep(1000);
	}
	return (n);
}

/* An inner packet of len bytes, as the tun device would hand it over. */
static void
make_packet(uint8_t *pkt, size_t len)
{
	memset(pkt, 0x33, len);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
}

/* A PSK-NEGOTIATE engine and client over a fresh TLS connection. */
struct psk {
	struct engine	e;
	struct client	c;
	SSL		*tls_server;
	SSL		*tls_client;
};

/* Start the engine, then bring up DTLS with a client offering ciphers. */
static void
psk_connect(struct psk *k, const char *ciphers)
{
	tls_pair(&k->tls_server, &k->tls_client);
	engine_start_psk(&k->e, k->tls_server);
	client_open_psk(&k->c, &k->e, k->tls_client, ciphers);
	client_handshake(&k->c, &k->e);
}

static void
psk_close(struct psk *k)
{
	client_close(&k->c);
	engine_stop(&k->e);
	SSL_free(k->tls_server);
	SSL_free(k->tls_client);
}

/*
 * The data MTU announced in PSK mode leaves room for AEAD records, and
 * the server picks an AEAD suite even when the client prefers CBC. A
 * packet of the full data MTU goes out as one datagram of the link MTU.
 */
static void
test_psk_prefers_aead(void **state)
{
	uint8_t pkt[LINK_MTU], rec[2048];
	struct psk k;
	int tos = -1, mtu;

	(void)state;
	psk_connect(&k, "PSK-AES256-CBC-SHA384:PSK-AES256-GCM-SHA384");
	mtu = k.e.ch->ch_params.data_mtu;
	assert_int_equal(mtu, LINK_MTU - IPV4_UDP - (13 + 8 + 16) - 1);
	assert_string_equal(SSL_get_cipher_name(k.c.ssl),
	    "PSK-AES256-GCM-SHA384");
	check_dpd_echo(&k.c, &k.e);

	make_packet(pkt, (size_t)mtu);
	assert_int_equal(dtls_channel_send(k.e.ch, pkt, (size_t)mtu), 0);
	assert_int_equal(client_datagram_size(&k.c, &k.e),
	    LINK_MTU - IPV4_UDP);
	assert_int_equal(client_read(&k.c, &k.e, rec, sizeof(rec), &tos),
	    mtu + 1);
	assert_memory_equal(rec + 1, pkt, (size_t)mtu);
	psk_close(&k);
}

/*
 * A client that can only do CBC: a packet that its records cannot carry
 * in one datagram of the link is rejected with EMSGSIZE, so the tunnel
 * sends it on CSTP. DTLS stays up for the packets that fit.
 */
static void
test_psk_cbc_fits_link(void **state)
{
	uint8_t pkt[LINK_MTU], rec[2048];
	struct psk k;
	int tos = -1, fit;

	(void)state;
	psk_connect(&k, "PSK-AES256-CBC-SHA384");
	fit = (int)DTLS_get_data_mtu(k.c.ssl) - 1;
	assert_true(fit < k.e.ch->ch_params.data_mtu);

	/* A client that names no AEAD suite is announced an MTU that fits. */
	assert_true(LINK_MTU - IPV4_UDP -
	    dtls_psk_overhead(k.e.np.dtls, false) - 1 <= fit);

	make_packet(pkt, sizeof(pkt));
	assert_int_equal(dtls_channel_send(k.e.ch, pkt,
	    (size_t)k.e.ch->ch_params.data_mtu), -EMSGSIZE);
	assert_int_equal(dtls_channel_send(k.e.ch, pkt, (size_t)fit + 1),
	    -EMSGSIZE);
	assert_true(k.e.ch->ch_active);

	make_packet(pkt, (size_t)fit);
	assert_int_equal(dtls_channel_send(k.e.ch, pkt, (size_t)fit), 0);
	assert_true(client_datagram_size(&k.c, &k.e) <= LINK_MTU - IPV4_UDP);
	assert_int_equal(client_read(&k.c, &k.e, rec, sizeof(rec), &tos),
	    fit + 1);
	assert_memory_equal(rec + 1, pkt, (size_t)fit);
	psk_close(&k);
}

/* ClientHellos for the session from many ports: only a burst starts. */
static void
test_hello_rate_limit(void **state)
{
	struct engine e;
	struct client c[12];
	size_t i;

	(void)state;
	engine_start(&e, "AES256-GCM-SHA384", DTLS_HEADER_DTLS12);
	for (i = 0; i < 12; i++) {
		client_open(&c[i], &e, DTLS1_2_VERSION, "AES256-GCM-SHA384");
		SSL_do_handshake(c[i].ssl);
	}
	usleep(10000);
	engine_pump(&e);
	assert_true(e.np.stats.dtls_hellos_rate_limited >= 6);
	assert_true(e.np.stats.dtls_hellos_rate_limited <= 7);
	for (i = 0; i < 12; i++)
		client_close(&c[i]);
	engine_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_dtls12),
		cmocka_unit_test(test_resume_wrong_secret),
		cmocka_unit_test(test_psk_prefers_aead),
		cmocka_unit_test(test_psk_cbc_fits_link),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_rebinding),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_hello_rate_limit),
	};

	log_init("test", true, 0);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
