/* The keyed table hash declared in hash.h. */
#include <string.h>

#include <sodium.h>

#include "hash.h"

/*
 * Written once by hash_init before any thread or child starts, and only
 * read afterwards. Tests that skip hash_init hash with the zero key.
 */
static unsigned char hash_key[crypto_shorthash_KEYBYTES];

int
hash_init(void)
{
	if (sodium_init() < 0)
		return (-1);
	crypto_shorthash_keygen(hash_key);
	return (0);
}

uint32_t
hash_bytes(const void *data, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint32_t h;

	crypto_shorthash(out, data, len, hash_key);
	memcpy(&h, out, sizeof(h));
	return (h);
}

uint32_t
hash_text(const char *text, size_t max)
{
	return (hash_bytes(text, strnlen(text, max)));
}

uint32_t
hash_pair(const void *first, size_t first_len, const void *second,
    size_t second_len)
{
	unsigned char key[HASH_PAIR_MAX];
	size_t len = 0, n;

	n = first_len < sizeof(key) - 1 ? first_len : sizeof(key) - 1;
	memcpy(key, first, n);
	len = n;
	key[len++] = 0xff;	/* not a byte of UTF-8 or of an address */
	n = second_len < sizeof(key) - len ? second_len : sizeof(key) - len;
	memcpy(key + len, second, n);
	return (hash_bytes(key, len + n));
}
