#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "dtls_wire.h"

static const uint8_t test_id[32] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

/*
 * The first datagram of an OpenSSL DTLS client that resumes a session
 * with id test_id, as openconnect's OpenSSL build and phones do.
 */
static size_t
openssl_client_hello(int version, uint8_t *out, size_t size)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	SSL_SESSION *ss = SSL_SESSION_new();
	uint8_t master[48] = { 0 };
	BIO *rbio, *wbio;
	SSL *ssl;
	int n;

	assert_non_null(ctx);
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	SSL_CTX_set_cipher_list(ctx, "AES128-SHA");
	if (version == DTLS1_BAD_VER)
		SSL_CTX_set_options(ctx, SSL_OP_CISCO_ANYCONNECT);
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	SSL_SESSION_set_protocol_version(ss, version);
	SSL_SESSION_set1_master_key(ss, master, sizeof(master));
	SSL_SESSION_set1_id(ss, test_id, sizeof(test_id));
	SSL_SESSION_set_cipher(ss, sk_SSL_CIPHER_value(SSL_get_ciphers(ssl),
	    0));
	SSL_SESSION_set_time(ss, time(NULL));
	SSL_SESSION_set_timeout(ss, 60);
	assert_int_equal(SSL_set_session(ssl, ss), 1);
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_connect_state(ssl);
	SSL_do_handshake(ssl);
	n = BIO_read(wbio, out, (int)size);
	assert_true(n > 0);
	SSL_SESSION_free(ss);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return ((size_t)n);
}

/* A minimal ClientHello with the given session id and extensions. */
static size_t
crafted_hello(uint16_t version, const uint8_t *id, size_t id_len,
    const uint8_t *ext, size_t ext_len, uint8_t *out)
{
	uint8_t body[512];
	size_t b = 0, msg;

	body[b++] = 0xfe;
	body[b++] = 0xfd;
	memset(body + b, 0xab, 32);	/* random */
	b += 32;
	body[b++] = (uint8_t)id_len;
	if (id_len > 0)
		memcpy(body + b, id, id_len);
	b += id_len;
	body[b++] = 0;			/* empty cookie */
	body[b++] = 0;
	body[b++] = 2;
	body[b++] = 0x00;
	body[b++] = 0x2f;		/* AES128-SHA */
	body[b++] = 1;
	body[b++] = 0;			/* null compression */
	if (ext != NULL) {
		body[b++] = (uint8_t)(ext_len >> 8);
		body[b++] = (uint8_t)ext_len;
		memcpy(body + b, ext, ext_len);
		b += ext_len;
	}
	msg = 12 + b;
	memset(out, 0, 13 + 12);
	out[0] = 22;
	out[1] = (uint8_t)(version >> 8);
	out[2] = (uint8_t)version;
	out[11] = (uint8_t)(msg >> 8);
	out[12] = (uint8_t)msg;
	out[13] = 1;			/* ClientHello */
	out[14 + 1] = (uint8_t)(b >> 8);
	out[14 + 2] = (uint8_t)b;
	out[22 + 1] = (uint8_t)(b >> 8);	/* fragment length */
	out[22 + 2] = (uint8_t)b;
	memcpy(out + 25, body, b);
	return (25 + b);
}

static void
test_openssl_dtls12_hello(void **state)
{
	struct dtls_wire_hello h;
	uint8_t dgram[2048];
	const uint8_t *id;
	size_t len, id_len;

	(void)state;
	len = openssl_client_hello(DTLS1_2_VERSION, dgram, sizeof(dgram));
	assert_true(dtls_wire_peek_hello(dgram, len, &h));
	assert_true(h.version == DTLS_WIRE_VERSION_1_0 ||
	    h.version == DTLS_WIRE_VERSION_1_2);
	assert_int_equal(h.session_id_len, 32);
	assert_memory_equal(h.session_id, test_id, 32);
	assert_int_equal(h.app_id_len, 0);
	assert_true(dtls_wire_hello_id(&h, &id, &id_len));
	assert_int_equal(id_len, 32);
	assert_memory_equal(id, test_id, 32);
}

static void
test_openssl_legacy_hello(void **state)
{
	struct dtls_wire_hello h;
	uint8_t dgram[2048];
	size_t len;

	(void)state;
	len = openssl_client_hello(DTLS1_BAD_VER, dgram, sizeof(dgram));
	assert_true(dtls_wire_peek_hello(dgram, len, &h));
	assert_int_equal(h.version, DTLS_WIRE_VERSION_LEGACY);
	assert_int_equal(h.session_id_len, 32);
	assert_memory_equal(h.session_id, test_id, 32);
}

static void
test_session_id_offset(void **state)
{
	struct dtls_wire_hello h;
	uint8_t dgram[512];
	size_t len;

	(void)state;
	len = crafted_hello(DTLS_WIRE_VERSION_1_2, test_id, 32, NULL, 0, dgram);
	assert_int_equal(dgram[59], 32);
	assert_memory_equal(dgram + 60, test_id, 32);
	assert_true(dtls_wire_peek_hello(dgram, len, &h));
	assert_memory_equal(h.session_id, test_id, 32);
}

static void
test_app_id_extension(void **state)
{
	uint8_t ext[64], dgram[512];
	struct dtls_wire_hello h;
	const uint8_t *id;
	size_t len, id_len;

	(void)state;
	ext[0] = DTLS_WIRE_EXT_APP_ID >> 8;
	ext[1] = DTLS_WIRE_EXT_APP_ID & 0xff;
	ext[2] = 0;
	ext[3] = 33;
	ext[4] = 32;
	memcpy(ext + 5, test_id, 32);
	len = crafted_hello(DTLS_WIRE_VERSION_1_0, NULL, 0, ext, 37, dgram);
	assert_true(dtls_wire_peek_hello(dgram, len, &h));
	assert_int_equal(h.session_id_len, 0);
	assert_int_equal(h.app_id_len, 32);
	assert_true(dtls_wire_hello_id(&h, &id, &id_len));
	assert_memory_equal(id, test_id, 32);
}

static void
test_truncated_hello(void **state)
{
	struct dtls_wire_hello h;
	uint8_t dgram[512];
	size_t len, cut;

	(void)state;
	len = crafted_hello(DTLS_WIRE_VERSION_1_2, test_id, 32, NULL, 0, dgram);
	for (cut = 0; cut < 92; cut++)
		assert_false(dtls_wire_peek_hello(dgram, cut, &h));

	/* The fragment is shorter than the record claims. */
	assert_false(dtls_wire_peek_hello(dgram, len - 1, &h));
}

static void
test_rejected_hellos(void **state)
{
	struct dtls_wire_hello h;
	uint8_t dgram[512], bad[512];
	size_t len;

	(void)state;
	len = crafted_hello(DTLS_WIRE_VERSION_1_2, test_id, 32, NULL, 0, dgram);

	memcpy(bad, dgram, len);
	bad[0] = 23;			/* application data */
	assert_false(dtls_wire_peek_hello(bad, len, &h));
	memcpy(bad, dgram, len);
	bad[4] = 1;			/* epoch 1 */
	assert_false(dtls_wire_peek_hello(bad, len, &h));
	memcpy(bad, dgram, len);
	bad[1] = 3;
	bad[2] = 3;			/* TLS 1.2, not DTLS */
	assert_false(dtls_wire_peek_hello(bad, len, &h));
	memcpy(bad, dgram, len);
	bad[13] = 2;			/* ServerHello */
	assert_false(dtls_wire_peek_hello(bad, len, &h));
	memcpy(bad, dgram, len);
	bad[19 + 2] = 1;		/* fragment offset 1 */
	assert_false(dtls_wire_peek_hello(bad, len, &h));
	memcpy(bad, dgram, len);
	bad[59] = 33;			/* id longer than 32 */
	assert_false(dtls_wire_peek_hello(bad, len, &h));
}

static void
test_empty_id(void **state)
{
	struct dtls_wire_hello h;
	uint8_t dgram[512];
	const uint8_t *id;
	size_t len, id_len;

	(void)state;
	len = crafted_hello(DTLS_WIRE_VERSION_1_2, NULL, 0, NULL, 0, dgram);
	assert_true(dtls_wire_peek_hello(dgram, len, &h));
	assert_false(dtls_wire_hello_id(&h, &id, &id_len));
}

static void
test_record_peek(void **state)
{
	static const uint8_t rec[13] = { 23, 0xfe, 0xfd, 0x00, 0x01 };
	struct dtls_wire_record r;

	(void)state;
	assert_true(dtls_wire_peek_record(rec, sizeof(rec), &r));
	assert_int_equal(r.type, 23);
	assert_int_equal(r.version, DTLS_WIRE_VERSION_1_2);
	assert_int_equal(r.epoch, 1);
	assert_false(dtls_wire_peek_record(rec, 12, &r));
	assert_true(dtls_wire_version_known(0x0100));
	assert_false(dtls_wire_version_known(0x0303));
}

/* Write a DTLS 1.2 record header with epoch and body length at p. */
static size_t
record_header(uint8_t *p, uint16_t epoch, uint16_t body)
{
	static const uint8_t head[11] = { 23, 0xfe, 0xfd };

	memcpy(p, head, sizeof(head));
	p[3] = (uint8_t)(epoch >> 8);
	p[4] = (uint8_t)epoch;
	p[11] = (uint8_t)(body >> 8);
	p[12] = (uint8_t)body;
	return (13);
}

/* An AES-GCM record needs 24 bytes: a shorter one never reaches libssl. */
static void
test_records_fit(void **state)
{
	uint8_t d[256] = { 0 };
	size_t n;

	(void)state;
	n = record_header(d, 1, 24);
	assert_true(dtls_wire_records_fit(d, n + 24, 24));
	n = record_header(d, 1, 23);
	assert_false(dtls_wire_records_fit(d, n + 23, 24));
	assert_true(dtls_wire_records_fit(d, n + 23, 23));

	/* Epoch 0 is not protected, so any length passes. */
	n = record_header(d, 0, 1);
	assert_true(dtls_wire_records_fit(d, n + 1, 24));

	/* A short record after a good one fails the datagram. */
	n = record_header(d, 1, 30);
	n += 30;
	n += record_header(d + n, 1, 12);
	assert_false(dtls_wire_records_fit(d, n + 12, 24));

	/* A header or body cut short ends the walk: libssl drops it. */
	n = record_header(d, 1, 30);
	assert_true(dtls_wire_records_fit(d, n + 10, 24));
	assert_true(dtls_wire_records_fit(d, 12, 24));
	assert_true(dtls_wire_records_fit(d, 0, 24));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssl_dtls12_hello),
		cmocka_unit_test(test_openssl_legacy_hello),
		cmocka_unit_test(test_session_id_offset),
		cmocka_unit_test(test_app_id_extension),
		cmocka_unit_test(test_truncated_hello),
		cmocka_unit_test(test_rejected_hellos),
		cmocka_unit_test(test_empty_id),
		cmocka_unit_test(test_record_peek),
		cmocka_unit_test(test_records_fit),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
