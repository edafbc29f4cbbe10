/*
 * Fuzz the session journal's parser behind its MACs. The input is a list
 * of records, each a type byte, a length byte and that many payload
 * bytes. The target writes a header and seals each record under a fixed
 * key, following the format in journal.h, so that the records reach the
 * decoders. Input left over after the last whole record is appended
 * unsealed, as a crash or damage would leave it.
 *
 * Contract: a file of sealed records only is loaded or corrupt, never
 * truncated; every session passed on has a user and terminated names.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "journal.h"

#define FUZZ_FILE_MAX	(64 * 1024)
#define FUZZ_MAC_LEN	32

static const uint8_t fuzz_key[JOURNAL_KEY_LEN] = { 0x5a, 0x17 };
static const uint8_t fuzz_file_id[16] = { 0xf1, 0x1e };

static void
fuzz_put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static void
fuzz_hmac(const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int out_len = 0;

	FUZZ_CHECK(HMAC(EVP_sha256(), fuzz_key, sizeof(fuzz_key), data, len,
	    out, &out_len) != NULL && out_len == FUZZ_MAC_LEN);
}

/* The header: magic, version, file id, key id, id max 0, MAC. */
static size_t
fuzz_header(uint8_t *out)
{
	uint8_t key_id[FUZZ_MAC_LEN];

	fuzz_hmac((const uint8_t *)"key id", 6, key_id);
	memcpy(out, "HEJRNL\r\n", 8);
	fuzz_put_be(out + 8, JOURNAL_VERSION, 4);
	memcpy(out + 12, fuzz_file_id, sizeof(fuzz_file_id));
	memcpy(out + 28, key_id, 8);
	fuzz_put_be(out + 36, 0, 8);
	fuzz_hmac(out, 44, out + 44);
	return (JOURNAL_HEADER_LEN);
}

/* Seal record seq: frame, type and payload at rec, then the MAC. */
static size_t
fuzz_record(uint8_t *rec, uint64_t seq, uint8_t type,
    const uint8_t *payload, size_t len)
{
	uint8_t mac_input[16 + 8 + 4 + 1 + 255];
	size_t body = 1 + len;

	fuzz_put_be(rec, body, 2);
	fuzz_put_be(rec + 2, body ^ 0xffff, 2);
	rec[4] = type;
	memcpy(rec + 5, payload, len);

	memcpy(mac_input, fuzz_file_id, sizeof(fuzz_file_id));
	fuzz_put_be(mac_input + 16, seq, 8);
	memcpy(mac_input + 24, rec, 4 + body);
	fuzz_hmac(mac_input, 24 + 4 + body, rec + 4 + body);
	return (4 + body + FUZZ_MAC_LEN);
}

static bool
fuzz_check_session(const struct journal_session *s, void *arg)
{
	(void)arg;
	FUZZ_CHECK(s->user[0] != '\0');
	FUZZ_CHECK(memchr(s->user, '\0', sizeof(s->user)) != NULL);
	FUZZ_CHECK(memchr(s->group, '\0', sizeof(s->group)) != NULL);
	FUZZ_CHECK(memchr(s->pool, '\0', sizeof(s->pool)) != NULL);
	return (true);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t file[FUZZ_FILE_MAX];
	size_t off = fuzz_header(file), i = 0, len;
	uint64_t seq = 0;
	bool raw_tail = false;
	char err[512];
	int rc;

	while (i + 2 <= size && i + 2 + data[i + 1] <= size) {
		len = data[i + 1];
		if (off + 5 + len + FUZZ_MAC_LEN > sizeof(file))
			return (0);
		off += fuzz_record(file + off, seq++, data[i], data + i + 2,
		    len);
		i += 2 + len;
	}
	if (i < size) {
		if (off + size - i > sizeof(file))
			return (0);
		memcpy(file + off, data + i, size - i);
		off += size - i;
		raw_tail = true;
	}

	rc = journal_parse_buffer(file, off, fuzz_key, fuzz_check_session,
	    NULL, err, sizeof(err));
	FUZZ_CHECK(rc == JOURNAL_LOADED || rc == JOURNAL_TRUNCATED ||
	    rc == JOURNAL_CORRUPT || rc == -ENOMEM);
	FUZZ_CHECK(raw_tail || rc != JOURNAL_TRUNCATED);
	FUZZ_CHECK(rc == JOURNAL_LOADED || rc < 0 || err[0] != '\0');
	return (0);
}
