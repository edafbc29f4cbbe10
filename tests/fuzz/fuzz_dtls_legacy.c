/*
 * Fuzz the pre-standard DTLS server with one fresh association per
 * input. Random bytes alone never get past the MAC check, so the harness
 * can play the client: it sends a valid ClientHello, derives the client's
 * keys from the server's reply, and seals records whose plaintext comes
 * from the input. That reaches the padding, MAC, replay and state checks
 * of the established association.
 *
 * Input layout:
 *   byte 0     bit 0: AES256-SHA instead of AES128-SHA;
 *              bit 1: run the handshake before the chunks.
 *   then       chunks of [kind] [length, 2 bytes big-endian] [bytes].
 *   kind       bit 0 clear: the bytes are one raw datagram.
 *              bit 0 set, after the handshake: the bytes are the
 *              plaintext of one record that the harness seals. Bits 1-2
 *              pick the content type (application data, alert,
 *              handshake, change cipher spec) and bits 3-7 a distance n:
 *              the record uses sequence number next - n, so n > 0
 *              replays or reorders.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "dtls_legacy.h"
#include "fuzz.h"

#define FUZZ_DGRAM_MAX	(70 * 1024)
#define FUZZ_MAC_LEN	20
#define FUZZ_IV_LEN	16

/* Offset of the random in a ClientHello or ServerHello datagram. */
#define FUZZ_RANDOM_AT	(13 + 12 + 2)

static const uint8_t fuzz_master[DTLS_LEGACY_MASTER_SECRET_LEN] = {
	0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0x2d, 0x73, 0x65, 0x63, 0x72,
	0x65, 0x74, 0x2d, 0x66, 0x6f, 0x72, 0x2d, 0x66, 0x75, 0x7a, 0x7a,
	0x69, 0x6e, 0x67, 0x2d, 0x6f, 0x6e, 0x6c, 0x79, 0x2d, 0x6e, 0x6f,
	0x74, 0x2d, 0x61, 0x2d, 0x72, 0x65, 0x61, 0x6c, 0x2d, 0x6b, 0x65,
	0x79, 0x21, 0x21, 0x21,
};

/* The session id the seed corpus uses as well: bytes 0x00 to 0x1f. */
static uint8_t fuzz_session_id[DTLS_LEGACY_SESSION_ID_LEN];

struct fuzz_client {
	enum dtls_legacy_suite suite;
	uint8_t		mac_key[FUZZ_MAC_LEN];
	uint8_t		key[32];
	size_t		key_len;
	uint64_t	next_seq;
	bool		keyed;
};

/* What on_app saw during one dtls_legacy_input call. */
struct fuzz_app {
	size_t		calls;
	const uint8_t	*expected;	/* sealed plaintext, or NULL */
	size_t		expected_len;
};

static uint8_t fuzz_dgram[FUZZ_DGRAM_MAX];
static uint8_t fuzz_out[FUZZ_DGRAM_MAX];

static void
fuzz_on_app(void *arg, const uint8_t *data, size_t len)
{
	struct fuzz_app *app = arg;

	FUZZ_CHECK(len <= DTLS_LEGACY_PAYLOAD_MAX);
	if (app->expected != NULL) {
		FUZZ_CHECK(len == app->expected_len);
		FUZZ_CHECK(memcmp(data, app->expected, len) == 0);
	}
	app->calls++;
}

static void
fuzz_store48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (8 * (5 - i)));
}

/* A ClientHello for our session that offers both suites, no extensions. */
static size_t
fuzz_client_hello(uint8_t *p)
{
	static const uint8_t head[] = {
		22, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 88,
		1, 0, 0, 76, 0, 0, 0, 0, 0, 0, 0, 76,
		0x01, 0x00,
	};
	uint8_t *q = p;

	memcpy(q, head, sizeof(head));
	q += sizeof(head);
	memset(q, 0xa5, 32);			/* client random */
	q += 32;
	*q++ = DTLS_LEGACY_SESSION_ID_LEN;
	memcpy(q, fuzz_session_id, DTLS_LEGACY_SESSION_ID_LEN);
	q += DTLS_LEGACY_SESSION_ID_LEN;
	*q++ = 0;				/* no cookie */
	memcpy(q, "\x00\x04\x00\x35\x00\x2f\x01\x00", 8);
	q += 8;
	return ((size_t)(q - p));
}

/*
 * TLS 1.0 key expansion: PRF(master, "key expansion", server_random ||
 * client_random) gives the client MAC key, the server MAC key, the client
 * key and the server key, in that order.
 */
static void
fuzz_derive(struct fuzz_client *c, const uint8_t *hello,
    const uint8_t *flight)
{
	uint8_t seed[13 + 64], block[2 * FUZZ_MAC_LEN + 2 * 32];
	char digest[] = "MD5-SHA1";
	OSSL_PARAM params[4];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);

	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, flight + FUZZ_RANDOM_AT, 32);
	memcpy(seed + 45, hello + FUZZ_RANDOM_AT, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
	    (void *)fuzz_master, sizeof(fuzz_master));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
	    seed, sizeof(seed));
	params[3] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_KDF_derive(ctx, block, sizeof(block),
	    params) != 1)
		abort();
	memcpy(c->mac_key, block, FUZZ_MAC_LEN);
	memcpy(c->key, block + 2 * FUZZ_MAC_LEN, c->key_len);
	c->keyed = true;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

/*
 * Seal len bytes as the client would: HMAC-SHA1 over epoch, sequence
 * number, type, version, length and data; minimal TLS padding; AES-CBC
 * with an explicit IV. Returns the datagram length.
 */
static size_t
fuzz_seal(const struct fuzz_client *c, uint8_t type, uint64_t seq,
    const uint8_t *data, size_t len, uint8_t *out)
{
	static uint8_t mac_input[13 + FUZZ_DGRAM_MAX];
	uint8_t *iv = out + 13, *text = iv + FUZZ_IV_LEN;
	size_t pad = 16 - (len + FUZZ_MAC_LEN) % 16;
	size_t text_len = len + FUZZ_MAC_LEN + pad, mac_len;
	const EVP_CIPHER *cipher = c->key_len == 32 ? EVP_aes_256_cbc() :
	    EVP_aes_128_cbc();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	out[0] = type;
	memcpy(out + 1, "\x01\x00\x00\x01", 4);	/* version, epoch 1 */
	fuzz_store48(out + 5, seq);
	out[11] = (uint8_t)((FUZZ_IV_LEN + text_len) >> 8);
	out[12] = (uint8_t)(FUZZ_IV_LEN + text_len);

	memcpy(mac_input, out + 3, 8);
	memcpy(mac_input + 8, out, 3);
	mac_input[11] = (uint8_t)(len >> 8);
	mac_input[12] = (uint8_t)len;
	memcpy(mac_input + 13, data, len);
	memmove(text, data, len);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, c->mac_key,
	    FUZZ_MAC_LEN, mac_input, 13 + len, text + len, FUZZ_MAC_LEN,
	    &mac_len) == NULL)
		abort();
	memset(text + len + FUZZ_MAC_LEN, (int)(pad - 1), pad);
	memset(iv, 0x3c, FUZZ_IV_LEN);
	if (ctx == NULL ||
	    EVP_EncryptInit_ex2(ctx, cipher, c->key, iv, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_EncryptUpdate(ctx, text, &n, text, (int)text_len) != 1)
		abort();
	EVP_CIPHER_CTX_free(ctx);
	return (13 + FUZZ_IV_LEN + text_len);
}

/* Feed one datagram and check the results the header promises. */
static int
fuzz_input(struct dtls_legacy *d, const uint8_t *dgram, size_t len,
    struct fuzz_app *app)
{
	size_t out_len = 12345;
	int rc;

	rc = dtls_legacy_input(d, dgram, len, fuzz_out, &out_len,
	    sizeof(fuzz_out), fuzz_on_app, app);
	FUZZ_CHECK(rc == DTLS_LEGACY_OK || rc == DTLS_LEGACY_ESTABLISHED ||
	    rc == DTLS_LEGACY_CLIENT_HELLO || rc == DTLS_LEGACY_CLOSED ||
	    rc == -EBADMSG || rc == -ENOMEM);
	FUZZ_CHECK(out_len == 0 || out_len == DTLS_LEGACY_FLIGHT_LEN);
	if (rc < 0)
		FUZZ_CHECK(out_len == 0 && app->calls == 0);
	return (rc);
}

static void
fuzz_handshake(struct dtls_legacy *d, struct fuzz_client *c)
{
	struct fuzz_app app = { 0 };
	uint8_t hello[128];
	size_t len = fuzz_client_hello(hello);

	FUZZ_CHECK(fuzz_input(d, hello, len, &app) == DTLS_LEGACY_OK);
	fuzz_derive(c, hello, fuzz_out);
}

/* Seal a chunk as a record of the type and sequence number kind picks. */
static void
fuzz_sealed_chunk(struct dtls_legacy *d, struct fuzz_client *c,
    uint8_t kind, const uint8_t *data, size_t len)
{
	static const uint8_t types[] = { 23, 21, 22, 20 };
	uint8_t type = types[(kind >> 1) & 3];
	uint64_t back = kind >> 3, seq;
	struct fuzz_app app = { 0 };
	size_t dgram_len;
	int rc;

	if (len > DTLS_LEGACY_PAYLOAD_MAX)
		return;
	seq = back <= c->next_seq ? c->next_seq - back : 0;
	if (back == 0)
		c->next_seq++;
	dgram_len = fuzz_seal(c, type, seq, data, len, fuzz_dgram);
	if (type == 23) {
		app.expected = data;
		app.expected_len = len;
	}
	rc = fuzz_input(d, fuzz_dgram, dgram_len, &app);
	if (type == 23 && rc >= 0)
		FUZZ_CHECK(app.calls == 1);
}

/* Exercise the sending side once the input has been fed. */
static void
fuzz_check_sending(struct dtls_legacy *d, enum dtls_legacy_suite suite)
{
	struct dtls_legacy_stats stats;
	uint8_t payload[100];
	size_t out_len;
	int rc;

	rc = dtls_legacy_retransmit(d, fuzz_out, &out_len, sizeof(fuzz_out));
	FUZZ_CHECK(rc == 0 || rc == -ENOTCONN || rc == -ETIMEDOUT);
	memset(payload, 0x42, sizeof(payload));
	rc = dtls_legacy_encrypt(d, payload, sizeof(payload), fuzz_out,
	    sizeof(fuzz_out));
	if (dtls_legacy_established(d))
		FUZZ_CHECK(rc > 0 && (size_t)rc <= sizeof(payload) +
		    dtls_legacy_overhead(suite));
	else
		FUZZ_CHECK(rc == -ENOTCONN);
	dtls_legacy_get_stats(d, &stats);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_client client = { 0 };
	struct dtls_legacy *d;
	size_t len;
	uint8_t kind;

	if (size < 1)
		return (0);
	for (size_t i = 0; i < sizeof(fuzz_session_id); i++)
		fuzz_session_id[i] = (uint8_t)i;
	client.suite = data[0] & 1 ? DTLS_LEGACY_AES256_SHA :
	    DTLS_LEGACY_AES128_SHA;
	client.key_len = data[0] & 1 ? 32 : 16;
	if ((d = dtls_legacy_new(fuzz_master, fuzz_session_id,
	    client.suite)) == NULL)
		return (0);
	if (data[0] & 2)
		fuzz_handshake(d, &client);
	data++;
	size--;

	while (size >= 3) {
		kind = data[0];
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if ((kind & 1) && client.keyed) {
			fuzz_sealed_chunk(d, &client, kind, data, len);
		} else {
			struct fuzz_app app = { 0 };

			fuzz_input(d, data, len, &app);
		}
		data += len;
		size -= len;
	}
	fuzz_check_sending(d, client.suite);
	dtls_legacy_free(d);
	return (0);
}
