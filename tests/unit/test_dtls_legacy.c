/*
 * Tests for the legacy Cisco DTLS server against OpenSSL's own
 * DTLS1_BAD_VER client, in process over an AF_UNIX datagram socketpair.
 * The client resumes a hand-made session built from the
 * X-DTLS-Master-Secret and X-DTLS-Session-ID of the CSTP exchange. The
 * test passes each datagram between the client socket and the server API
 * by hand, so it can drop, repeat or alter any of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "dtls_legacy.h"

#define TEST_MTU	1400
#define TEST_BUF	4096

struct peer {
	int		client_fd;	/* the OpenSSL client's end */
	int		server_fd;	/* the end the test reads and writes */
	SSL_CTX		*ctx;
	SSL		*ssl;
	struct dtls_legacy *server;
	enum dtls_legacy_suite suite;
	const char	*cipher;	/* OpenSSL name of the suite */
	uint8_t		master_secret[DTLS_LEGACY_MASTER_SECRET_LEN];
	uint8_t		session_id[DTLS_LEGACY_SESSION_ID_LEN];

	uint8_t		app[TEST_BUF];	/* last payload from on_app */
	size_t		app_len;
	int		app_calls;
};

static void
peer_capture_app(void *arg, const uint8_t *data, size_t len)
{
	struct peer *p = arg;

	assert_true(len <= sizeof(p->app));
	memcpy(p->app, data, len);
	p->app_len = len;
	p->app_calls++;
}

static void
fill_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

static void
set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	assert_true(flags >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

static SSL_CTX *
client_ctx_new(const char *cipher)
{
	char list[64];
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, DTLS1_BAD_VER),
			 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, DTLS1_BAD_VER),
			 1);
	SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC |
			    SSL_OP_NO_EXTENDED_MASTER_SECRET |
			    SSL_OP_LEGACY_SERVER_CONNECT |
			    SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
	SSL_CTX_set_read_ahead(ctx, 1);

	/* TLS 1.0-era protocols need security level 0 in OpenSSL 3. */
	snprintf(list, sizeof(list), "%s:@SECLEVEL=0", cipher);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, list), 1);
	return ctx;
}

static const SSL_CIPHER *
client_find_cipher(SSL *ssl, const char *name)
{
	STACK_OF(SSL_CIPHER) *ciphers = SSL_get_ciphers(ssl);
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);

		if (strcmp(SSL_CIPHER_get_name(c), name) == 0)
			return c;
	}
	fail_msg("cipher %s not in the client list", name);
	return NULL;
}

/* Attach the session that the CSTP headers describe. */
static void
client_set_session(SSL *ssl, const char *cipher, const uint8_t *master,
		   const uint8_t *session_id)
{
	SSL_SESSION *s = SSL_SESSION_new();

	assert_non_null(s);
	assert_int_equal(SSL_SESSION_set_protocol_version(s, DTLS1_BAD_VER),
			 1);
	assert_int_equal(SSL_SESSION_set1_master_key(s, master,
			 DTLS_LEGACY_MASTER_SECRET_LEN), 1);
	assert_int_equal(SSL_SESSION_set1_id(s, session_id,
			 DTLS_LEGACY_SESSION_ID_LEN), 1);
	assert_int_equal(SSL_SESSION_set_cipher(s,
			 client_find_cipher(ssl, cipher)), 1);
	SSL_SESSION_set_time(s, (long)time(NULL));
	SSL_SESSION_set_timeout(s, 300);
	assert_int_equal(SSL_set_session(ssl, s), 1);
	SSL_SESSION_free(s);
}

/* A fresh client SSL on the client socket, resuming session_id. */
static SSL *
client_ssl_new(struct peer *p, const uint8_t *session_id)
{
	struct sockaddr_un peer_addr = { .sun_family = AF_UNIX };
	BIO_ADDR *addr = BIO_ADDR_new();
	BIO *bio = BIO_new_dgram(p->client_fd, BIO_NOCLOSE);
	SSL *ssl = SSL_new(p->ctx);

	assert_non_null(addr);
	assert_non_null(bio);
	assert_non_null(ssl);

	/*
	 * Connected mode makes the BIO use write(), because sendto() to an
	 * empty address fails on a socketpair.
	 */
	assert_int_equal(BIO_ADDR_rawmake(addr, AF_UNIX, peer_addr.sun_path,
					  0, 0), 1);
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, addr);
	BIO_ADDR_free(addr);

	SSL_set_bio(ssl, bio, bio);
	assert_int_equal(SSL_set_mtu(ssl, TEST_MTU), TEST_MTU);
	SSL_set_connect_state(ssl);
	client_set_session(ssl, p->cipher, p->master_secret, session_id);
	return ssl;
}

static void
peer_init(struct peer *p, enum dtls_legacy_suite suite)
{
	int fds[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds), 0);
	p->client_fd = fds[0];
	p->server_fd = fds[1];
	set_nonblocking(p->client_fd);
	set_nonblocking(p->server_fd);

	p->suite = suite;
	p->cipher = suite == DTLS_LEGACY_AES256_SHA ? "AES256-SHA"
						    : "AES128-SHA";
	fill_pattern(p->master_secret, sizeof(p->master_secret), 0x31);
	fill_pattern(p->session_id, sizeof(p->session_id), 0xa5);

	p->ctx = client_ctx_new(p->cipher);
	p->ssl = client_ssl_new(p, p->session_id);
	p->server = dtls_legacy_new(p->master_secret, p->session_id, suite);
	assert_non_null(p->server);
}

static void
peer_destroy(struct peer *p)
{
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
	dtls_legacy_free(p->server);
	close(p->client_fd);
	close(p->server_fd);
	ERR_clear_error();
}

/* Read one datagram the client sent. Returns 0 when none is waiting. */
static size_t
peer_recv(struct peer *p, uint8_t *buf, size_t size)
{
	ssize_t n = recv(p->server_fd, buf, size, 0);

	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		return 0;
	}
	return (size_t)n;
}

static size_t
peer_recv_one(struct peer *p, uint8_t *buf, size_t size)
{
	size_t n = peer_recv(p, buf, size);

	assert_true(n > 0);
	return n;
}

static void
peer_send(struct peer *p, const uint8_t *buf, size_t len)
{
	assert_int_equal(send(p->server_fd, buf, len, 0), (ssize_t)len);
}

static int
peer_input(struct peer *p, const uint8_t *dgram, size_t len, uint8_t *out,
	   size_t *out_len)
{
	return dtls_legacy_input(p->server, dgram, len, out, out_len,
				 TEST_BUF, peer_capture_app, p);
}

/* Input a datagram that must be dropped with nothing to send. */
static void
peer_expect_drop(struct peer *p, const uint8_t *dgram, size_t len)
{
	uint8_t out[TEST_BUF];
	size_t out_len = 99;

	assert_int_equal(peer_input(p, dgram, len, out, &out_len), -EBADMSG);
	assert_int_equal(out_len, 0);
}

static void
client_expect_want_read(SSL *ssl)
{
	int ret = SSL_do_handshake(ssl);

	assert_int_equal(ret, -1);
	assert_int_equal(SSL_get_error(ssl, ret), SSL_ERROR_WANT_READ);
}

/* Let the client send its ClientHello and return that datagram. */
static size_t
peer_client_hello(struct peer *p, uint8_t *buf, size_t size)
{
	client_expect_want_read(p->ssl);
	return peer_recv_one(p, buf, size);
}

/* Feed the ClientHello, pass the flight on and let the client finish. */
static void
peer_serve_hello(struct peer *p, const uint8_t *hello, size_t len)
{
	uint8_t out[TEST_BUF];
	size_t out_len;

	assert_int_equal(peer_input(p, hello, len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(out_len, DTLS_LEGACY_FLIGHT_LEN);
	peer_send(p, out, out_len);

	assert_int_equal(SSL_do_handshake(p->ssl), 1);
	assert_int_equal(SSL_session_reused(p->ssl), 1);
	assert_int_equal(SSL_version(p->ssl), DTLS1_BAD_VER);
	assert_string_equal(SSL_get_cipher_name(p->ssl), p->cipher);
}

/* Feed every datagram the client sent and return the last result. */
static int
peer_feed_all(struct peer *p)
{
	uint8_t buf[TEST_BUF], out[TEST_BUF];
	size_t len, out_len;
	int ret = -ENOENT;

	while ((len = peer_recv(p, buf, sizeof(buf))) > 0) {
		ret = peer_input(p, buf, len, out, &out_len);
		assert_int_equal(out_len, 0);
	}
	return ret;
}

static void
peer_handshake(struct peer *p)
{
	uint8_t hello[TEST_BUF];
	size_t len = peer_client_hello(p, hello, sizeof(hello));

	peer_serve_hello(p, hello, len);
	assert_false(dtls_legacy_established(p->server));
	assert_int_equal(peer_feed_all(p), DTLS_LEGACY_ESTABLISHED);
	assert_true(dtls_legacy_established(p->server));
}

static size_t
client_write(struct peer *p, const uint8_t *data, size_t len, uint8_t *dgram,
	     size_t size)
{
	assert_int_equal(SSL_write(p->ssl, data, (int)len), (int)len);
	return peer_recv_one(p, dgram, size);
}

/* Send a payload from client to server and check it arrives intact. */
static void
check_client_to_server(struct peer *p, size_t len)
{
	uint8_t data[TEST_BUF], dgram[TEST_BUF], out[TEST_BUF];
	size_t dgram_len, out_len;
	int calls = p->app_calls;

	fill_pattern(data, len, (uint8_t)len);
	dgram_len = client_write(p, data, len, dgram, sizeof(dgram));
	assert_int_equal(peer_input(p, dgram, dgram_len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(p->app_calls, calls + 1);
	assert_int_equal(p->app_len, len);
	assert_memory_equal(p->app, data, len);
}

/* Send a payload from server to client and check it arrives intact. */
static void
check_server_to_client(struct peer *p, size_t len)
{
	uint8_t data[TEST_BUF], dgram[TEST_BUF], got[TEST_BUF];
	int n;

	fill_pattern(data, len, (uint8_t)(len + 3));
	n = dtls_legacy_encrypt(p->server, data, len, dgram, sizeof(dgram));
	assert_true(n > 0);
	assert_true((size_t)n <= len + dtls_legacy_overhead(p->suite));
	peer_send(p, dgram, (size_t)n);

	n = SSL_read(p->ssl, got, sizeof(got));
	assert_int_equal(n, (int)len);
	assert_memory_equal(got, data, len);
}

static void
check_data_both_ways(struct peer *p)
{
	static const size_t sizes[] = { 1, 15, 16, 100, 1000, 1300 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_client_to_server(p, sizes[i]);
		check_server_to_client(p, sizes[i]);
	}
}

static void
test_handshake_aes128(void **state)
{
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);
	check_data_both_ways(&p);
	peer_destroy(&p);
}

static void
test_handshake_aes256(void **state)
{
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES256_SHA);
	peer_handshake(&p);
	check_data_both_ways(&p);
	peer_destroy(&p);
}

/* The flight has the layout that old clients parse by position. */
static void
test_flight_layout(void **state)
{
	uint8_t hello[TEST_BUF], out[TEST_BUF];
	size_t len, out_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	assert_int_equal(peer_input(&p, hello, len, out, &out_len),
			 DTLS_LEGACY_OK);

	/* ServerHello: handshake record, version 0x0100, epoch 0, seq 0. */
	assert_memory_equal(out, "\x16\x01\x00\x00\x00\x00\x00\x00\x00\x00"
			    "\x00\x00\x52", 13);
	assert_int_equal(out[13], 2);
	assert_memory_equal(out + 25, "\x01\x00", 2);
	assert_int_equal(out[59], 32);
	assert_memory_equal(out + 60, p.session_id, 32);
	assert_memory_equal(out + 92, "\x00\x2f\x00", 3);

	/* ChangeCipherSpec: 3 bytes, epoch 0, seq 1, handshake seq 1. */
	assert_memory_equal(out + 95, "\x14\x01\x00\x00\x00\x00\x00\x00\x00"
			    "\x00\x01\x00\x03\x01\x00\x01", 16);

	/* Finished: epoch 1, seq 0, IV plus three blocks. */
	assert_memory_equal(out + 111, "\x16\x01\x00\x00\x01\x00\x00\x00\x00"
			    "\x00\x00\x00\x40", 13);
	peer_destroy(&p);
}

/* Each copy with one flipped byte is dropped, the original is not. */
static void
test_tampered_record_dropped(void **state)
{
	/*
	 * A 100-byte payload gives IV 16 and 128 bytes of CBC text: data
	 * 0-99, MAC 100-119, padding 120-127. Flipping byte j of cipher
	 * block k flips byte j of plaintext block k + 1.
	 */
	const size_t body = DTLS_LEGACY_RECORD_HEADER_LEN;
	const size_t text = body + 16;
	const size_t positions[] = {
		9,			/* record sequence number */
		body,			/* IV: first data byte */
		text + 40,		/* garbles data */
		text + 5 * 16 + 9,	/* MAC byte 105 */
		text + 6 * 16 + 8,	/* padding byte 120 */
		text + 6 * 16 + 15,	/* padding length byte 127 */
		text + 127,		/* last block: padding and MAC */
	};
	uint8_t data[100], dgram[TEST_BUF], bad[TEST_BUF], out[TEST_BUF];
	struct dtls_legacy_stats stats;
	size_t len, out_len, i;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);
	fill_pattern(data, sizeof(data), 9);
	len = client_write(&p, data, sizeof(data), dgram, sizeof(dgram));
	assert_int_equal(len, body + 16 + 128);

	for (i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		memcpy(bad, dgram, len);
		bad[positions[i]] ^= 0x01;
		peer_expect_drop(&p, bad, len);
	}
	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.dropped_auth, i);
	assert_int_equal(p.app_calls, 0);
	assert_true(dtls_legacy_established(p.server));

	assert_int_equal(peer_input(&p, dgram, len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(p.app_calls, 1);
	assert_memory_equal(p.app, data, sizeof(data));
	check_data_both_ways(&p);
	peer_destroy(&p);
}

/*
 * Client write keys, derived independently of the module from the two
 * randoms: TLS 1.0 PRF "key expansion" over server_random || client_random
 * gives client MAC key (20), server MAC key (20), client key (16).
 */
struct forge_keys {
	uint8_t		mac_key[20];
	uint8_t		key[16];
};

static void
forge_derive(struct forge_keys *k, const uint8_t *master,
	     const uint8_t *hello, const uint8_t *flight)
{
	/* Both randoms follow record header, handshake header, version. */
	const size_t random_at = 13 + 12 + 2;
	char digest[] = "MD5-SHA1";
	uint8_t seed[13 + 64], block[56];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM params[4];

	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, flight + random_at, 32);
	memcpy(seed + 45, hello + random_at, 32);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string("secret",
			(void *)master, DTLS_LEGACY_MASTER_SECRET_LEN);
	params[2] = OSSL_PARAM_construct_octet_string("seed", seed,
						      sizeof(seed));
	params[3] = OSSL_PARAM_construct_end();
	assert_non_null(ctx);
	assert_int_equal(EVP_KDF_derive(ctx, block, sizeof(block), params), 1);
	memcpy(k->mac_key, block, 20);
	memcpy(k->key, block + 40, 16);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

/*
 * Seal an application record as the client would, but with pad_len bytes
 * of padding (valid TLS padding when bad_pad_at is 0; otherwise the byte
 * at that 1-based position from the end is wrong). The MAC is valid.
 */
static size_t
forge_record(const struct forge_keys *k, uint64_t seq, const uint8_t *data,
	     size_t len, size_t pad_len, size_t bad_pad_at, uint8_t *out)
{
	uint8_t mac_input[13 + TEST_BUF];
	uint8_t *iv = out + 13, *text = iv + 16;
	size_t text_len = len + 20 + pad_len;
	size_t mac_len;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int i, n;

	assert_int_equal(text_len % 16, 0);

	/* Record header: type 23, version 0x0100, epoch 1, seq, length. */
	out[0] = 23;
	memcpy(out + 1, "\x01\x00\x00\x01", 4);
	for (i = 0; i < 6; i++)
		out[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
	out[11] = (uint8_t)((16 + text_len) >> 8);
	out[12] = (uint8_t)(16 + text_len);

	/* MAC input: epoch and seq, type, version, plaintext length, data. */
	memcpy(mac_input, out + 3, 8);
	memcpy(mac_input + 8, out, 3);
	mac_input[11] = (uint8_t)(len >> 8);
	mac_input[12] = (uint8_t)len;
	memcpy(mac_input + 13, data, len);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL,
				  k->mac_key, 20, mac_input, 13 + len,
				  text + len, 20, &mac_len));

	memcpy(text, data, len);
	memset(text + len + 20, (int)(pad_len - 1), pad_len);
	if (bad_pad_at > 0)
		text[text_len - bad_pad_at] ^= 0x01;

	memset(iv, 0x3c, 16);
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_aes_128_cbc(), k->key,
					     iv, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_set_padding(ctx, 0), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, text, &n, text,
					   (int)text_len), 1);
	EVP_CIPHER_CTX_free(ctx);
	return 13 + 16 + text_len;
}

/*
 * Padding longer than the minimum is valid TLS and must be accepted; a
 * wrong padding byte must be rejected even when the MAC is right.
 */
static void
test_padding_checked_with_valid_mac(void **state)
{
	uint8_t hello[TEST_BUF], flight[TEST_BUF], out[TEST_BUF];
	uint8_t data[100], dgram[TEST_BUF];
	struct dtls_legacy_stats stats;
	struct forge_keys keys;
	size_t len, flight_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	assert_int_equal(peer_input(&p, hello, len, flight, &flight_len),
			 DTLS_LEGACY_OK);
	forge_derive(&keys, p.master_secret, hello, flight);
	fill_pattern(data, sizeof(data), 0x77);

	/* Proves the forged keys are right: it completes the handshake. */
	len = forge_record(&keys, 100, data, 100, 8, 0, dgram);
	assert_int_equal(peer_input(&p, dgram, len, out, &flight_len),
			 DTLS_LEGACY_ESTABLISHED);
	len = forge_record(&keys, 101, data, 100, 24, 0, dgram);
	assert_int_equal(peer_input(&p, dgram, len, out, &flight_len), 0);
	len = forge_record(&keys, 102, data, 92, 256, 0, dgram);
	assert_int_equal(peer_input(&p, dgram, len, out, &flight_len), 0);
	assert_int_equal(p.app_calls, 3);
	assert_int_equal(p.app_len, 92);

	len = forge_record(&keys, 103, data, 100, 24, 1, dgram);
	peer_expect_drop(&p, dgram, len);
	len = forge_record(&keys, 103, data, 100, 24, 13, dgram);
	peer_expect_drop(&p, dgram, len);
	len = forge_record(&keys, 103, data, 100, 24, 24, dgram);
	peer_expect_drop(&p, dgram, len);
	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.dropped_auth, 3);

	len = forge_record(&keys, 103, data, 100, 24, 0, dgram);
	assert_int_equal(peer_input(&p, dgram, len, out, &flight_len), 0);
	assert_int_equal(p.app_calls, 4);
	peer_destroy(&p);
}

static void
test_replay_dropped(void **state)
{
	uint8_t data[32], first[TEST_BUF], dgram[TEST_BUF], out[TEST_BUF];
	struct dtls_legacy_stats stats;
	size_t first_len, len, out_len;
	struct peer p;
	int i;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);
	fill_pattern(data, sizeof(data), 1);

	first_len = client_write(&p, data, sizeof(data), first, sizeof(first));
	assert_int_equal(peer_input(&p, first, first_len, out, &out_len),
			 DTLS_LEGACY_OK);
	peer_expect_drop(&p, first, first_len);
	assert_int_equal(p.app_calls, 1);

	/* 70 newer records push the first one out of the 64-entry window. */
	for (i = 0; i < 70; i++) {
		len = client_write(&p, data, sizeof(data), dgram,
				   sizeof(dgram));
		assert_int_equal(peer_input(&p, dgram, len, out, &out_len),
				 DTLS_LEGACY_OK);
	}
	peer_expect_drop(&p, dgram, len);
	peer_expect_drop(&p, first, first_len);

	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.dropped_replay, 3);
	assert_int_equal(p.app_calls, 71);
	peer_destroy(&p);
}

/* Records that arrive out of order inside the window are accepted. */
static void
test_reordered_records_accepted(void **state)
{
	uint8_t data[8], dgrams[3][TEST_BUF], out[TEST_BUF];
	size_t lens[3], out_len;
	const int order[] = { 2, 0, 1 };
	struct peer p;
	int i;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES256_SHA);
	peer_handshake(&p);
	for (i = 0; i < 3; i++) {
		fill_pattern(data, sizeof(data), (uint8_t)i);
		lens[i] = client_write(&p, data, sizeof(data), dgrams[i],
				       sizeof(dgrams[i]));
	}

	for (i = 0; i < 3; i++) {
		assert_int_equal(peer_input(&p, dgrams[order[i]],
					    lens[order[i]], out, &out_len),
				 DTLS_LEGACY_OK);
		assert_int_equal(p.app[0], order[i]);
	}
	for (i = 0; i < 3; i++)
		peer_expect_drop(&p, dgrams[i], lens[i]);
	assert_int_equal(p.app_calls, 3);
	peer_destroy(&p);
}

/*
 * A datagram with one good and one bad record is dropped as a whole and
 * leaves no trace: the good record is still fresh afterwards.
 */
static void
test_dropped_datagram_changes_nothing(void **state)
{
	uint8_t data[40], a[TEST_BUF], b[TEST_BUF], both[2 * TEST_BUF];
	uint8_t out[TEST_BUF];
	size_t a_len, b_len, out_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);
	fill_pattern(data, sizeof(data), 4);
	a_len = client_write(&p, data, sizeof(data), a, sizeof(a));
	b_len = client_write(&p, data, sizeof(data), b, sizeof(b));

	memcpy(both, a, a_len);
	memcpy(both + a_len, b, b_len);
	both[a_len + b_len - 1] ^= 0x80;
	peer_expect_drop(&p, both, a_len + b_len);
	assert_int_equal(p.app_calls, 0);

	both[a_len + b_len - 1] ^= 0x80;
	assert_int_equal(peer_input(&p, both, a_len + b_len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(p.app_calls, 2);
	peer_expect_drop(&p, a, a_len);
	peer_expect_drop(&p, b, b_len);
	peer_destroy(&p);
}

/* The same ClientHello, even in a record with a new sequence number. */
static void
test_hello_retransmit_same_flight(void **state)
{
	uint8_t hello[TEST_BUF], first[TEST_BUF], out[TEST_BUF];
	size_t len, first_len, out_len;
	struct peer p;
	int sends;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	assert_int_equal(peer_input(&p, hello, len, first, &first_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(first_len, DTLS_LEGACY_FLIGHT_LEN);

	assert_int_equal(peer_input(&p, hello, len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(out_len, first_len);
	assert_memory_equal(out, first, first_len);

	hello[10] = 1;		/* record sequence number 1 */
	assert_int_equal(peer_input(&p, hello, len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(out_len, first_len);
	assert_memory_equal(out, first, first_len);

	/* Timer resends share the budget with the three sends above. */
	for (sends = 3; sends < DTLS_LEGACY_FLIGHT_SENDS_MAX; sends++) {
		assert_int_equal(dtls_legacy_retransmit(p.server, out,
					&out_len, sizeof(out)), 0);
		assert_memory_equal(out, first, first_len);
	}
	assert_int_equal(dtls_legacy_retransmit(p.server, out, &out_len,
						sizeof(out)), -ETIMEDOUT);
	assert_int_equal(out_len, 0);
	assert_int_equal(peer_input(&p, hello, len, out, &out_len),
			 DTLS_LEGACY_OK);
	assert_int_equal(out_len, 0);

	/* The last flight still completes the handshake. */
	peer_send(&p, first, first_len);
	assert_int_equal(SSL_do_handshake(p.ssl), 1);
	assert_int_equal(peer_feed_all(&p), DTLS_LEGACY_ESTABLISHED);
	assert_int_equal(dtls_legacy_retransmit(p.server, out, &out_len,
						sizeof(out)), 0);
	assert_int_equal(out_len, 0);
	peer_destroy(&p);
}

static unsigned int
client_short_timer(SSL *ssl, unsigned int timer_us)
{
	(void)ssl;
	(void)timer_us;
	return 100 * 1000;
}

/* The server replies to the ClientHello the client itself resends. */
static void
test_client_retransmission(void **state)
{
	uint8_t hello[TEST_BUF], again[TEST_BUF], out[TEST_BUF];
	size_t len, again_len, out_len;
	struct timespec wait = { 0, 150 * 1000 * 1000 };
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	DTLS_set_timer_cb(p.ssl, client_short_timer);
	len = peer_client_hello(&p, hello, sizeof(hello));
	assert_int_equal(peer_input(&p, hello, len, out, &out_len),
			 DTLS_LEGACY_OK);

	/* The flight is lost, so the client times out and resends. */
	nanosleep(&wait, NULL);
	assert_true(DTLSv1_handle_timeout(p.ssl) > 0);
	again_len = peer_recv_one(&p, again, sizeof(again));
	assert_int_equal(again_len, len);
	assert_memory_not_equal(again, hello, len);	/* new record seq */

	peer_serve_hello(&p, again, again_len);
	assert_int_equal(peer_feed_all(&p), DTLS_LEGACY_ESTABLISHED);
	check_data_both_ways(&p);
	peer_destroy(&p);
}

static void
test_wrong_session_id_dropped(void **state)
{
	uint8_t other_id[DTLS_LEGACY_SESSION_ID_LEN];
	uint8_t hello[TEST_BUF];
	struct dtls_legacy_stats stats;
	size_t len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	memcpy(other_id, p.session_id, sizeof(other_id));
	other_id[31] ^= 0x01;
	SSL_free(p.ssl);
	p.ssl = client_ssl_new(&p, other_id);

	len = peer_client_hello(&p, hello, sizeof(hello));
	peer_expect_drop(&p, hello, len);
	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.dropped_hello, 1);

	/* The association still replies to the right client. */
	SSL_free(p.ssl);
	p.ssl = client_ssl_new(&p, p.session_id);
	peer_handshake(&p);
	peer_destroy(&p);
}

static void
test_suite_not_offered_dropped(void **state)
{
	uint8_t hello[TEST_BUF];
	struct dtls_legacy_stats stats;
	size_t len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	dtls_legacy_free(p.server);
	p.server = dtls_legacy_new(p.master_secret, p.session_id,
				   DTLS_LEGACY_AES256_SHA);
	assert_non_null(p.server);

	len = peer_client_hello(&p, hello, sizeof(hello));
	peer_expect_drop(&p, hello, len);
	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.dropped_hello, 1);
	assert_int_equal(dtls_legacy_retransmit(p.server, hello, &len,
						sizeof(hello)), -ENOTCONN);
	peer_destroy(&p);
}

static uint32_t
next_random(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
test_truncated_and_garbage_dropped(void **state)
{
	uint8_t hello[TEST_BUF], junk[512], data[64], dgram[TEST_BUF];
	struct dtls_legacy_stats stats;
	size_t len, i, j;
	uint32_t x = 12345;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	for (i = 0; i < len; i++)
		peer_expect_drop(&p, hello, i);

	for (i = 0; i < 1000; i++) {
		size_t n = 1 + next_random(&x) % sizeof(junk);

		for (j = 0; j < n; j++)
			junk[j] = (uint8_t)next_random(&x);
		if (i % 2 == 0)	/* half look like handshake records */
			memcpy(junk, "\x16\x01\x00\x00\x00", n < 5 ? n : 5);
		peer_expect_drop(&p, junk, n);
	}
	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.records_accepted, 0);

	/* Truncated sealed records after the handshake, too. */
	peer_serve_hello(&p, hello, len);
	assert_int_equal(peer_feed_all(&p), DTLS_LEGACY_ESTABLISHED);
	memset(data, 0x42, sizeof(data));
	len = client_write(&p, data, sizeof(data), dgram, sizeof(dgram));
	for (i = 0; i < len; i++)
		peer_expect_drop(&p, dgram, i);
	assert_int_equal(p.app_calls, 0);
	check_client_to_server(&p, 64);
	peer_destroy(&p);
}

static void
test_odd_records_dropped(void **state)
{
	uint8_t data[16], dgram[TEST_BUF], bad[TEST_BUF];
	size_t len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);
	memset(data, 1, sizeof(data));
	len = client_write(&p, data, sizeof(data), dgram, sizeof(dgram));

	memcpy(bad, dgram, len);
	bad[2] = 0xff;			/* version 0x01ff */
	peer_expect_drop(&p, bad, len);

	memcpy(bad, dgram, len);
	bad[4] = 2;			/* epoch 2: no renegotiation */
	peer_expect_drop(&p, bad, len);

	memcpy(bad, dgram, len);
	bad[4] = 0;			/* unauthenticated epoch-0 data */
	peer_expect_drop(&p, bad, len);

	memcpy(bad, dgram, len);
	bad[12] = (uint8_t)(bad[12] + 1);	/* length beyond datagram */
	peer_expect_drop(&p, bad, len);

	peer_expect_drop(&p, dgram, 0);
	assert_int_equal(p.app_calls, 0);
	check_client_to_server(&p, 16);
	peer_destroy(&p);
}

static void
test_peek_client_hello(void **state)
{
	uint8_t hello[TEST_BUF], id[DTLS_LEGACY_SESSION_ID_LEN];
	uint8_t data[4], dgram[TEST_BUF];
	uint8_t type;
	uint16_t version, epoch;
	size_t len, i;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	assert_true(dtls_legacy_peek_client_hello(hello, len, id));
	assert_memory_equal(id, p.session_id, sizeof(id));
	for (i = 0; i < len; i++)
		assert_false(dtls_legacy_peek_client_hello(hello, i, id));

	assert_int_equal(dtls_legacy_peek_record(hello, len, &type, &version,
						 &epoch), 0);
	assert_int_equal(type, 22);
	assert_int_equal(version, DTLS_LEGACY_VERSION);
	assert_int_equal(epoch, 0);
	assert_int_equal(dtls_legacy_peek_record(hello, 12, &type, &version,
						 &epoch), -EBADMSG);

	hello[26] = 0xff;	/* client_version 0x01ff */
	assert_false(dtls_legacy_peek_client_hello(hello, len, id));
	hello[26] = 0x00;

	peer_serve_hello(&p, hello, len);
	peer_feed_all(&p);
	memset(data, 0, sizeof(data));
	len = client_write(&p, data, sizeof(data), dgram, sizeof(dgram));
	assert_false(dtls_legacy_peek_client_hello(dgram, len, id));
	assert_int_equal(dtls_legacy_peek_record(dgram, len, &type, &version,
						 &epoch), 0);
	assert_int_equal(type, 23);
	assert_int_equal(epoch, 1);
	peer_destroy(&p);
}

/* Application data completes the handshake when the Finished is lost. */
static void
test_app_data_completes_handshake(void **state)
{
	uint8_t hello[TEST_BUF], data[20], dgram[TEST_BUF], out[TEST_BUF];
	size_t len, out_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	peer_serve_hello(&p, hello, len);
	while (peer_recv(&p, dgram, sizeof(dgram)) > 0)
		;		/* CCS and Finished are lost */

	assert_int_equal(dtls_legacy_encrypt(p.server, data, sizeof(data),
					     out, sizeof(out)), -ENOTCONN);
	memset(data, 7, sizeof(data));
	len = client_write(&p, data, sizeof(data), dgram, sizeof(dgram));
	assert_int_equal(peer_input(&p, dgram, len, out, &out_len),
			 DTLS_LEGACY_ESTABLISHED);
	assert_int_equal(p.app_calls, 1);
	assert_memory_equal(p.app, data, sizeof(data));
	check_data_both_ways(&p);
	peer_destroy(&p);
}

/*
 * The OpenSSL 3.0 client does not resend a lost Finished, not even when
 * our flight arrives again. This is why application data completes the
 * handshake.
 */
static void
test_client_ignores_repeated_flight(void **state)
{
	uint8_t hello[TEST_BUF], dgram[TEST_BUF], out[TEST_BUF];
	size_t len, out_len;
	struct peer p;
	int n;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	peer_serve_hello(&p, hello, len);
	assert_true(peer_recv(&p, dgram, sizeof(dgram)) > 0);

	assert_int_equal(dtls_legacy_retransmit(p.server, out, &out_len,
						sizeof(out)), 0);
	assert_int_equal(out_len, DTLS_LEGACY_FLIGHT_LEN);
	peer_send(&p, out, out_len);
	n = SSL_read(p.ssl, dgram, sizeof(dgram));
	assert_int_equal(n, -1);
	assert_int_equal(SSL_get_error(p.ssl, n), SSL_ERROR_WANT_READ);
	assert_int_equal(peer_recv(&p, dgram, sizeof(dgram)), 0);
	peer_destroy(&p);
}

static void
test_tampered_finished_dropped(void **state)
{
	uint8_t hello[TEST_BUF], flight[TEST_BUF], bad[TEST_BUF];
	uint8_t out[TEST_BUF];
	struct dtls_legacy_stats stats;
	size_t len, out_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES256_SHA);
	len = peer_client_hello(&p, hello, sizeof(hello));
	peer_serve_hello(&p, hello, len);

	/*
	 * OpenSSL 3.0 sends CCS (16 bytes) and the sealed Finished (77 bytes)
	 * in one datagram.
	 */
	len = peer_recv_one(&p, flight, sizeof(flight));
	assert_int_equal(len, 16 + 77);
	assert_int_equal(peer_recv(&p, bad, sizeof(bad)), 0);

	memcpy(bad, flight, len);
	bad[len - 20] ^= 0x04;
	peer_expect_drop(&p, bad, len);
	assert_false(dtls_legacy_established(p.server));
	dtls_legacy_get_stats(p.server, &stats);
	assert_int_equal(stats.dropped_auth, 1);
	assert_int_equal(stats.records_accepted, 1);	/* the ClientHello */

	assert_int_equal(peer_input(&p, flight, len, out, &out_len),
			 DTLS_LEGACY_ESTABLISHED);
	peer_expect_drop(&p, flight, len);
	check_data_both_ways(&p);
	peer_destroy(&p);
}

/* A new handshake from the same client is reported without a reply. */
static void
test_fresh_hello_reported(void **state)
{
	uint8_t hello[TEST_BUF], out[TEST_BUF];
	size_t len, out_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);

	SSL_free(p.ssl);
	p.ssl = client_ssl_new(&p, p.session_id);
	len = peer_client_hello(&p, hello, sizeof(hello));
	assert_int_equal(peer_input(&p, hello, len, out, &out_len),
			 DTLS_LEGACY_CLIENT_HELLO);
	assert_int_equal(out_len, 0);
	assert_true(dtls_legacy_established(p.server));

	/* The caller's new association completes it. */
	dtls_legacy_free(p.server);
	p.server = dtls_legacy_new(p.master_secret, p.session_id, p.suite);
	assert_non_null(p.server);
	peer_serve_hello(&p, hello, len);
	assert_int_equal(peer_feed_all(&p), DTLS_LEGACY_ESTABLISHED);
	check_data_both_ways(&p);
	peer_destroy(&p);
}

static void
test_close_notify_closes(void **state)
{
	uint8_t data[8], out[TEST_BUF];
	size_t out_len;
	struct peer p;

	(void)state;
	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	peer_handshake(&p);
	assert_int_equal(SSL_shutdown(p.ssl), 0);
	assert_int_equal(peer_feed_all(&p), DTLS_LEGACY_CLOSED);
	assert_false(dtls_legacy_established(p.server));

	memset(data, 0, sizeof(data));
	assert_int_equal(dtls_legacy_encrypt(p.server, data, sizeof(data),
					     out, sizeof(out)), -ENOTCONN);
	assert_int_equal(dtls_legacy_retransmit(p.server, out, &out_len,
						sizeof(out)), -ENOTCONN);
	peer_destroy(&p);
}

static void
test_encrypt_limits(void **state)
{
	static uint8_t big[DTLS_LEGACY_PAYLOAD_MAX + 100];
	uint8_t out[TEST_BUF];
	size_t len, out_len;
	struct peer p;
	int n;

	(void)state;
	assert_int_equal(dtls_legacy_overhead(DTLS_LEGACY_AES128_SHA), 65);
	assert_int_equal(dtls_legacy_overhead(DTLS_LEGACY_AES256_SHA), 65);

	peer_init(&p, DTLS_LEGACY_AES128_SHA);
	assert_int_equal(dtls_legacy_encrypt(p.server, big, 10, out,
					     sizeof(out)), -ENOTCONN);
	assert_int_equal(dtls_legacy_retransmit(p.server, out, &out_len,
						sizeof(out)), -ENOTCONN);
	assert_int_equal(dtls_legacy_input(p.server, big, 100, out, &out_len,
			 DTLS_LEGACY_FLIGHT_LEN - 1, NULL, NULL), -EINVAL);
	peer_handshake(&p);

	/* 12 bytes need the full 16 bytes of padding: 12 + 20 + 16 = 48. */
	n = dtls_legacy_encrypt(p.server, big, 12, out, sizeof(out));
	assert_int_equal(n, 12 + 65);
	assert_int_equal(dtls_legacy_encrypt(p.server, big, 12, out, 12 + 64),
			 -EMSGSIZE);
	assert_int_equal(dtls_legacy_encrypt(p.server, big,
			 DTLS_LEGACY_PAYLOAD_MAX + 1, big, sizeof(big)),
			 -EMSGSIZE);
	len = DTLS_LEGACY_PAYLOAD_MAX;
	n = dtls_legacy_encrypt(p.server, big, len, big, sizeof(big));
	assert_true(n > 0 && (size_t)n <= len + 65);

	/* The payload may already sit where the record goes. */
	fill_pattern(out + 29, 50, 3);
	n = dtls_legacy_encrypt(p.server, out + 29, 50, out, sizeof(out));
	assert_true(n > 0);
	peer_send(&p, out, (size_t)n);
	n = SSL_read(p.ssl, big, sizeof(big));
	assert_int_equal(n, 50);
	fill_pattern(out, 50, 3);
	assert_memory_equal(big, out, 50);
	peer_destroy(&p);
}

static void
test_new_rejects_unknown_suite(void **state)
{
	uint8_t secret[DTLS_LEGACY_MASTER_SECRET_LEN] = { 0 };
	uint8_t id[DTLS_LEGACY_SESSION_ID_LEN] = { 0 };

	(void)state;
	errno = 0;
	assert_null(dtls_legacy_new(secret, id, (enum dtls_legacy_suite)0x0A));
	assert_int_equal(errno, EINVAL);
	dtls_legacy_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_aes128),
		cmocka_unit_test(test_handshake_aes256),
		cmocka_unit_test(test_flight_layout),
		cmocka_unit_test(test_tampered_record_dropped),
		cmocka_unit_test(test_padding_checked_with_valid_mac),
		cmocka_unit_test(test_replay_dropped),
		cmocka_unit_test(test_reordered_records_accepted),
		cmocka_unit_test(test_dropped_datagram_changes_nothing),
		cmocka_unit_test(test_hello_retransmit_same_flight),
		cmocka_unit_test(test_client_retransmission),
		cmocka_unit_test(test_wrong_session_id_dropped),
		cmocka_unit_test(test_suite_not_offered_dropped),
		cmocka_unit_test(test_truncated_and_garbage_dropped),
		cmocka_unit_test(test_odd_records_dropped),
		cmocka_unit_test(test_peek_client_hello),
		cmocka_unit_test(test_app_data_completes_handshake),
		cmocka_unit_test(test_client_ignores_repeated_flight),
		cmocka_unit_test(test_tampered_finished_dropped),
		cmocka_unit_test(test_fresh_hello_reported),
		cmocka_unit_test(test_close_notify_closes),
		cmocka_unit_test(test_encrypt_limits),
		cmocka_unit_test(test_new_rejects_unknown_suite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
