#include <errno.h>
#include <stdlib.h>

#include "pool.h"

#define POOL_WORD_BITS	64

struct pool {
	uint32_t	first;
	size_t		count;	/* addresses in first..last */
	size_t		leasable;
	size_t		used;
	size_t		reserved_count;
	size_t		hint;	/* every index below it is busy or reserved */
	size_t		nwords;
	uint64_t	*blocked;	/* never leasable */
	uint64_t	*busy;		/* blocked or leased */
	uint64_t	*reserved;	/* leased only by pool_lease_addr */
	uint64_t	words[];	/* storage for the three bitmaps */
};

static bool
pool_bit_test(const uint64_t *map, size_t index)
{
	return (map[index / POOL_WORD_BITS] >> (index % POOL_WORD_BITS)) & 1;
}

static void
pool_bit_set(uint64_t *map, size_t index)
{
	map[index / POOL_WORD_BITS] |= 1ull << (index % POOL_WORD_BITS);
}

static void
pool_bit_clear(uint64_t *map, size_t index)
{
	map[index / POOL_WORD_BITS] &= ~(1ull << (index % POOL_WORD_BITS));
}

static void
pool_block(struct pool *p, uint32_t addr)
{
	size_t index;

	if (!pool_contains(p, addr))
		return;

	index = addr - p->first;
	if (pool_bit_test(p->blocked, index))
		return;

	pool_bit_set(p->blocked, index);
	pool_bit_set(p->busy, index);
	p->leasable--;
}

/*
 * Mark the bits past the last address busy, so the lease scan can treat
 * whole words alike and never returns an index beyond the range.
 */
static void
pool_block_tail(struct pool *p)
{
	size_t index;

	for (index = p->count; index < p->nwords * POOL_WORD_BITS; index++)
		pool_bit_set(p->busy, index);
}

static int
pool_check_range(uint32_t first, uint32_t last, int prefix)
{
	uint32_t mask;

	if (first > last || prefix > 32)
		return -EINVAL;
	if ((uint64_t)last - first + 1 > POOL_ADDRESSES_MAX)
		return -E2BIG;
	if (prefix < 0)
		return 0;

	mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
	if ((first & mask) != (last & mask))
		return -EINVAL;
	return 0;
}

static void
pool_block_network(struct pool *p, uint32_t first, int prefix)
{
	uint32_t mask;

	if (prefix < 0 || prefix >= 31)
		return;

	mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
	pool_block(p, first & mask);
	pool_block(p, (first & mask) | ~mask);
}

struct pool *
pool_new(uint32_t first, uint32_t last, int prefix,
    const uint32_t *excluded, size_t nexcluded)
{
	struct pool *p;
	size_t count, nwords, i;
	int rc;

	rc = pool_check_range(first, last, prefix);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}

	count = (size_t)(last - first) + 1;
	nwords = (count + POOL_WORD_BITS - 1) / POOL_WORD_BITS;
	p = calloc(1, sizeof(*p) + 3 * nwords * sizeof(uint64_t));
	if (p == NULL)
		return NULL;

	p->first = first;
	p->count = count;
	p->leasable = count;
	p->nwords = nwords;
	p->blocked = p->words;
	p->busy = p->words + nwords;
	p->reserved = p->words + 2 * nwords;

	pool_block_tail(p);
	pool_block_network(p, first, prefix);
	for (i = 0; i < nexcluded; i++)
		pool_block(p, excluded[i]);
	return p;
}

void
pool_free(struct pool *p)
{
	free(p);
}

int
pool_lease(struct pool *p, uint32_t *addr)
{
	size_t word, index;

	for (word = p->hint / POOL_WORD_BITS; word < p->nwords; word++) {
		if ((p->busy[word] | p->reserved[word]) != ~0ull)
			break;
	}
	if (word == p->nwords) {
		p->hint = p->count;
		return -ENOSPC;
	}

	index = word * POOL_WORD_BITS +
	    (size_t)__builtin_ctzll(~(p->busy[word] | p->reserved[word]));
	pool_bit_set(p->busy, index);
	p->used++;
	p->hint = index + 1;
	*addr = p->first + (uint32_t)index;
	return 0;
}

int
pool_lease_addr(struct pool *p, uint32_t addr)
{
	size_t index;

	if (!pool_contains(p, addr))
		return -EINVAL;

	index = addr - p->first;
	if (pool_bit_test(p->blocked, index))
		return -EINVAL;
	if (pool_bit_test(p->busy, index))
		return -EADDRINUSE;

	pool_bit_set(p->busy, index);
	p->used++;
	return 0;
}

int
pool_release(struct pool *p, uint32_t addr)
{
	size_t index;

	if (!pool_contains(p, addr))
		return -EINVAL;

	index = addr - p->first;
	if (pool_bit_test(p->blocked, index) ||
	    !pool_bit_test(p->busy, index))
		return -EINVAL;

	pool_bit_clear(p->busy, index);
	p->used--;
	if (index < p->hint)
		p->hint = index;
	return 0;
}

int
pool_reserve(struct pool *p, uint32_t addr)
{
	size_t index;

	if (!pool_contains(p, addr))
		return -EINVAL;

	index = addr - p->first;
	if (pool_bit_test(p->blocked, index))
		return -EINVAL;
	if (pool_bit_test(p->reserved, index))
		return 0;

	pool_bit_set(p->reserved, index);
	p->reserved_count++;
	return 0;
}

bool
pool_is_reserved(const struct pool *p, uint32_t addr)
{
	return pool_contains(p, addr) &&
	    pool_bit_test(p->reserved, addr - p->first);
}

size_t
pool_reserved(const struct pool *p)
{
	return p->reserved_count;
}

bool
pool_contains(const struct pool *p, uint32_t addr)
{
	return addr >= p->first && (size_t)(addr - p->first) < p->count;
}

size_t
pool_size(const struct pool *p)
{
	return p->leasable;
}

size_t
pool_used(const struct pool *p)
{
	return p->used;
}
