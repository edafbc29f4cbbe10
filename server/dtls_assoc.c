/*
 * DTLS associations: one handshake with one client address and the
 * record layer that follows it. PSK-NEGOTIATE and DTLS 1.2 resumption
 * run on libssl, fed one datagram at a time through a memory BIO and
 * writing through a BIO that sends each write as one datagram from the
 * shared UDP socket. The pre-standard version 0x0100 runs on
 * common/dtls_legacy, because libssl cannot be its server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "dtls_impl.h"
#include "dtls_wire.h"
#include "netproc.h"
#include "session.h"
#include "sinkbio.h"
#include "tls.h"

/* A handshake that has not finished by then is abandoned. */
#define DTLS_HANDSHAKE_TIMEOUT	30

/* First wait before the legacy server flight is sent again. */
#define DTLS_LEGACY_RETRANSMIT_MS	1000

/* Seconds a made-up resumption session lives; only the handshake uses it. */
#define DTLS_RESUME_SESSION_TIMEOUT	60

/* The suites resumption may pick; each must be in dtls_offer.c's table. */
#define DTLS_RESUME_CIPHERS	"AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256:" \
	"ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:AES128-SHA"

/*
 * PSK-NEGOTIATE suites, AEAD first: the server's order wins, so every
 * client that offers an AEAD suite gets one, and the data MTU announced
 * before the handshake leaves room for AEAD records only when the
 * client's CONNECT names such a suite. Plain PSK comes before the key
 * exchanges that cost a Diffie-Hellman.
 */
#define DTLS_PSK_CIPHERS	"kPSK+AESGCM:kPSK+CHACHA20:" \
	"kECDHEPSK+CHACHA20:AESGCM+PSK:CHACHA20+PSK:PSK"

#define DTLS_PLAIN_MAX		16384	/* DTLS plaintext limit */
#define DTLS_IPV4_UDP		(20 + 8)
#define DTLS_IPV6_UDP		(40 + 8)

/* The SSL ex_data slot holding the association, fixed at start. */
static int dtls_ex_index = -1;

static __thread uint8_t dtls_plain_buf[DTLS_DATAGRAM_MAX];
static __thread uint8_t dtls_tx_buf[DTLS_DATAGRAM_MAX + 128];

/*
 * The legacy server flight. It has its own buffer because payloads in the
 * datagram that triggered it are processed, and may be echoed through
 * dtls_tx_buf, before it is sent.
 */
static __thread uint8_t dtls_flight_buf[DTLS_LEGACY_FLIGHT_LEN];

static void	dtls_assoc_timer_cb(evutil_socket_t fd, short events,
		    void *arg);

/* ---- the write BIO ---- */

/*
 * Every write is one datagram. A write that fails is still reported as
 * written: libssl would otherwise keep the record for a retry that UDP
 * does not need, and the failure reaches the caller through
 * a_send_error instead.
 */
static int
dtls_bio_write(BIO *b, const char *data, int len)
{
	struct dtls_assoc *a = BIO_get_data(b);
	int rc;

	BIO_clear_retry_flags(b);
	rc = dtls_socket_send(a->a_sock, &a->a_peer, data, (size_t)len,
	    a->a_tos);
	if (rc < 0 && a->a_send_error == 0)
		a->a_send_error = rc;
	return (len);
}

/* ---- libssl contexts ---- */

static struct dtls_assoc *
dtls_assoc_of(SSL *ssl)
{
	return (SSL_get_ex_data(ssl, dtls_ex_index));
}

/* The client's PSK identity carries no meaning ("psk" in openconnect). */
static unsigned int
dtls_assoc_psk_cb(SSL *ssl, const char *identity, unsigned char *psk,
    unsigned int max_psk_len)
{
	struct dtls_assoc *a = dtls_assoc_of(ssl);

	(void)identity;
	if (a == NULL || a->a_ch->ch_mode != DTLS_MODE_PSK ||
	    max_psk_len < DTLS_PSK_LEN)
		return (0);
	memcpy(psk, a->a_ch->ch_key, DTLS_PSK_LEN);
	return (DTLS_PSK_LEN);
}

static const SSL_CIPHER *
dtls_assoc_find_cipher(SSL *ssl, const char *name)
{
	STACK_OF(SSL_CIPHER) *list = SSL_get_ciphers(ssl);
	const SSL_CIPHER *c;
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		c = sk_SSL_CIPHER_value(list, i);
		if (strcmp(SSL_CIPHER_get_name(c), name) == 0)
			return (c);
	}
	return (NULL);
}

/*
 * Make up the session that the client resumes: X-DTLS-Master-Secret as
 * its master secret, X-DTLS-Session-ID as its id, the chosen suite.
 */
static SSL_SESSION *
dtls_assoc_get_session_cb(SSL *ssl, const unsigned char *id, int len,
    int *copy)
{
	struct dtls_assoc *a = dtls_assoc_of(ssl);
	const struct dtls_channel *ch;
	const SSL_CIPHER *c;
	SSL_SESSION *ss;

	*copy = 0;
	if (a == NULL || (ch = a->a_ch)->ch_mode != DTLS_MODE_RESUME ||
	    len != DTLS_ID_LEN || CRYPTO_memcmp(id, ch->ch_id, DTLS_ID_LEN))
		return (NULL);
	c = dtls_assoc_find_cipher(ssl, ch->ch_suite->openssl_name);
	if (c == NULL || (ss = SSL_SESSION_new()) == NULL)
		return (NULL);
	if (SSL_SESSION_set_protocol_version(ss, DTLS1_2_VERSION) != 1 ||
	    SSL_SESSION_set_cipher(ss, c) != 1 ||
	    SSL_SESSION_set1_master_key(ss, ch->ch_key,
	    DTLS_OFFER_SECRET_LEN) != 1 ||
	    SSL_SESSION_set1_id(ss, id, DTLS_ID_LEN) != 1) {
		SSL_SESSION_free(ss);
		return (NULL);
	}
	SSL_SESSION_set_time(ss, time(NULL));
	SSL_SESSION_set_timeout(ss, DTLS_RESUME_SESSION_TIMEOUT);
	return (ss);
}

/*
 * PSK-NEGOTIATE: a full handshake with a PSK suite. The session id in
 * the ClientHello is only the App-ID, so nothing is ever resumed.
 */
static SSL_CTX *
dtls_assoc_psk_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());

	if (ctx == NULL)
		return (NULL);
	if (SSL_CTX_set_cipher_list(ctx, DTLS_PSK_CIPHERS) != 1) {
		SSL_CTX_free(ctx);
		return (NULL);
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_psk_server_callback(ctx, dtls_assoc_psk_cb);
	SSL_CTX_set_dh_auto(ctx, 1);
	return (ctx);
}

/*
 * DTLS 1.2 resumption of a session that never had a full handshake.
 * Clients fabricate it without extended master secret, so the option
 * makes the server ignore that extension; tickets would be useless.
 */
static SSL_CTX *
dtls_assoc_resume_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());

	if (ctx == NULL)
		return (NULL);
	if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, DTLS_RESUME_CIPHERS) != 1) {
		SSL_CTX_free(ctx);
		return (NULL);
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_EXTENDED_MASTER_SECRET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
	    SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_get_cb(ctx, dtls_assoc_get_session_cb);
	return (ctx);
}

/*
 * Find the largest record overhead of the suites the PSK context
 * accepts: *any of all of them, *aead of the AEAD ones (*any when the
 * context accepts no AEAD suite).
 */
static void
dtls_assoc_psk_overheads(SSL_CTX *ctx, int *aead, int *any)
{
	STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(ctx);
	const SSL_CIPHER *c;
	const EVP_MD *md;
	int i, o;
	size_t mac;

	*aead = 0;
	*any = 0;
	for (i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		c = sk_SSL_CIPHER_value(list, i);
		md = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(c));
		mac = SSL_CIPHER_is_aead(c) || md == NULL ? 0 :
		    (size_t)EVP_MD_get_size(md);
		o = dtls_offer_record_overhead(SSL_CIPHER_get_cipher_nid(c),
		    mac);
		if (o > *any)
			*any = o;
		if (SSL_CIPHER_is_aead(c) && o > *aead)
			*aead = o;
	}
	if (*aead == 0)
		*aead = *any;
}

int
dtls_assoc_ssl_setup(struct dtls *d)
{
	/* One slot for every worker's DTLS state; all start on one thread. */
	if (dtls_ex_index < 0)
		dtls_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	d->d_ex_index = dtls_ex_index;
	d->d_bio_method = sinkbio_method_new("headend DTLS datagram",
	    dtls_bio_write);
	d->d_psk_ctx = dtls_assoc_psk_ctx();
	d->d_resume_ctx = dtls_assoc_resume_ctx();
	if (dtls_ex_index < 0 || d->d_bio_method == NULL ||
	    d->d_psk_ctx == NULL || d->d_resume_ctx == NULL)
		return (-ENOMEM);
	dtls_assoc_psk_overheads(d->d_psk_ctx, &d->d_psk_overhead_aead,
	    &d->d_psk_overhead_any);
	return (0);
}

/* ---- life cycle ---- */

static int
dtls_assoc_ssl_new(struct dtls_assoc *a)
{
	struct dtls_channel *ch = a->a_ch;
	struct dtls *d = ch->ch_dtls;
	int ip_udp = a->a_peer.ss.ss_family == AF_INET6 ? DTLS_IPV6_UDP :
	    DTLS_IPV4_UDP;
	BIO *wbio;

	a->a_kind = DTLS_ASSOC_SSL;
	a->a_ssl = SSL_new(ch->ch_mode == DTLS_MODE_PSK ? d->d_psk_ctx :
	    d->d_resume_ctx);
	a->a_rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(d->d_bio_method);
	if (a->a_ssl == NULL || a->a_rbio == NULL || wbio == NULL) {
		BIO_free(a->a_rbio);
		BIO_free(wbio);
		a->a_rbio = NULL;
		return (-ENOMEM);
	}
	BIO_set_mem_eof_return(a->a_rbio, -1);
	BIO_set_data(wbio, a);
	SSL_set_bio(a->a_ssl, a->a_rbio, wbio);
	SSL_set_ex_data(a->a_ssl, d->d_ex_index, a);
	SSL_set_accept_state(a->a_ssl);

	/* The BIO reports no MTU, so set the record size from the path. */
	SSL_set_options(a->a_ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(a->a_ssl, ch->ch_params.link_mtu - ip_udp);
	if (ch->ch_mode == DTLS_MODE_RESUME &&
	    SSL_set_cipher_list(a->a_ssl, ch->ch_suite->openssl_name) != 1)
		return (-EINVAL);
	return (0);
}

static int
dtls_assoc_legacy_new(struct dtls_assoc *a)
{
	const struct dtls_channel *ch = a->a_ch;

	a->a_kind = DTLS_ASSOC_LEGACY;
	a->a_legacy = dtls_legacy_new(ch->ch_key, ch->ch_id,
	    (enum dtls_legacy_suite)ch->ch_suite->id);
	a->a_legacy_wait.tv_sec = DTLS_LEGACY_RETRANSMIT_MS / 1000;
	a->a_legacy_wait.tv_usec = DTLS_LEGACY_RETRANSMIT_MS % 1000 * 1000;
	return (a->a_legacy == NULL ? -errno : 0);
}

struct dtls_assoc *
dtls_assoc_new(struct dtls_channel *ch, struct dtls_socket *s,
    const struct dtls_peer *peer)
{
	struct dtls_assoc *a;
	int rc;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	a->a_ch = ch;
	a->a_sock = s;
	a->a_peer = *peer;
	a->a_started = time(NULL);
	a->a_timer = evtimer_new(ch->ch_dtls->d_np->base,
	    dtls_assoc_timer_cb, a);
	if (ch->ch_mode == DTLS_MODE_LEGACY)
		rc = dtls_assoc_legacy_new(a);
	else
		rc = dtls_assoc_ssl_new(a);
	if (a->a_timer == NULL || rc != 0) {
		dtls_assoc_free(a);
		ERR_clear_error();
		return (NULL);
	}
	dtls_addr_insert(ch->ch_dtls, a);
	return (a);
}

void
dtls_assoc_free(struct dtls_assoc *a)
{
	struct dtls *d = a->a_ch->ch_dtls;

	dtls_addr_remove(d, a);
	dtls_ip_remove(d, a);
	if (a->a_timer != NULL)
		event_free(a->a_timer);
	SSL_free(a->a_ssl);	/* frees both BIOs */
	dtls_legacy_free(a->a_legacy);
	free(a);
}

/* ---- handshake timers ---- */

static bool
dtls_assoc_expired(const struct dtls_assoc *a)
{
	return (time(NULL) - a->a_started >= DTLS_HANDSHAKE_TIMEOUT);
}

/* Wake up for libssl's retransmission, or once a second at least. */
static void
dtls_assoc_arm_ssl(struct dtls_assoc *a)
{
	struct timeval tv = { 1, 0 };

	if (DTLSv1_get_timeout(a->a_ssl, &tv) != 1 || tv.tv_sec >= 1)
		tv = (struct timeval){ 1, 0 };
	evtimer_add(a->a_timer, &tv);
}

static void
dtls_assoc_ssl_timeout(struct dtls_assoc *a)
{
	if (dtls_assoc_expired(a) ||
	    DTLSv1_handle_timeout(a->a_ssl) < 0) {
		ERR_clear_error();
		dtls_channel_handshake_failed(a->a_ch, a,
		    "no answer from the client");
		return;
	}
	dtls_assoc_arm_ssl(a);
}

/* Send the legacy server flight again, at doubling intervals. */
static void
dtls_assoc_legacy_timeout(struct dtls_assoc *a)
{
	size_t len;
	int rc;

	rc = dtls_legacy_retransmit(a->a_legacy, dtls_flight_buf, &len,
	    sizeof(dtls_flight_buf));
	if (rc < 0 || dtls_assoc_expired(a)) {
		dtls_channel_handshake_failed(a->a_ch, a,
		    "no Finished from the client");
		return;
	}
	if (len == 0)
		return;
	dtls_socket_send(a->a_sock, &a->a_peer, dtls_flight_buf, len, 0);
	timeradd(&a->a_legacy_wait, &a->a_legacy_wait, &a->a_legacy_wait);
	evtimer_add(a->a_timer, &a->a_legacy_wait);
}

static void
dtls_assoc_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_assoc *a = arg;

	(void)fd;
	(void)events;
	if (a->a_up)
		return;
	if (a->a_kind == DTLS_ASSOC_SSL)
		dtls_assoc_ssl_timeout(a);
	else
		dtls_assoc_legacy_timeout(a);
}

/* ---- input ---- */

/*
 * The shortest record body the suite produces: the explicit nonce and
 * the tag of an AEAD suite, or the IV and the padded MAC of a CBC suite.
 * OpenSSL 3.0 ends the association on a shorter AEAD record instead of
 * dropping it, and anyone who can send from the client's address could
 * send one, so such records never reach libssl.
 */
static size_t
dtls_assoc_record_min(SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	int block, mac;

	if (c == NULL)
		return (0);
	if (SSL_CIPHER_get_cipher_nid(c) == NID_chacha20_poly1305)
		return (16);
	cipher = EVP_get_cipherbynid(SSL_CIPHER_get_cipher_nid(c));
	if (cipher == NULL)
		return (0);
	switch (EVP_CIPHER_get_mode(cipher)) {
	case EVP_CIPH_GCM_MODE:
		return (8 + 16);
	case EVP_CIPH_CCM_MODE:
		return (strstr(SSL_CIPHER_get_name(c), "CCM8") != NULL ?
		    8 + 8 : 8 + 16);
	case EVP_CIPH_CBC_MODE:
		md = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(c));
		block = EVP_CIPHER_get_block_size(cipher);
		mac = md != NULL ? EVP_MD_get_size(md) : 0;
		return ((size_t)(block + (mac + block) / block * block));
	default:
		return (0);
	}
}

/* A resumption mode that fell into a full handshake is not ours. */
static enum dtls_input
dtls_assoc_ssl_established(struct dtls_assoc *a)
{
	if (a->a_ch->ch_mode == DTLS_MODE_RESUME &&
	    SSL_session_reused(a->a_ssl) != 1)
		return (DTLS_INPUT_FAILED);
	a->a_up = true;
	a->a_plain_max = DTLS_get_data_mtu(a->a_ssl);
	a->a_record_min = dtls_assoc_record_min(a->a_ssl);
	evtimer_del(a->a_timer);
	return (DTLS_INPUT_ESTABLISHED);
}

static enum dtls_input
dtls_assoc_ssl_handshake(struct dtls_assoc *a)
{
	int rc = SSL_do_handshake(a->a_ssl);

	if (rc == 1)
		return (dtls_assoc_ssl_established(a));
	switch (SSL_get_error(a->a_ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		dtls_assoc_arm_ssl(a);
		return (DTLS_INPUT_OK);
	default:
		return (DTLS_INPUT_FAILED);
	}
}

/* Read every application record the datagram held. */
static enum dtls_input
dtls_assoc_ssl_read(struct dtls_assoc *a, struct dtls_socket *s,
    const struct dtls_peer *from, enum dtls_input result)
{
	int n = 0;

	while (!a->a_dead) {
		n = SSL_read(a->a_ssl, dtls_plain_buf, sizeof(dtls_plain_buf));
		if (n <= 0)
			break;
		if (result == DTLS_INPUT_DROPPED)
			result = DTLS_INPUT_OK;
		dtls_channel_authenticated(a->a_ch, a, s, from);
		dtls_channel_payload(a->a_ch, a, dtls_plain_buf, (size_t)n);
	}
	if (a->a_dead)
		return (result);
	switch (SSL_get_error(a->a_ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return (result);
	case SSL_ERROR_ZERO_RETURN:
		return (DTLS_INPUT_CLOSED);
	default:
		return (DTLS_INPUT_FAILED);
	}
}

static enum dtls_input
dtls_assoc_ssl_input(struct dtls_assoc *a, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	enum dtls_input result = DTLS_INPUT_DROPPED;

	if (a->a_up && !dtls_wire_records_fit(dgram, len, a->a_record_min))
		return (DTLS_INPUT_DROPPED);

	/* libssl takes all buffered bytes as one datagram. */
	BIO_reset(a->a_rbio);
	if (BIO_write(a->a_rbio, dgram, (int)len) != (int)len)
		return (DTLS_INPUT_DROPPED);
	if (!a->a_up) {
		result = dtls_assoc_ssl_handshake(a);
		if (result != DTLS_INPUT_ESTABLISHED)
			return (result);
	}
	result = dtls_assoc_ssl_read(a, s, from, result);
	BIO_reset(a->a_rbio);
	return (result);
}

struct dtls_legacy_ctx {
	struct dtls_assoc *a;
	struct dtls_socket *s;
	const struct dtls_peer *from;
};

/* Called only once the whole datagram has authenticated. */
static void
dtls_assoc_legacy_app(void *arg, const uint8_t *data, size_t len)
{
	struct dtls_legacy_ctx *lc = arg;

	if (lc->a->a_dead || len > sizeof(dtls_plain_buf))
		return;

	/* The tunnel rewrites packets (MSS clamping): hand it a copy. */
	memcpy(dtls_plain_buf, data, len);
	dtls_channel_authenticated(lc->a->a_ch, lc->a, lc->s, lc->from);
	dtls_channel_payload(lc->a->a_ch, lc->a, dtls_plain_buf, len);
}

static enum dtls_input
dtls_assoc_legacy_result(struct dtls_assoc *a, int rc)
{
	switch (rc) {
	case DTLS_LEGACY_OK:
		return (DTLS_INPUT_OK);
	case DTLS_LEGACY_ESTABLISHED:
		a->a_up = true;
		evtimer_del(a->a_timer);
		return (DTLS_INPUT_ESTABLISHED);
	case DTLS_LEGACY_CLIENT_HELLO:
		return (DTLS_INPUT_NEW_HELLO);
	case DTLS_LEGACY_CLOSED:
		return (DTLS_INPUT_CLOSED);
	case -EBADMSG:
		return (DTLS_INPUT_DROPPED);
	default:
		return (DTLS_INPUT_FAILED);
	}
}

static enum dtls_input
dtls_assoc_legacy_input(struct dtls_assoc *a, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_legacy_ctx lc = { a, s, from };
	size_t out_len;
	int rc;

	rc = dtls_legacy_input(a->a_legacy, dgram, len, dtls_flight_buf,
	    &out_len, sizeof(dtls_flight_buf), dtls_assoc_legacy_app, &lc);
	if (out_len > 0) {
		dtls_socket_send(a->a_sock, &a->a_peer, dtls_flight_buf,
		    out_len, 0);
		if (!a->a_up)
			evtimer_add(a->a_timer, &a->a_legacy_wait);
	}
	return (dtls_assoc_legacy_result(a, rc));
}

enum dtls_input
dtls_assoc_input(struct dtls_assoc *a, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	enum dtls_input result;

	if (a->a_kind == DTLS_ASSOC_LEGACY)
		return (dtls_assoc_legacy_input(a, s, from, dgram, len));

	/*
	 * SSL_get_error reads the thread's error queue, so it must start
	 * empty, and errors that hostile input causes must not stay on it.
	 */
	tls_errors_clear();
	result = dtls_assoc_ssl_input(a, s, from, dgram, len);
	tls_errors_clear();
	return (result);
}

/* ---- output ---- */

static int
dtls_assoc_ssl_write(struct dtls_assoc *a, size_t len, int tos)
{
	int n;

	a->a_tos = tos;
	a->a_send_error = 0;
	n = SSL_write(a->a_ssl, dtls_tx_buf, (int)len);
	a->a_tos = 0;
	if (n != (int)len) {
		ERR_clear_error();
		return (-EIO);
	}
	return (a->a_send_error);
}

int
dtls_assoc_send(struct dtls_assoc *a, uint8_t type, const uint8_t *payload,
    size_t len, int tos)
{
	/* Per thread: every worker seals datagrams at the same time. */
	static __thread uint8_t sealed[DTLS_DATAGRAM_MAX + 128];
	int n;

	if (!a->a_up || a->a_dead)
		return (-ENOTCONN);
	if (len + 1 > DTLS_PLAIN_MAX ||
	    (a->a_plain_max > 0 && len + 1 > a->a_plain_max))
		return (-EMSGSIZE);
	dtls_tx_buf[0] = type;
	if (len > 0)
		memcpy(dtls_tx_buf + 1, payload, len);
	if (a->a_kind == DTLS_ASSOC_SSL)
		return (dtls_assoc_ssl_write(a, len + 1, tos));
	n = dtls_legacy_encrypt(a->a_legacy, dtls_tx_buf, len + 1, sealed,
	    sizeof(sealed));
	if (n < 0)
		return (n);
	return (dtls_socket_send(a->a_sock, &a->a_peer, sealed, (size_t)n,
	    tos));
}

void
dtls_assoc_describe(const struct dtls_assoc *a, char *version, size_t vlen,
    char *cipher, size_t clen)
{
	if (a->a_kind == DTLS_ASSOC_LEGACY) {
		/* OpenSSL's and GnuTLS's names for version 0x0100. */
		snprintf(version, vlen, "DTLSv0.9");
		snprintf(cipher, clen, "%s", a->a_ch->ch_suite->openssl_name);
		return;
	}
	snprintf(version, vlen, "%s", SSL_get_version(a->a_ssl));
	snprintf(cipher, clen, "%s", SSL_get_cipher_name(a->a_ssl));
}
