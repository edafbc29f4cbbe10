/*
 * The ban file: the parent's copy of the running brute-force bans, kept
 * next to the state file so that a restart of the whole daemon does not
 * give a guesser a fresh count. This file only encodes and decodes it;
 * the parent reads and writes it (server/banstore.c).
 *
 * The whole file is written at once, so it has no records to append and
 * no torn tail: a file that fails any check is ignored as a whole. An
 * HMAC-SHA256 under a key derived from the state's key file covers
 * everything before it, so a ban file cannot be forged, edited or copied
 * from another host without the key.
 *
 * File format, all integers big-endian:
 *
 *	magic		8 bytes, "HEBANS\r\n"
 *	version		u32, BANFILE_VERSION
 *	count		u32, at most BANFILE_MAX
 *	count bans:
 *	  address	u8 length (1 or more), that many bytes, no NUL
 *	  user		u8 length, that many bytes, no NUL; empty for a ban
 *			of the whole address
 *	  until		i64, Unix seconds when the ban ends
 *	mac		32 bytes, HMAC-SHA256(key, all bytes above)
 */
#ifndef HEADEND_BANFILE_H
#define HEADEND_BANFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define BANFILE_VERSION		1
#define BANFILE_KEY_LEN		32
#define BANFILE_MAX		10000	/* bans in one file */
#define BANFILE_LABEL		"headend ban file v1"	/* key derivation */

/* Bytes of the largest file: header, BANFILE_MAX bans and the MAC. */
#define BANFILE_SIZE_MAX	(16 + BANFILE_MAX * \
	(2 + IPC_ADDR_MAX + IPC_USER_MAX + 8) + 32)

/* Return the size of the file that contains bans[0 .. count - 1]. */
size_t	banfile_size(const struct ipc_ban *bans, size_t count);

/*
 * Write the file of bans[0 .. count - 1] to buf, which must have
 * banfile_size() bytes. Returns the bytes written, or -EINVAL for more
 * than BANFILE_MAX bans or a ban that ipc_ban_decode would reject, or
 * -EIO when HMAC fails.
 */
long	banfile_encode(const struct ipc_ban *bans, size_t count,
	    const uint8_t key[BANFILE_KEY_LEN], uint8_t *buf, size_t len);

/* Called by banfile_decode with each ban of a valid file, in order. */
typedef void banfile_ban_fn(const struct ipc_ban *ban, void *arg);

/*
 * Check the file in buf under key and call on_ban for each of its bans.
 * Nothing is passed on unless the whole file is valid. Returns the
 * number of bans, or -EBADMSG with *reason set to what is wrong, or -EIO
 * when HMAC fails.
 */
long	banfile_decode(const uint8_t *buf, size_t len,
	    const uint8_t key[BANFILE_KEY_LEN], banfile_ban_fn *on_ban,
	    void *arg, const char **reason);

#endif
