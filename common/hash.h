/*
 * The hash of the in-memory tables (sessions, logins, leases, sources,
 * bans, DTLS peers). Clients choose many of the keys: user names, source
 * addresses and UDP ports. So the hash is SipHash-2-4 (libsodium's
 * crypto_shorthash) under a random key of the process, and a client
 * that does not know the key cannot make its keys share one bucket.
 */
#ifndef HEADEND_HASH_H
#define HEADEND_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Maximum length of a pair that hash_pair hashes whole; the rest is cut. */
#define HASH_PAIR_MAX	512

/*
 * Pick the random key. Call it once at start, before the first table
 * is filled and before the process forks, so that all processes agree.
 * Returns 0, or -1 when libsodium cannot be initialized.
 */
int		hash_init(void);

/* Hash len bytes at data. */
uint32_t	hash_bytes(const void *data, size_t len);

/* Hash a string, up to its end or max characters. */
uint32_t	hash_text(const char *text, size_t max);

/*
 * Hash two byte strings as one key, with a separator that keeps
 * "ab"+"c" apart from "a"+"bc".
 */
uint32_t	hash_pair(const void *first, size_t first_len,
		    const void *second, size_t second_len);

#endif
