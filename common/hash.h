/*
 * FNV-1a, the hash of the in-memory tables (sessions, logins, leases,
 * sources, bans, DTLS peers). It is fast and spreads short keys well.
 *
 * NOTE: it is not keyed, so a client that picks keys, such as the user
 * names in the ban table, can make them share one bucket. A keyed hash
 * (SipHash) would prevent that.
 */
#ifndef HEADEND_HASH_H
#define HEADEND_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT	2166136261u

/* Fold len bytes at data into the hash h. */
static inline uint32_t
hash_bytes(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return (h);
}

/* Fold a string into h, up to its end or max characters. */
static inline uint32_t
hash_text(uint32_t h, const char *text, size_t max)
{
	size_t i;

	for (i = 0; i < max && text[i] != '\0'; i++)
		h = (h ^ (uint8_t)text[i]) * 16777619u;
	return (h);
}

#endif
