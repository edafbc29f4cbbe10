/*
 * Resumption-only server for Cisco's pre-standard DTLS (version 0x0100).
 *
 * The dialect is TLS 1.0 cryptography (MD5-SHA1 PRF, HMAC-SHA1, AES-CBC
 * with an explicit IV per record) inside DTLS framing, with two quirks
 * that differ from RFC 4347 and that clients depend on:
 *   - the Finished hash covers handshake message bodies only, without the
 *     12-byte DTLS handshake header;
 *   - ChangeCipherSpec is 3 bytes (the value 1, then a 2-byte handshake
 *     sequence number) and consumes a handshake message_seq, so the
 *     server Finished has message_seq 2.
 *
 * Each input datagram is handled in two passes, so a dropped datagram
 * leaves the association untouched. The first pass parses, decrypts and
 * checks every record without changing state. The second pass updates the
 * replay window and the state and delivers the application data.
 */
#include "dtls_legacy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/prov_ssl.h>
#include <openssl/rand.h>

#define DTLS_LEGACY_MAC_LEN		20	/* HMAC-SHA1 */
#define DTLS_LEGACY_IV_LEN		16	/* AES block */
#define DTLS_LEGACY_RANDOM_LEN		32
#define DTLS_LEGACY_VERIFY_LEN		12
#define DTLS_LEGACY_HASH_LEN		36	/* MD5 and SHA-1 */
#define DTLS_LEGACY_HS_HEADER_LEN	12
#define DTLS_LEGACY_KEY_MAX		32
#define DTLS_LEGACY_REPLAY_WINDOW	64

/* Largest record body that TLS allows: plaintext limit plus 2048. */
#define DTLS_LEGACY_RECORD_BODY_MAX	(16384 + 2048)

/* Largest UDP payload, so longer input cannot be a datagram. */
#define DTLS_LEGACY_DATAGRAM_MAX	65535

/*
 * Max records per datagram. NOTE: a guess with headroom, because the
 * OpenSSL 3.0 client sends at most two and other clients are untested.
 */
#define DTLS_LEGACY_RECORDS_MAX		16

#define DTLS_LEGACY_SEQ_MAX		((UINT64_C(1) << 48) - 1)

/* Smallest sealed record body: IV plus two blocks holding MAC and pad. */
#define DTLS_LEGACY_SEALED_MIN		(DTLS_LEGACY_IV_LEN + 32)

enum {
	DTLS_LEGACY_CHANGE_CIPHER_SPEC = 20,
	DTLS_LEGACY_ALERT = 21,
	DTLS_LEGACY_HANDSHAKE = 22,
	DTLS_LEGACY_APPLICATION_DATA = 23,
};

enum {
	DTLS_LEGACY_CLIENT_HELLO_MSG = 1,
	DTLS_LEGACY_SERVER_HELLO_MSG = 2,
	DTLS_LEGACY_FINISHED_MSG = 20,
};

/* ServerHello body: version, random, session id, suite, compression. */
#define DTLS_LEGACY_SERVER_HELLO_LEN \
	(2 + DTLS_LEGACY_RANDOM_LEN + 1 + DTLS_LEGACY_SESSION_ID_LEN + 2 + 1)

#define DTLS_LEGACY_FINISHED_LEN \
	(DTLS_LEGACY_HS_HEADER_LEN + DTLS_LEGACY_VERIFY_LEN)

/* Finished plus MAC is 44 bytes, padded to 48, behind the IV. */
#define DTLS_LEGACY_SEALED_FINISHED_LEN	(DTLS_LEGACY_IV_LEN + 48)

_Static_assert(DTLS_LEGACY_FLIGHT_LEN ==
	       DTLS_LEGACY_RECORD_HEADER_LEN + DTLS_LEGACY_HS_HEADER_LEN +
	       DTLS_LEGACY_SERVER_HELLO_LEN +
	       DTLS_LEGACY_RECORD_HEADER_LEN + 3 +
	       DTLS_LEGACY_RECORD_HEADER_LEN + DTLS_LEGACY_SEALED_FINISHED_LEN,
	       "DTLS_LEGACY_FLIGHT_LEN does not match the flight layout");

enum dtls_legacy_state {
	DTLS_LEGACY_WAIT_HELLO,		/* no ClientHello answered yet */
	DTLS_LEGACY_WAIT_FINISHED,	/* flight sent, keys installed */
	DTLS_LEGACY_UP,
	DTLS_LEGACY_DOWN,		/* the client closed or failed */
};

struct dtls_legacy {
	enum dtls_legacy_suite suite;
	enum dtls_legacy_state state;
	uint8_t		master_secret[DTLS_LEGACY_MASTER_SECRET_LEN];
	uint8_t		session_id[DTLS_LEGACY_SESSION_ID_LEN];

	uint8_t		*hello;		/* ClientHello body we replied to */
	size_t		hello_len;
	uint8_t		flight[DTLS_LEGACY_FLIGHT_LEN];
	unsigned int	flight_sends;
	uint8_t		client_verify[DTLS_LEGACY_VERIFY_LEN];

	EVP_CIPHER_CTX	*decrypt;	/* client write key, TLS mode */
	EVP_CIPHER_CTX	*encrypt;	/* server write key */
	EVP_MAC_CTX	*mac_in;	/* client write MAC key */
	EVP_MAC_CTX	*mac_out;	/* server write MAC key */
	EVP_MD_CTX	*dummy;		/* SHA-1 for the skipped blocks */

	uint64_t	write_seq;	/* next epoch-1 sequence number */
	uint64_t	replay_top;	/* highest accepted sequence */
	uint64_t	replay_bitmap;	/* bit i: replay_top - i seen */

	uint8_t		*scratch;	/* datagram copy, decrypted */
	size_t		scratch_size;
	struct dtls_legacy_stats stats;
};

/* One record of a datagram. data points into the scratch copy. */
struct dtls_legacy_record {
	uint8_t		type;
	uint16_t	epoch;
	uint64_t	seq;
	uint8_t		*data;	/* after pass one: the plaintext */
	size_t		len;
};

/* Bounds-checked reader over a handshake message body. */
struct dtls_legacy_cursor {
	const uint8_t	*p;
	size_t		left;
};

static uint16_t
dtls_legacy_load16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
dtls_legacy_load24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint64_t
dtls_legacy_load48(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

static uint8_t *
dtls_legacy_store16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
dtls_legacy_store24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
	return p + 3;
}

static uint8_t *
dtls_legacy_store48(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return p + 6;
}

static uint8_t *
dtls_legacy_put_record_header(uint8_t *p, uint8_t type, uint16_t epoch,
			      uint64_t seq, size_t len)
{
	*p++ = type;
	p = dtls_legacy_store16(p, DTLS_LEGACY_VERSION);
	p = dtls_legacy_store16(p, epoch);
	p = dtls_legacy_store48(p, seq);
	return dtls_legacy_store16(p, (uint16_t)len);
}

/* Write an unfragmented handshake header (offset 0, fragment = length). */
static uint8_t *
dtls_legacy_put_handshake_header(uint8_t *p, uint8_t msg_type,
				 uint32_t len, uint16_t message_seq)
{
	*p++ = msg_type;
	p = dtls_legacy_store24(p, len);
	p = dtls_legacy_store16(p, message_seq);
	p = dtls_legacy_store24(p, 0);
	return dtls_legacy_store24(p, len);
}

static const uint8_t *
dtls_legacy_take(struct dtls_legacy_cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return NULL;

	c->p += n;
	c->left -= n;
	return p;
}

static size_t
dtls_legacy_key_len(enum dtls_legacy_suite suite)
{
	return suite == DTLS_LEGACY_AES256_SHA ? 32 : 16;
}

static int
dtls_legacy_drop(uint64_t *counter)
{
	(*counter)++;
	return -EBADMSG;
}

/* ---- association lifetime ---- */

static int
dtls_legacy_alloc_contexts(struct dtls_legacy *d)
{
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MD *sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	int ret = -ENOMEM;

	d->decrypt = EVP_CIPHER_CTX_new();
	d->encrypt = EVP_CIPHER_CTX_new();
	d->dummy = EVP_MD_CTX_new();
	if (hmac != NULL) {
		d->mac_in = EVP_MAC_CTX_new(hmac);
		d->mac_out = EVP_MAC_CTX_new(hmac);
	}

	if (d->decrypt != NULL && d->encrypt != NULL && d->dummy != NULL &&
	    d->mac_in != NULL && d->mac_out != NULL && sha1 != NULL &&
	    EVP_DigestInit_ex(d->dummy, sha1, NULL))
		ret = 0;

	EVP_MAC_free(hmac);
	EVP_MD_free(sha1);
	return ret;
}

struct dtls_legacy *
dtls_legacy_new(const uint8_t master_secret[DTLS_LEGACY_MASTER_SECRET_LEN],
		const uint8_t session_id[DTLS_LEGACY_SESSION_ID_LEN],
		enum dtls_legacy_suite suite)
{
	struct dtls_legacy *d;

	if (suite != DTLS_LEGACY_AES128_SHA &&
	    suite != DTLS_LEGACY_AES256_SHA) {
		errno = EINVAL;
		return NULL;
	}

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;

	d->suite = suite;
	d->state = DTLS_LEGACY_WAIT_HELLO;
	memcpy(d->master_secret, master_secret, sizeof(d->master_secret));
	memcpy(d->session_id, session_id, sizeof(d->session_id));

	if (dtls_legacy_alloc_contexts(d) < 0) {
		dtls_legacy_free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

void
dtls_legacy_free(struct dtls_legacy *d)
{
	if (d == NULL)
		return;

	/* The EVP frees cleanse the key schedules and HMAC keys. */
	EVP_CIPHER_CTX_free(d->decrypt);
	EVP_CIPHER_CTX_free(d->encrypt);
	EVP_MAC_CTX_free(d->mac_in);
	EVP_MAC_CTX_free(d->mac_out);
	EVP_MD_CTX_free(d->dummy);
	OPENSSL_clear_free(d->hello, d->hello_len);
	OPENSSL_clear_free(d->scratch, d->scratch_size);

	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

/* ---- peeking for the dispatcher ---- */

bool
dtls_legacy_peek_client_hello(const uint8_t *dgram, size_t len,
			      uint8_t session_id[DTLS_LEGACY_SESSION_ID_LEN])
{
	/*
	 * Record header 13, handshake header 12, client_version 2 and
	 * random 32 put the session id length at offset 59.
	 */
	const size_t id_len_at = 59;
	const size_t end = id_len_at + 1 + DTLS_LEGACY_SESSION_ID_LEN;
	size_t record_len;

	if (len < end)
		return false;

	record_len = dtls_legacy_load16(dgram + 11);
	if (dgram[0] != DTLS_LEGACY_HANDSHAKE ||
	    dtls_legacy_load16(dgram + 1) != DTLS_LEGACY_VERSION ||
	    dtls_legacy_load16(dgram + 3) != 0 ||
	    record_len < end - DTLS_LEGACY_RECORD_HEADER_LEN ||
	    record_len > len - DTLS_LEGACY_RECORD_HEADER_LEN)
		return false;

	if (dgram[13] != DTLS_LEGACY_CLIENT_HELLO_MSG ||
	    dtls_legacy_load16(dgram + 25) != DTLS_LEGACY_VERSION ||
	    dgram[id_len_at] != DTLS_LEGACY_SESSION_ID_LEN)
		return false;

	memcpy(session_id, dgram + id_len_at + 1, DTLS_LEGACY_SESSION_ID_LEN);
	return true;
}

int
dtls_legacy_peek_record(const uint8_t *dgram, size_t len, uint8_t *type,
			uint16_t *version, uint16_t *epoch)
{
	if (len < DTLS_LEGACY_RECORD_HEADER_LEN)
		return -EBADMSG;

	*type = dgram[0];
	*version = dtls_legacy_load16(dgram + 1);
	*epoch = dtls_legacy_load16(dgram + 3);
	return 0;
}

/* ---- key derivation ---- */

/*
 * Compute the TLS 1.0 PRF (P_MD5 xor P_SHA1 over the two halves of the
 * master secret) of label || seed.
 */
static int
dtls_legacy_prf(struct dtls_legacy *d, const char *label,
		const uint8_t *seed, size_t seed_len, uint8_t *out,
		size_t out_len)
{
	char digest[] = "MD5-SHA1";
	uint8_t label_seed[32 + 2 * DTLS_LEGACY_RANDOM_LEN];
	size_t label_len = strlen(label);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM params[4];
	int ret = -EIO;

	memcpy(label_seed, label, label_len);
	memcpy(label_seed + label_len, seed, seed_len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
		d->master_secret, sizeof(d->master_secret));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
		label_seed, label_len + seed_len);
	params[3] = OSSL_PARAM_construct_end();

	if (ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1)
		ret = 0;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

static int
dtls_legacy_init_mac(EVP_MAC_CTX *ctx, const uint8_t *key)
{
	char digest[] = "SHA1";
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, DTLS_LEGACY_MAC_LEN, params))
		return -EIO;
	return 0;
}

/*
 * Key the decryption context in the provider's TLS mode: each update
 * call is then one record, and the provider strips the explicit IV,
 * checks the padding and extracts the MAC in constant time. With bad
 * padding it returns a random MAC, so the MAC comparison fails without
 * a separate padding branch.
 */
static int
dtls_legacy_init_decrypt(struct dtls_legacy *d, const EVP_CIPHER *cipher,
			 const uint8_t *key)
{
	static const uint8_t zero_iv[DTLS_LEGACY_IV_LEN];
	unsigned int version = DTLS1_BAD_VER;
	size_t mac_size = DTLS_LEGACY_MAC_LEN;
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_uint(OSSL_CIPHER_PARAM_TLS_VERSION,
					      &version);
	params[1] = OSSL_PARAM_construct_size_t(
		OSSL_CIPHER_PARAM_TLS_MAC_SIZE, &mac_size);
	params[2] = OSSL_PARAM_construct_end();

	if (!EVP_DecryptInit_ex2(d->decrypt, cipher, key, zero_iv, NULL) ||
	    !EVP_CIPHER_CTX_set_params(d->decrypt, params))
		return -EIO;
	return 0;
}

static int
dtls_legacy_install_keys(struct dtls_legacy *d, const uint8_t *block)
{
	size_t key_len = dtls_legacy_key_len(d->suite);
	const uint8_t *server_mac_key = block + DTLS_LEGACY_MAC_LEN;
	const uint8_t *client_key = block + 2 * DTLS_LEGACY_MAC_LEN;
	const uint8_t *server_key = client_key + key_len;
	const char *name = key_len == 32 ? "AES-256-CBC" : "AES-128-CBC";
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	int ret = -EIO;

	if (cipher == NULL)
		return -EIO;

	if (dtls_legacy_init_mac(d->mac_in, block) == 0 &&
	    dtls_legacy_init_mac(d->mac_out, server_mac_key) == 0 &&
	    dtls_legacy_init_decrypt(d, cipher, client_key) == 0 &&
	    EVP_EncryptInit_ex2(d->encrypt, cipher, server_key, NULL, NULL) &&
	    EVP_CIPHER_CTX_set_padding(d->encrypt, 0))
		ret = 0;

	EVP_CIPHER_free(cipher);
	return ret;
}

/*
 * Derive the key block from server_random || client_random. Its layout
 * is client MAC key, server MAC key, client key, server key. The IVs that
 * follow in TLS 1.0 are unused because every record carries its own IV.
 */
static int
dtls_legacy_derive_keys(struct dtls_legacy *d, const uint8_t *client_random,
			const uint8_t *server_random)
{
	uint8_t seed[2 * DTLS_LEGACY_RANDOM_LEN];
	uint8_t block[2 * DTLS_LEGACY_MAC_LEN + 2 * DTLS_LEGACY_KEY_MAX];
	size_t block_len = 2 * DTLS_LEGACY_MAC_LEN +
			   2 * dtls_legacy_key_len(d->suite);
	int ret;

	memcpy(seed, server_random, DTLS_LEGACY_RANDOM_LEN);
	memcpy(seed + DTLS_LEGACY_RANDOM_LEN, client_random,
	       DTLS_LEGACY_RANDOM_LEN);

	ret = dtls_legacy_prf(d, "key expansion", seed, sizeof(seed), block,
			      block_len);
	if (ret == 0)
		ret = dtls_legacy_install_keys(d, block);

	OPENSSL_cleanse(block, sizeof(block));
	return ret;
}

/* Hash the handshake bodies with MD5 || SHA-1, without DTLS headers. */
static int
dtls_legacy_transcript(const uint8_t *hello, size_t hello_len,
		       const uint8_t *server_hello, const uint8_t *finished,
		       uint8_t hash[DTLS_LEGACY_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5_sha1(), NULL) &&
	     EVP_DigestUpdate(ctx, hello, hello_len) &&
	     EVP_DigestUpdate(ctx, server_hello,
			      DTLS_LEGACY_SERVER_HELLO_LEN);
	if (ok && finished != NULL)
		ok = EVP_DigestUpdate(ctx, finished, DTLS_LEGACY_VERIFY_LEN);
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, hash, NULL);

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/*
 * Compute our Finished verify_data over (ClientHello, ServerHello) and the
 * one the client must send over (ClientHello, ServerHello, our Finished).
 */
static int
dtls_legacy_verify_data(struct dtls_legacy *d, const uint8_t *hello,
			size_t hello_len, const uint8_t *server_hello,
			uint8_t server_verify[DTLS_LEGACY_VERIFY_LEN])
{
	uint8_t hash[DTLS_LEGACY_HASH_LEN];
	int ret;

	ret = dtls_legacy_transcript(hello, hello_len, server_hello, NULL,
				     hash);
	if (ret == 0)
		ret = dtls_legacy_prf(d, "server finished", hash, sizeof(hash),
				      server_verify, DTLS_LEGACY_VERIFY_LEN);
	if (ret == 0)
		ret = dtls_legacy_transcript(hello, hello_len, server_hello,
					     server_verify, hash);
	if (ret == 0)
		ret = dtls_legacy_prf(d, "client finished", hash, sizeof(hash),
				      d->client_verify, DTLS_LEGACY_VERIFY_LEN);
	return ret;
}

/* ---- record protection ---- */

static int
dtls_legacy_record_mac(EVP_MAC_CTX *ctx, uint16_t epoch, uint64_t seq,
		       uint8_t type, const uint8_t *data, size_t len,
		       uint8_t mac[DTLS_LEGACY_MAC_LEN])
{
	uint8_t header[DTLS_LEGACY_RECORD_HEADER_LEN];
	uint8_t *p = header;
	size_t mac_len;

	p = dtls_legacy_store16(p, epoch);
	p = dtls_legacy_store48(p, seq);
	*p++ = type;
	p = dtls_legacy_store16(p, DTLS_LEGACY_VERSION);
	dtls_legacy_store16(p, (uint16_t)len);

	/* A NULL key restarts the MAC with the key given at install time. */
	if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx, header, sizeof(header)) ||
	    !EVP_MAC_update(ctx, data, len) ||
	    !EVP_MAC_final(ctx, mac, &mac_len, DTLS_LEGACY_MAC_LEN))
		return -EIO;
	return 0;
}

/*
 * Encrypt one record with epoch 1 into out: header, random IV, then
 * AES-CBC over plaintext, MAC and TLS padding (n + 1 bytes of value n).
 * plain may overlap out. Returns the record length or -errno.
 */
static int
dtls_legacy_seal(struct dtls_legacy *d, uint8_t type, uint64_t seq,
		 const uint8_t *plain, size_t len, uint8_t *out,
		 size_t out_size)
{
	size_t pad = 16 - (len + DTLS_LEGACY_MAC_LEN) % 16;
	size_t text_len = len + DTLS_LEGACY_MAC_LEN + pad;
	size_t total = DTLS_LEGACY_RECORD_HEADER_LEN + DTLS_LEGACY_IV_LEN +
		       text_len;
	uint8_t *iv = out + DTLS_LEGACY_RECORD_HEADER_LEN;
	uint8_t *text = iv + DTLS_LEGACY_IV_LEN;
	int out_len;

	if (total > out_size)
		return -EMSGSIZE;

	memmove(text, plain, len);
	dtls_legacy_put_record_header(out, type, 1, seq,
				      DTLS_LEGACY_IV_LEN + text_len);
	if (RAND_bytes(iv, DTLS_LEGACY_IV_LEN) != 1 ||
	    dtls_legacy_record_mac(d->mac_out, 1, seq, type, text, len,
				   text + len) < 0)
		return -EIO;

	memset(text + len + DTLS_LEGACY_MAC_LEN, (int)(pad - 1), pad);
	if (!EVP_EncryptInit_ex2(d->encrypt, NULL, NULL, iv, NULL) ||
	    !EVP_EncryptUpdate(d->encrypt, text, &out_len, text,
			       (int)text_len))
		return -EIO;
	return (int)total;
}

/*
 * Return the SHA-1 blocks the HMAC inner hash spends on n message bytes
 * plus 9 bytes of length padding, without the constant key block.
 */
static size_t
dtls_legacy_sha1_blocks(size_t n)
{
	return (n + 8) / 64 + 1;
}

/*
 * Lucky13: the HMAC time depends on the plaintext length, which depends
 * on the secret padding length. Feed a throw-away SHA-1 the blocks this
 * record's HMAC skipped compared with the longest possible plaintext,
 * so every record of one size costs the same number of SHA-1
 * compressions. The loop overhead and the number of plaintext bytes read
 * still vary, so the timing is close to but not exactly constant.
 */
static void
dtls_legacy_equalise_mac(struct dtls_legacy *d, size_t max_len, size_t len)
{
	static const uint8_t block[64];
	size_t header = DTLS_LEGACY_RECORD_HEADER_LEN;
	size_t extra = dtls_legacy_sha1_blocks(header + max_len) -
		       dtls_legacy_sha1_blocks(header + len);
	size_t i;

	for (i = 0; i < extra; i++)
		EVP_DigestUpdate(d->dummy, block, sizeof(block));
}

static int
dtls_legacy_received_mac(struct dtls_legacy *d, const uint8_t **mac)
{
	OSSL_PARAM params[2];
	void *ptr = NULL;

	params[0] = OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_TLS_MAC,
						   &ptr, DTLS_LEGACY_MAC_LEN);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_CIPHER_CTX_get_params(d->decrypt, params) || ptr == NULL)
		return -EIO;

	*mac = ptr;
	return 0;
}

/*
 * Decrypt and authenticate an epoch-1 record in place. On success
 * rec->data and rec->len describe the plaintext. Only public lengths
 * take early exits; padding and MAC failures take the same path.
 */
static int
dtls_legacy_open(struct dtls_legacy *d, struct dtls_legacy_record *rec)
{
	const uint8_t *received;
	uint8_t mac[DTLS_LEGACY_MAC_LEN];
	size_t max_len;
	int plain_len;

	if (rec->len < DTLS_LEGACY_SEALED_MIN || rec->len % 16 != 0)
		return dtls_legacy_drop(&d->stats.dropped_malformed);

	/* The provider leaves this many bytes when the padding is bad. */
	max_len = rec->len - DTLS_LEGACY_IV_LEN - DTLS_LEGACY_MAC_LEN;

	if (!EVP_DecryptUpdate(d->decrypt, rec->data, &plain_len, rec->data,
			       (int)rec->len) ||
	    dtls_legacy_received_mac(d, &received) < 0)
		return dtls_legacy_drop(&d->stats.dropped_auth);

	rec->data += DTLS_LEGACY_IV_LEN;
	rec->len = (size_t)plain_len;
	if (dtls_legacy_record_mac(d->mac_in, 1, rec->seq, rec->type,
				   rec->data, rec->len, mac) < 0)
		return dtls_legacy_drop(&d->stats.dropped_auth);

	dtls_legacy_equalise_mac(d, max_len, rec->len);
	if (CRYPTO_memcmp(mac, received, DTLS_LEGACY_MAC_LEN) != 0)
		return dtls_legacy_drop(&d->stats.dropped_auth);
	return 0;
}

/* ---- replay window ---- */

static bool
dtls_legacy_replayed(const struct dtls_legacy *d, uint64_t seq)
{
	uint64_t age;

	if (seq > d->replay_top)
		return false;

	age = d->replay_top - seq;
	if (age >= DTLS_LEGACY_REPLAY_WINDOW)
		return true;
	return (d->replay_bitmap >> age & 1) != 0;
}

static void
dtls_legacy_replay_mark(struct dtls_legacy *d, uint64_t seq)
{
	uint64_t shift;

	if (seq <= d->replay_top) {
		d->replay_bitmap |= UINT64_C(1) << (d->replay_top - seq);
		return;
	}

	shift = seq - d->replay_top;
	if (shift >= DTLS_LEGACY_REPLAY_WINDOW)
		d->replay_bitmap = 1;
	else
		d->replay_bitmap = d->replay_bitmap << shift | 1;
	d->replay_top = seq;
}

/* ---- handshake ---- */

static bool
dtls_legacy_offers(const uint8_t *list, size_t len, size_t width,
		   unsigned int value)
{
	size_t i;

	for (i = 0; i + width <= len; i += width) {
		unsigned int item = width == 2 ? dtls_legacy_load16(list + i)
					       : list[i];

		if (item == value)
			return true;
	}
	return false;
}

/* Parsed ClientHello fields; pointers into the body. */
struct dtls_legacy_hello {
	const uint8_t	*version;
	const uint8_t	*session_id;
	size_t		session_id_len;
	const uint8_t	*suites;
	size_t		suites_len;
	const uint8_t	*compressions;
	size_t		compressions_len;
};

/* Take a vector with a length prefix of width 1 or 2 bytes. */
static bool
dtls_legacy_take_vector(struct dtls_legacy_cursor *c, size_t width,
			const uint8_t **data, size_t *len)
{
	const uint8_t *prefix = dtls_legacy_take(c, width);

	if (prefix == NULL)
		return false;

	*len = width == 2 ? dtls_legacy_load16(prefix) : prefix[0];
	*data = dtls_legacy_take(c, *len);
	return *data != NULL;
}

static bool
dtls_legacy_parse_hello(const uint8_t *body, size_t len,
			struct dtls_legacy_hello *h)
{
	struct dtls_legacy_cursor c = { body, len };
	const uint8_t *skipped;
	size_t skipped_len;

	h->version = dtls_legacy_take(&c, 2);
	if (h->version == NULL ||
	    dtls_legacy_take(&c, DTLS_LEGACY_RANDOM_LEN) == NULL)
		return false;

	/* The cookie is skipped: this server never sends HelloVerifyRequest. */
	if (!dtls_legacy_take_vector(&c, 1, &h->session_id,
				     &h->session_id_len) ||
	    !dtls_legacy_take_vector(&c, 1, &skipped, &skipped_len) ||
	    !dtls_legacy_take_vector(&c, 2, &h->suites, &h->suites_len) ||
	    !dtls_legacy_take_vector(&c, 1, &h->compressions,
				     &h->compressions_len))
		return false;

	/* Extensions are optional and ignored, so the ServerHello has none. */
	if (c.left == 0)
		return true;
	return dtls_legacy_take_vector(&c, 2, &skipped, &skipped_len) &&
	       c.left == 0;
}

/*
 * Check that a ClientHello body has version 0x0100 and our session id, and
 * that it offers our suite and null compression.
 */
static int
dtls_legacy_check_hello(struct dtls_legacy *d, const uint8_t *body,
			size_t len)
{
	struct dtls_legacy_hello h;

	if (!dtls_legacy_parse_hello(body, len, &h))
		return dtls_legacy_drop(&d->stats.dropped_malformed);

	if (dtls_legacy_load16(h.version) != DTLS_LEGACY_VERSION ||
	    h.session_id_len != DTLS_LEGACY_SESSION_ID_LEN ||
	    memcmp(h.session_id, d->session_id, h.session_id_len) != 0 ||
	    !dtls_legacy_offers(h.suites, h.suites_len, 2, d->suite) ||
	    !dtls_legacy_offers(h.compressions, h.compressions_len, 1, 0))
		return dtls_legacy_drop(&d->stats.dropped_hello);
	return 0;
}

static int
dtls_legacy_make_server_hello(struct dtls_legacy *d,
			      uint8_t body[DTLS_LEGACY_SERVER_HELLO_LEN])
{
	uint8_t *p = dtls_legacy_store16(body, DTLS_LEGACY_VERSION);

	if (RAND_bytes(p, DTLS_LEGACY_RANDOM_LEN) != 1)
		return -EIO;

	p += DTLS_LEGACY_RANDOM_LEN;
	*p++ = DTLS_LEGACY_SESSION_ID_LEN;
	memcpy(p, d->session_id, DTLS_LEGACY_SESSION_ID_LEN);
	p += DTLS_LEGACY_SESSION_ID_LEN;
	p = dtls_legacy_store16(p, (uint16_t)d->suite);
	*p = 0;		/* null compression, and no extensions follow */
	return 0;
}

/*
 * Lay out the flight: ServerHello (epoch 0, seq 0, message_seq 0),
 * ChangeCipherSpec (epoch 0, seq 1, body 0x01 and handshake sequence
 * 0x0001), Finished (epoch 1, seq 0, message_seq 2, encrypted).
 */
static int
dtls_legacy_write_flight(struct dtls_legacy *d, const uint8_t *server_hello,
			 const uint8_t *server_verify)
{
	uint8_t *p = d->flight;
	uint8_t *end = d->flight + sizeof(d->flight);
	uint8_t finished[DTLS_LEGACY_FINISHED_LEN];
	int ret;

	p = dtls_legacy_put_record_header(p, DTLS_LEGACY_HANDSHAKE, 0, 0,
		DTLS_LEGACY_HS_HEADER_LEN + DTLS_LEGACY_SERVER_HELLO_LEN);
	p = dtls_legacy_put_handshake_header(p, DTLS_LEGACY_SERVER_HELLO_MSG,
					     DTLS_LEGACY_SERVER_HELLO_LEN, 0);
	memcpy(p, server_hello, DTLS_LEGACY_SERVER_HELLO_LEN);
	p += DTLS_LEGACY_SERVER_HELLO_LEN;

	p = dtls_legacy_put_record_header(p, DTLS_LEGACY_CHANGE_CIPHER_SPEC,
					  0, 1, 3);
	*p++ = 1;
	p = dtls_legacy_store16(p, 1);

	dtls_legacy_put_handshake_header(finished, DTLS_LEGACY_FINISHED_MSG,
					 DTLS_LEGACY_VERIFY_LEN, 2);
	memcpy(finished + DTLS_LEGACY_HS_HEADER_LEN, server_verify,
	       DTLS_LEGACY_VERIFY_LEN);
	ret = dtls_legacy_seal(d, DTLS_LEGACY_HANDSHAKE, 0, finished,
			       sizeof(finished), p, (size_t)(end - p));
	if (ret < 0)
		return ret;

	d->write_seq = 1;
	return 0;
}

/*
 * Derive everything the ClientHello determines and cache the flight.
 * Nothing that changes the state happens before all steps succeeded.
 */
static int
dtls_legacy_build_flight(struct dtls_legacy *d, const uint8_t *hello,
			 size_t len)
{
	uint8_t server_hello[DTLS_LEGACY_SERVER_HELLO_LEN];
	uint8_t server_verify[DTLS_LEGACY_VERIFY_LEN];
	uint8_t *copy = OPENSSL_malloc(len);
	int ret;

	if (copy == NULL)
		return -ENOMEM;

	ret = dtls_legacy_make_server_hello(d, server_hello);
	if (ret == 0)
		ret = dtls_legacy_derive_keys(d, hello + 2, server_hello + 2);
	if (ret == 0)
		ret = dtls_legacy_verify_data(d, hello, len, server_hello,
					      server_verify);
	if (ret == 0)
		ret = dtls_legacy_write_flight(d, server_hello, server_verify);
	if (ret < 0) {
		OPENSSL_free(copy);
		return ret;
	}

	memcpy(copy, hello, len);
	OPENSSL_clear_free(d->hello, d->hello_len);
	d->hello = copy;
	d->hello_len = len;
	return 0;
}

static void
dtls_legacy_send_flight(struct dtls_legacy *d, uint8_t *out, size_t *out_len)
{
	memcpy(out, d->flight, sizeof(d->flight));
	*out_len = sizeof(d->flight);
	d->flight_sends++;
	d->stats.flights_sent++;
}

/*
 * Reply to a checked ClientHello. The first one builds the flight. The
 * same body again is a retransmission and gets the cached flight, because
 * only the record sequence number differs. Any other body means the
 * client restarted and needs a new association.
 */
static int
dtls_legacy_answer_hello(struct dtls_legacy *d, const uint8_t *hello,
			 size_t len, uint8_t *out, size_t *out_len)
{
	int ret;

	if (d->state == DTLS_LEGACY_WAIT_HELLO) {
		ret = dtls_legacy_build_flight(d, hello, len);
		if (ret < 0)
			return ret;

		d->state = DTLS_LEGACY_WAIT_FINISHED;
		dtls_legacy_send_flight(d, out, out_len);
		return DTLS_LEGACY_OK;
	}

	if (len != d->hello_len || memcmp(hello, d->hello, len) != 0)
		return DTLS_LEGACY_CLIENT_HELLO;

	if (d->state == DTLS_LEGACY_WAIT_FINISHED &&
	    d->flight_sends < DTLS_LEGACY_FLIGHT_SENDS_MAX)
		dtls_legacy_send_flight(d, out, out_len);
	return DTLS_LEGACY_OK;
}

/* ---- pass one: parse and check without changing state ---- */

static int
dtls_legacy_split(struct dtls_legacy *d, uint8_t *buf, size_t len,
		  struct dtls_legacy_record *records, size_t *count)
{
	size_t n = 0;
	size_t body_len;

	while (len > 0) {
		if (len < DTLS_LEGACY_RECORD_HEADER_LEN ||
		    n == DTLS_LEGACY_RECORDS_MAX ||
		    dtls_legacy_load16(buf + 1) != DTLS_LEGACY_VERSION)
			return dtls_legacy_drop(&d->stats.dropped_malformed);

		body_len = dtls_legacy_load16(buf + 11);
		if (body_len > len - DTLS_LEGACY_RECORD_HEADER_LEN ||
		    body_len > DTLS_LEGACY_RECORD_BODY_MAX)
			return dtls_legacy_drop(&d->stats.dropped_malformed);

		records[n].type = buf[0];
		records[n].epoch = dtls_legacy_load16(buf + 3);
		records[n].seq = dtls_legacy_load48(buf + 5);
		records[n].data = buf + DTLS_LEGACY_RECORD_HEADER_LEN;
		records[n].len = body_len;
		n++;

		buf += DTLS_LEGACY_RECORD_HEADER_LEN + body_len;
		len -= DTLS_LEGACY_RECORD_HEADER_LEN + body_len;
	}

	*count = n;
	return n > 0 ? 0 : dtls_legacy_drop(&d->stats.dropped_malformed);
}

/* Require exactly one unfragmented handshake message of msg_type. */
static int
dtls_legacy_check_message(struct dtls_legacy *d,
			  const struct dtls_legacy_record *rec,
			  uint8_t msg_type)
{
	size_t body_len;

	if (rec->len < DTLS_LEGACY_HS_HEADER_LEN)
		return dtls_legacy_drop(&d->stats.dropped_malformed);

	body_len = rec->len - DTLS_LEGACY_HS_HEADER_LEN;
	if (dtls_legacy_load24(rec->data + 1) != body_len ||
	    dtls_legacy_load24(rec->data + 6) != 0 ||
	    dtls_legacy_load24(rec->data + 9) != body_len)
		return dtls_legacy_drop(&d->stats.dropped_malformed);

	if (rec->data[0] != msg_type)
		return dtls_legacy_drop(&d->stats.dropped_state);
	return 0;
}

/* Check an epoch-0 record: only a ClientHello or a 3-byte CCS is valid. */
static int
dtls_legacy_check_plain(struct dtls_legacy *d,
			const struct dtls_legacy_record *rec)
{
	int ret;

	switch (rec->type) {
	case DTLS_LEGACY_CHANGE_CIPHER_SPEC:
		if (rec->len != 3 || rec->data[0] != 1)
			return dtls_legacy_drop(&d->stats.dropped_malformed);
		return 0;
	case DTLS_LEGACY_HANDSHAKE:
		ret = dtls_legacy_check_message(d, rec,
						DTLS_LEGACY_CLIENT_HELLO_MSG);
		if (ret < 0)
			return ret;
		return dtls_legacy_check_hello(d,
			rec->data + DTLS_LEGACY_HS_HEADER_LEN,
			rec->len - DTLS_LEGACY_HS_HEADER_LEN);
	default:
		/* Unauthenticated alerts and data are dropped. */
		return dtls_legacy_drop(&d->stats.dropped_state);
	}
}

/*
 * Check the plaintext of an authenticated record. The client's Finished
 * message_seq is not checked because the verify_data already proves the
 * client saw our flight.
 */
static int
dtls_legacy_check_sealed(struct dtls_legacy *d,
			 const struct dtls_legacy_record *rec)
{
	int ret;

	switch (rec->type) {
	case DTLS_LEGACY_APPLICATION_DATA:
		return 0;
	case DTLS_LEGACY_ALERT:
		if (rec->len != 2)
			return dtls_legacy_drop(&d->stats.dropped_malformed);
		return 0;
	case DTLS_LEGACY_HANDSHAKE:
		ret = dtls_legacy_check_message(d, rec,
						DTLS_LEGACY_FINISHED_MSG);
		if (ret < 0)
			return ret;
		if (rec->len != DTLS_LEGACY_FINISHED_LEN)
			return dtls_legacy_drop(&d->stats.dropped_malformed);
		if (CRYPTO_memcmp(rec->data + DTLS_LEGACY_HS_HEADER_LEN,
				  d->client_verify,
				  DTLS_LEGACY_VERIFY_LEN) != 0)
			return dtls_legacy_drop(&d->stats.dropped_auth);
		return 0;
	default:
		return dtls_legacy_drop(&d->stats.dropped_malformed);
	}
}

static bool
dtls_legacy_seen_before(const struct dtls_legacy_record *records,
			size_t index)
{
	size_t i;

	for (i = 0; i < index; i++) {
		if (records[i].epoch == records[index].epoch &&
		    records[i].seq == records[index].seq)
			return true;
	}
	return false;
}

static int
dtls_legacy_check_record(struct dtls_legacy *d,
			 struct dtls_legacy_record *records, size_t index)
{
	struct dtls_legacy_record *rec = &records[index];
	int ret;

	if (rec->epoch == 0)
		return dtls_legacy_check_plain(d, rec);

	if (rec->epoch != 1 || (d->state != DTLS_LEGACY_WAIT_FINISHED &&
				d->state != DTLS_LEGACY_UP))
		return dtls_legacy_drop(&d->stats.dropped_state);

	if (dtls_legacy_replayed(d, rec->seq) ||
	    dtls_legacy_seen_before(records, index))
		return dtls_legacy_drop(&d->stats.dropped_replay);

	ret = dtls_legacy_open(d, rec);
	if (ret < 0)
		return ret;
	return dtls_legacy_check_sealed(d, rec);
}

/* ---- pass two: commit ---- */

static int
dtls_legacy_establish(struct dtls_legacy *d)
{
	if (d->state != DTLS_LEGACY_WAIT_FINISHED)
		return DTLS_LEGACY_OK;

	d->state = DTLS_LEGACY_UP;
	return DTLS_LEGACY_ESTABLISHED;
}

/* End the association on close_notify or any fatal alert. */
static int
dtls_legacy_handle_alert(struct dtls_legacy *d, const uint8_t *alert)
{
	if (alert[0] != 2 && alert[1] != 0)
		return DTLS_LEGACY_OK;

	d->state = DTLS_LEGACY_DOWN;
	return DTLS_LEGACY_CLOSED;
}

/*
 * Apply one checked record. Application data that authenticates before
 * the client Finished also completes the handshake, because the OpenSSL
 * 3.0 client does not resend a lost Finished, even when our flight
 * arrives again.
 */
static int
dtls_legacy_commit_record(struct dtls_legacy *d,
			  const struct dtls_legacy_record *rec, uint8_t *out,
			  size_t *out_len, dtls_legacy_app_fn *on_app,
			  void *arg)
{
	int ret;

	d->stats.records_accepted++;
	if (rec->epoch == 0) {
		if (rec->type != DTLS_LEGACY_HANDSHAKE)
			return DTLS_LEGACY_OK;
		return dtls_legacy_answer_hello(d,
			rec->data + DTLS_LEGACY_HS_HEADER_LEN,
			rec->len - DTLS_LEGACY_HS_HEADER_LEN, out, out_len);
	}

	dtls_legacy_replay_mark(d, rec->seq);
	switch (rec->type) {
	case DTLS_LEGACY_ALERT:
		return dtls_legacy_handle_alert(d, rec->data);
	case DTLS_LEGACY_APPLICATION_DATA:
		ret = dtls_legacy_establish(d);
		d->stats.app_records++;
		if (on_app != NULL)
			on_app(arg, rec->data, rec->len);
		return ret;
	default:
		return dtls_legacy_establish(d);
	}
}

static int
dtls_legacy_commit(struct dtls_legacy *d,
		   const struct dtls_legacy_record *records, size_t count,
		   uint8_t *out, size_t *out_len, dtls_legacy_app_fn *on_app,
		   void *arg)
{
	int result = DTLS_LEGACY_OK;
	int ret;
	size_t i;

	for (i = 0; i < count && d->state != DTLS_LEGACY_DOWN; i++) {
		ret = dtls_legacy_commit_record(d, &records[i], out, out_len,
						on_app, arg);
		if (ret < 0)
			return ret;
		if (ret != DTLS_LEGACY_OK)
			result = ret;
	}
	return result;
}

/* Copy the datagram to scratch, which grows to the largest one seen. */
static int
dtls_legacy_copy_in(struct dtls_legacy *d, const uint8_t *dgram, size_t len)
{
	uint8_t *bigger;

	if (len > d->scratch_size) {
		bigger = OPENSSL_malloc(len);
		if (bigger == NULL)
			return -ENOMEM;

		OPENSSL_clear_free(d->scratch, d->scratch_size);
		d->scratch = bigger;
		d->scratch_size = len;
	}

	memcpy(d->scratch, dgram, len);
	return 0;
}

static int
dtls_legacy_process(struct dtls_legacy *d, size_t len, uint8_t *out,
		    size_t *out_len, dtls_legacy_app_fn *on_app, void *arg)
{
	struct dtls_legacy_record records[DTLS_LEGACY_RECORDS_MAX];
	size_t count = 0;
	size_t i;
	int ret;

	ret = dtls_legacy_split(d, d->scratch, len, records, &count);
	for (i = 0; ret == 0 && i < count; i++)
		ret = dtls_legacy_check_record(d, records, i);
	if (ret < 0)
		return ret;

	return dtls_legacy_commit(d, records, count, out, out_len, on_app,
				  arg);
}

int
dtls_legacy_input(struct dtls_legacy *d, const uint8_t *dgram, size_t len,
		  uint8_t *out, size_t *out_len, size_t out_size,
		  dtls_legacy_app_fn *on_app, void *arg)
{
	int ret;

	*out_len = 0;
	if (out_size < DTLS_LEGACY_FLIGHT_LEN)
		return -EINVAL;

	if (d->state == DTLS_LEGACY_DOWN)
		return dtls_legacy_drop(&d->stats.dropped_state);
	if (len == 0 || len > DTLS_LEGACY_DATAGRAM_MAX)
		return dtls_legacy_drop(&d->stats.dropped_malformed);

	ret = dtls_legacy_copy_in(d, dgram, len);
	if (ret < 0)
		return ret;

	/* Keep errors that hostile input causes off the caller's queue. */
	ERR_set_mark();
	ret = dtls_legacy_process(d, len, out, out_len, on_app, arg);
	ERR_pop_to_mark();
	return ret;
}

/* ---- sending ---- */

int
dtls_legacy_encrypt(struct dtls_legacy *d, const uint8_t *payload,
		    size_t len, uint8_t *out, size_t out_size)
{
	int ret;

	if (d->state != DTLS_LEGACY_UP)
		return -ENOTCONN;
	if (len > DTLS_LEGACY_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (d->write_seq > DTLS_LEGACY_SEQ_MAX)
		return -EOVERFLOW;

	ERR_set_mark();
	ret = dtls_legacy_seal(d, DTLS_LEGACY_APPLICATION_DATA, d->write_seq,
			       payload, len, out, out_size);
	ERR_pop_to_mark();
	if (ret >= 0)
		d->write_seq++;
	return ret;
}

int
dtls_legacy_retransmit(struct dtls_legacy *d, uint8_t *out, size_t *out_len,
		       size_t out_size)
{
	*out_len = 0;
	if (out_size < DTLS_LEGACY_FLIGHT_LEN)
		return -EINVAL;

	switch (d->state) {
	case DTLS_LEGACY_WAIT_FINISHED:
		if (d->flight_sends >= DTLS_LEGACY_FLIGHT_SENDS_MAX)
			return -ETIMEDOUT;
		dtls_legacy_send_flight(d, out, out_len);
		return 0;
	case DTLS_LEGACY_UP:
		return 0;
	default:
		return -ENOTCONN;
	}
}

bool
dtls_legacy_established(const struct dtls_legacy *d)
{
	return d->state == DTLS_LEGACY_UP;
}

void
dtls_legacy_get_stats(const struct dtls_legacy *d,
		      struct dtls_legacy_stats *stats)
{
	*stats = d->stats;
}

size_t
dtls_legacy_overhead(enum dtls_legacy_suite suite)
{
	/* Both suites use AES (16-byte blocks) and HMAC-SHA1. */
	(void)suite;
	return DTLS_LEGACY_RECORD_HEADER_LEN + DTLS_LEGACY_IV_LEN +
	       DTLS_LEGACY_MAC_LEN + 16;
}
