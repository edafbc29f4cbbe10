/* Unit tests for the ban file's format in common/banfile.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "banfile.h"
#include "ipc.h"

#define BODY_MAX	4096

static const uint8_t KEY[BANFILE_KEY_LEN] = { 1, 2, 3, 4 };
static const uint8_t OTHER_KEY[BANFILE_KEY_LEN] = { 9 };

/* What banfile_decode passed on. */
struct seen {
	struct ipc_ban	bans[8];
	size_t		count;
};

static void
collect(const struct ipc_ban *ban, void *arg)
{
	struct seen *seen = arg;

	assert_true(seen->count < 8);
	seen->bans[seen->count++] = *ban;
}

static void
ban(struct ipc_ban *out, const char *address, const char *user,
    int64_t until)
{
	assert_int_equal(ipc_ban_init(out, address, user, until), 0);
}

/* Encode three bans into buf. Returns the length of the file. */
static size_t
encode_three(uint8_t *buf, size_t len)
{
	struct ipc_ban bans[3];
	long n;

	ban(&bans[0], "198.18.0.2", "alice", 1700000000);
	ban(&bans[1], "198.18.0.3", "", 1700000300);
	ban(&bans[2], "2001:db8::1", "bob", 4102444800LL);
	assert_int_equal(banfile_size(bans, 3), 16 + 3 * 2 + 10 + 5 + 10 +
	    11 + 3 + 3 * 8 + 32);
	n = banfile_encode(bans, 3, KEY, buf, len);
	assert_int_equal(n, (long)banfile_size(bans, 3));
	return ((size_t)n);
}

/* Append the MAC under KEY to a body that a test built by hand. */
static size_t
seal(uint8_t *buf, size_t len)
{
	unsigned int mac_len = 0;

	assert_non_null(HMAC(EVP_sha256(), KEY, sizeof(KEY), buf, len,
	    buf + len, &mac_len));
	assert_int_equal(mac_len, 32);
	return (len + 32);
}

/* A header with count bans, then the caller's bytes. */
static size_t
header(uint8_t *buf, uint32_t count)
{
	memcpy(buf, "HEBANS\r\n\0\0\0\1", 12);
	buf[12] = (uint8_t)(count >> 24);
	buf[13] = (uint8_t)(count >> 16);
	buf[14] = (uint8_t)(count >> 8);
	buf[15] = (uint8_t)count;
	return (16);
}

/* Decode a hand-built file and expect it rejected with nothing passed. */
static void
expect_rejected(const uint8_t *buf, size_t len, const char *expected)
{
	struct seen seen = { .count = 0 };
	const char *reason = NULL;

	assert_int_equal(banfile_decode(buf, len, KEY, collect, &seen, &reason),
	    -EBADMSG);
	assert_int_equal(seen.count, 0);
	assert_non_null(reason);
	assert_non_null(strstr(reason, expected));
}

static void
test_round_trip(void **state)
{
	uint8_t buf[BODY_MAX];
	struct seen seen = { .count = 0 };
	const char *reason = NULL;
	size_t len = encode_three(buf, sizeof(buf));

	(void)state;
	assert_int_equal(banfile_decode(buf, len, KEY, collect, &seen, &reason),
	    3);
	assert_null(reason);
	assert_int_equal(seen.count, 3);
	assert_string_equal(seen.bans[0].address, "198.18.0.2");
	assert_string_equal(seen.bans[0].user, "alice");
	assert_int_equal(seen.bans[0].until, 1700000000);
	assert_string_equal(seen.bans[1].user, "");
	assert_string_equal(seen.bans[2].address, "2001:db8::1");
	assert_int_equal(seen.bans[2].until, 4102444800LL);
}

static void
test_no_bans(void **state)
{
	uint8_t buf[64];
	struct seen seen = { .count = 0 };
	const char *reason = NULL;
	long n = banfile_encode(NULL, 0, KEY, buf, sizeof(buf));

	(void)state;
	assert_int_equal(n, 48);
	assert_int_equal(banfile_decode(buf, (size_t)n, KEY, collect, &seen,
	    &reason), 0);
	assert_int_equal(seen.count, 0);
}

/* Any changed byte, or the wrong key, fails the MAC. */
static void
test_changed_byte_or_key(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = encode_three(buf, sizeof(buf)), i;
	struct seen seen = { .count = 0 };
	const char *reason;

	(void)state;
	for (i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		assert_int_equal(banfile_decode(buf, len, KEY, collect, &seen,
		    &reason), -EBADMSG);
		buf[i] ^= 0x01;
	}
	assert_int_equal(banfile_decode(buf, len, OTHER_KEY, collect, &seen,
	    &reason), -EBADMSG);
	assert_non_null(strstr(reason, "another key file"));
	assert_int_equal(seen.count, 0);
}

static void
test_cut_short(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = encode_three(buf, sizeof(buf)), i;
	struct seen seen = { .count = 0 };
	const char *reason;

	(void)state;
	for (i = 0; i < len; i++)
		assert_int_equal(banfile_decode(buf, i, KEY, collect, &seen,
		    &reason), -EBADMSG);
	assert_int_equal(seen.count, 0);
	expect_rejected(buf, 10, "not a ban file");
}

static void
test_bad_magic_and_version(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = encode_three(buf, sizeof(buf));

	(void)state;
	buf[0] = 'X';
	expect_rejected(buf, len, "not a ban file");
	buf[0] = 'H';
	buf[11] = 2;
	expect_rejected(buf, len, "version");
}

/* A sealed file whose count promises more bans than follow. */
static void
test_count_beyond_bans(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = header(buf, 2);

	(void)state;
	memcpy(buf + len, "\x0a" "198.18.0.2" "\x01" "a"
	    "\0\0\0\0\0\0\1\0", 21);
	len = seal(buf, len + 21);
	expect_rejected(buf, len, "cut short");
}

static void
test_bytes_after_last_ban(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = header(buf, 1);

	(void)state;
	memcpy(buf + len, "\x0a" "198.18.0.2" "\x01" "a"
	    "\0\0\0\0\0\0\1\0" "zz", 23);
	len = seal(buf, len + 23);
	expect_rejected(buf, len, "bytes follow");
}

static void
test_too_many_bans(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = header(buf, BANFILE_MAX + 1);

	(void)state;
	len = seal(buf, len);
	expect_rejected(buf, len, "more bans");
}

/* Names that the IPC message cannot carry are rejected. */
static void
test_bad_names(void **state)
{
	uint8_t buf[BODY_MAX];
	char address[IPC_ADDR_MAX];
	size_t len;

	(void)state;
	len = header(buf, 1);
	memcpy(buf + len, "\x0a" "198.18\0000.2" "\x00"
	    "\0\0\0\0\0\0\1\0", 20);
	expect_rejected(buf, seal(buf, len + 20), "invalid name");

	len = header(buf, 1);
	memcpy(buf + len, "\x00" "\x00" "\0\0\0\0\0\0\1\0", 10);
	expect_rejected(buf, seal(buf, len + 10), "no address");

	len = header(buf, 1);
	memset(address, '1', sizeof(address));
	buf[len] = IPC_ADDR_MAX;
	memcpy(buf + len + 1, address, IPC_ADDR_MAX);
	memcpy(buf + len + 1 + IPC_ADDR_MAX, "\x00" "\0\0\0\0\0\0\1\0", 9);
	expect_rejected(buf, seal(buf, len + 10 + IPC_ADDR_MAX),
	    "invalid name");
}

static void
test_negative_until(void **state)
{
	uint8_t buf[BODY_MAX];
	size_t len = header(buf, 1);

	(void)state;
	memcpy(buf + len, "\x0a" "198.18.0.2" "\x00"
	    "\xff\xff\xff\xff\xff\xff\xff\xff", 20);
	expect_rejected(buf, seal(buf, len + 20), "negative end time");
}

/* The encoder writes only what the decoder takes back. */
static void
test_encode_refuses(void **state)
{
	uint8_t buf[BODY_MAX];
	struct ipc_ban bad;

	(void)state;
	ban(&bad, "198.18.0.2", "alice", 100);
	bad.address[0] = '\0';
	assert_int_equal(banfile_encode(&bad, 1, KEY, buf, sizeof(buf)),
	    -EINVAL);
	ban(&bad, "198.18.0.2", "alice", 100);
	assert_int_equal(banfile_encode(&bad, 1, KEY, buf, 20), -EINVAL);
	assert_int_equal(banfile_encode(&bad, BANFILE_MAX + 1, KEY, buf,
	    sizeof(buf)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_bans),
		cmocka_unit_test(test_changed_byte_or_key),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_bad_magic_and_version),
		cmocka_unit_test(test_count_beyond_bans),
		cmocka_unit_test(test_bytes_after_last_ban),
		cmocka_unit_test(test_too_many_bans),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_negative_until),
		cmocka_unit_test(test_encode_refuses),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
