/*
 * Unit tests for common/hash.c: the table hash depends on the process's
 * random key, so a collision found without the key does not carry over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

#define FNV_INIT	2166136261u
#define FNV_PRIME	16777619u
#define SEARCH_MAX	300000

struct probe {
	uint32_t	fnv;
	uint32_t	index;
};

/* 32-bit FNV-1a: a well-known unkeyed hash, for the collision search. */
static uint32_t
fnv1a(const char *text)
{
	uint32_t h = FNV_INIT;

	for (; *text != '\0'; text++)
		h = (h ^ (uint8_t)*text) * FNV_PRIME;
	return (h);
}

static int
probe_compare(const void *a, const void *b)
{
	const struct probe *pa = a, *pb = b;

	if (pa->fnv != pb->fnv)
		return (pa->fnv < pb->fnv ? -1 : 1);
	return (0);
}

/* The name numbered index: a fixed scramble of it, so names vary. */
static void
probe_name(uint32_t index, char *name, size_t size)
{
	uint32_t mixed = index * 2654435761u;

	snprintf(name, size, "u%08x%05u", mixed ^ 0x5bd1e995u, index);
}

/* Find two names with equal FNV-1a by a birthday search; 0 on success. */
static int
fnv_collision(char *first, char *second, size_t size)
{
	struct probe *probes = calloc(SEARCH_MAX, sizeof(*probes));
	char name[32];
	uint32_t i;
	int rc = -1;

	assert_non_null(probes);
	for (i = 0; i < SEARCH_MAX; i++) {
		probe_name(i, name, sizeof(name));
		probes[i].fnv = fnv1a(name);
		probes[i].index = i;
	}
	qsort(probes, SEARCH_MAX, sizeof(*probes), probe_compare);
	for (i = 1; i < SEARCH_MAX && rc != 0; i++) {
		if (probes[i].fnv != probes[i - 1].fnv)
			continue;
		probe_name(probes[i - 1].index, first, size);
		probe_name(probes[i].index, second, size);
		rc = 0;
	}
	free(probes);
	return (rc);
}

static void
test_hash_unkeyed_collision_gone(void **state)
{
	char first[32], second[32];

	(void)state;
	assert_int_equal(hash_init(), 0);
	assert_int_equal(fnv_collision(first, second, sizeof(first)), 0);
	assert_int_equal(fnv1a(first), fnv1a(second));
	assert_int_not_equal(hash_text(first, SIZE_MAX),
	    hash_text(second, SIZE_MAX));
}

/* A new key changes the hashes: at least one of eight differs. */
static void
test_hash_depends_on_key(void **state)
{
	uint32_t before[8];
	char name[16];
	int i, changed = 0;

	(void)state;
	assert_int_equal(hash_init(), 0);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "key%d", i);
		before[i] = hash_text(name, SIZE_MAX);
		assert_int_equal(hash_text(name, SIZE_MAX), before[i]);
	}
	assert_int_equal(hash_init(), 0);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "key%d", i);
		changed += hash_text(name, SIZE_MAX) != before[i];
	}
	assert_true(changed > 0);
}

static void
test_hash_text_stops_at_max(void **state)
{
	(void)state;
	assert_int_equal(hash_text("abcdef", 3), hash_bytes("abc", 3));
	assert_int_equal(hash_text("abc", SIZE_MAX), hash_bytes("abc", 3));
}

static void
test_hash_pair_keeps_split(void **state)
{
	(void)state;
	assert_int_not_equal(hash_pair("ab", 2, "c", 1),
	    hash_pair("a", 1, "bc", 2));
	assert_int_equal(hash_pair("ab", 2, "c", 1),
	    hash_pair("ab", 2, "c", 1));
}

/* A key longer than HASH_PAIR_MAX is cut, not overrun. */
static void
test_hash_pair_long_key(void **state)
{
	static char big[2 * HASH_PAIR_MAX];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(hash_pair(big, sizeof(big), "u", 1),
	    hash_pair(big, sizeof(big), "v", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_unkeyed_collision_gone),
		cmocka_unit_test(test_hash_depends_on_key),
		cmocka_unit_test(test_hash_text_stops_at_max),
		cmocka_unit_test(test_hash_pair_keeps_split),
		cmocka_unit_test(test_hash_pair_long_key),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
