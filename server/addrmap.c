/* The per-worker address table declared in addrmap.h. */
#include <errno.h>
#include <stdlib.h>

#include "addrmap.h"
#include "hash.h"

/* 64k sessions at four per bucket; 128 KiB of heads per worker. */
#define ADDRMAP_BUCKETS	16384

struct addrmap {
	struct addrmap_entry *buckets[ADDRMAP_BUCKETS];
};

static size_t
addrmap_bucket(uint32_t addr)
{
	return (hash_bytes(&addr, sizeof(addr)) % ADDRMAP_BUCKETS);
}

struct addrmap *
addrmap_new(void)
{
	return (calloc(1, sizeof(struct addrmap)));
}

void
addrmap_free(struct addrmap *m)
{
	struct addrmap_entry *e, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < ADDRMAP_BUCKETS; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m);
}

struct addrmap_entry *
addrmap_find(const struct addrmap *m, uint32_t addr)
{
	struct addrmap_entry *e = m->buckets[addrmap_bucket(addr)];

	while (e != NULL && e->addr != addr)
		e = e->next;
	return (e);
}

int
addrmap_set_owner(struct addrmap *m, uint32_t addr, size_t owner)
{
	struct addrmap_entry *e = addrmap_find(m, addr);
	size_t b;

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return (-ENOMEM);
		b = addrmap_bucket(addr);
		e->addr = addr;
		e->next = m->buckets[b];
		m->buckets[b] = e;
	}

	/* A tunnel stays only while its own worker keeps the address. */
	if (e->owner != owner)
		e->tunnel = NULL;
	e->owner = owner;
	return (0);
}

void
addrmap_remove(struct addrmap *m, uint32_t addr)
{
	struct addrmap_entry **pp = &m->buckets[addrmap_bucket(addr)];
	struct addrmap_entry *e;

	for (; (e = *pp) != NULL; pp = &e->next) {
		if (e->addr == addr) {
			*pp = e->next;
			free(e);
			return;
		}
	}
}
