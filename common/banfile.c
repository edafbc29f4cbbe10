/* The ban file's format, described in banfile.h. */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "banfile.h"

#define BANFILE_MAGIC		"HEBANS\r\n"
#define BANFILE_MAGIC_LEN	8
#define BANFILE_HEADER_LEN	16	/* magic, version, count */
#define BANFILE_MAC_LEN		32	/* HMAC-SHA256 */

/* A cursor over the bytes of a file being read. */
struct banfile_in {
	const uint8_t	*p;
	size_t		left;
};

/* Big-endian fields, through <endian.h>. */
static void
banfile_put_u32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t
banfile_get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return (be32toh(v));
}

static uint64_t
banfile_get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return (be64toh(v));
}

static int
banfile_mac(const uint8_t key[BANFILE_KEY_LEN], const uint8_t *data,
    size_t len, uint8_t out[BANFILE_MAC_LEN])
{
	unsigned int out_len = 0;

	if (HMAC(EVP_sha256(), key, BANFILE_KEY_LEN, data, len, out,
	    &out_len) == NULL || out_len != BANFILE_MAC_LEN)
		return (-EIO);
	return (0);
}

size_t
banfile_size(const struct ipc_ban *bans, size_t count)
{
	size_t i, len = BANFILE_HEADER_LEN + BANFILE_MAC_LEN;

	for (i = 0; i < count; i++)
		len += 2 + strnlen(bans[i].address, IPC_ADDR_MAX) +
		    strnlen(bans[i].user, IPC_USER_MAX) + 8;
	return (len);
}

/* Write a string as a u8 length and its bytes. Returns the bytes. */
static size_t
banfile_put_string(uint8_t *p, const char *s)
{
	size_t len = strlen(s);

	p[0] = (uint8_t)len;
	memcpy(p + 1, s, len);
	return (1 + len);
}

static size_t
banfile_put_ban(uint8_t *p, const struct ipc_ban *ban)
{
	size_t off = banfile_put_string(p, ban->address);
	uint64_t until = htobe64((uint64_t)ban->until);

	off += banfile_put_string(p + off, ban->user);
	memcpy(p + off, &until, sizeof(until));
	return (off + 8);
}

long
banfile_encode(const struct ipc_ban *bans, size_t count,
    const uint8_t key[BANFILE_KEY_LEN], uint8_t *buf, size_t len)
{
	struct ipc_ban check;
	size_t i, off = BANFILE_HEADER_LEN;

	if (count > BANFILE_MAX || len < banfile_size(bans, count))
		return (-EINVAL);
	for (i = 0; i < count; i++) {
		if (ipc_ban_decode(&bans[i], sizeof(bans[i]), &check) != 0)
			return (-EINVAL);
	}

	memcpy(buf, BANFILE_MAGIC, BANFILE_MAGIC_LEN);
	banfile_put_u32(buf + 8, BANFILE_VERSION);
	banfile_put_u32(buf + 12, (uint32_t)count);
	for (i = 0; i < count; i++)
		off += banfile_put_ban(buf + off, &bans[i]);

	if (banfile_mac(key, buf, off, buf + off) != 0)
		return (-EIO);
	return ((long)(off + BANFILE_MAC_LEN));
}

/* Read a string of at most size - 1 bytes into out, NUL-terminated. */
static bool
banfile_get_string(struct banfile_in *in, char *out, size_t size)
{
	size_t len;

	if (in->left < 1)
		return (false);
	len = in->p[0];
	if (len >= size || in->left - 1 < len ||
	    memchr(in->p + 1, '\0', len) != NULL)
		return (false);
	memcpy(out, in->p + 1, len);
	out[len] = '\0';
	in->p += 1 + len;
	in->left -= 1 + len;
	return (true);
}

/* Read one ban into out. Returns false when it is cut short or invalid. */
static bool
banfile_get_ban(struct banfile_in *in, struct ipc_ban *out,
    const char **reason)
{
	char address[IPC_ADDR_MAX], user[IPC_USER_MAX];
	int64_t until;

	if (!banfile_get_string(in, address, sizeof(address)) ||
	    !banfile_get_string(in, user, sizeof(user)) || in->left < 8) {
		*reason = "a ban is cut short or has an invalid name";
		return (false);
	}
	until = (int64_t)banfile_get_u64(in->p);
	in->p += 8;
	in->left -= 8;

	if (ipc_ban_init(out, address, user, until) != 0 ||
	    address[0] == '\0' || until < 0) {
		*reason = "a ban has no address or a negative end time";
		return (false);
	}
	return (true);
}

/*
 * Walk the bans of a file whose header and MAC are checked, calling
 * on_ban for each when it is not NULL. Returns the count or -EBADMSG.
 */
static long
banfile_walk(const uint8_t *body, size_t len, size_t count,
    banfile_ban_fn *on_ban, void *arg, const char **reason)
{
	struct banfile_in in = { body, len };
	struct ipc_ban ban;
	size_t i;

	for (i = 0; i < count; i++) {
		if (!banfile_get_ban(&in, &ban, reason))
			return (-EBADMSG);
		if (on_ban != NULL)
			on_ban(&ban, arg);
	}
	if (in.left != 0) {
		*reason = "bytes follow the last ban";
		return (-EBADMSG);
	}
	return ((long)count);
}

/* Check the header and the MAC. Returns the count or -errno. */
static long
banfile_check(const uint8_t *buf, size_t len,
    const uint8_t key[BANFILE_KEY_LEN], const char **reason)
{
	uint8_t mac[BANFILE_MAC_LEN];
	uint64_t count;

	if (len < BANFILE_HEADER_LEN + BANFILE_MAC_LEN ||
	    memcmp(buf, BANFILE_MAGIC, BANFILE_MAGIC_LEN) != 0) {
		*reason = "not a ban file";
		return (-EBADMSG);
	}
	if (banfile_get_u32(buf + 8) != BANFILE_VERSION) {
		*reason = "a version this headend does not read";
		return (-EBADMSG);
	}
	if (banfile_mac(key, buf, len - BANFILE_MAC_LEN, mac) != 0)
		return (-EIO);
	if (CRYPTO_memcmp(mac, buf + len - BANFILE_MAC_LEN, sizeof(mac))) {
		*reason = "its MAC does not match: damaged, or written under "
		    "another key file";
		return (-EBADMSG);
	}
	count = banfile_get_u32(buf + 12);
	if (count > BANFILE_MAX) {
		*reason = "more bans than headend keeps";
		return (-EBADMSG);
	}
	return ((long)count);
}

long
banfile_decode(const uint8_t *buf, size_t len,
    const uint8_t key[BANFILE_KEY_LEN], banfile_ban_fn *on_ban, void *arg,
    const char **reason)
{
	const uint8_t *body = buf + BANFILE_HEADER_LEN;
	long count;
	size_t body_len;

	*reason = NULL;
	if ((count = banfile_check(buf, len, key, reason)) < 0)
		return (count);
	body_len = len - BANFILE_HEADER_LEN - BANFILE_MAC_LEN;

	/* First check every ban, then pass them on. */
	if (banfile_walk(body, body_len, (size_t)count, NULL, NULL, reason) < 0)
		return (-EBADMSG);
	return (banfile_walk(body, body_len, (size_t)count, on_ban, arg,
	    reason));
}
