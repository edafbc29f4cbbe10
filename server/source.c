/* Per-source accounting, declared in source.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "source.h"

#define SOURCE_BUCKETS	4096	/* power of two */

struct source {
	char		address[SOURCE_ADDR_MAX];
	int		count[2];	/* by enum source_kind */
	struct source	*next;
};

struct source_table {
	struct source	*buckets[SOURCE_BUCKETS];
};

static size_t
source_hash(const char *address)
{
	return (hash_text(address, SIZE_MAX) & (SOURCE_BUCKETS - 1));
}

struct source_table *
source_table_new(void)
{
	return (calloc(1, sizeof(struct source_table)));
}

static struct source **
source_slot(struct source_table *t, const char *address)
{
	struct source **pp = &t->buckets[source_hash(address)];

	while (*pp != NULL && strcmp((*pp)->address, address) != 0)
		pp = &(*pp)->next;
	return (pp);
}

bool
source_add(struct source_table *t, const char *address,
    enum source_kind kind, int limit)
{
	struct source **pp = source_slot(t, address), *s = *pp;

	if (s == NULL) {
		if (strlen(address) >= SOURCE_ADDR_MAX ||
		    (s = calloc(1, sizeof(*s))) == NULL)
			return (false);
		strcpy(s->address, address);
		*pp = s;
	}
	if (limit > 0 && s->count[kind] >= limit)
		return (false);
	s->count[kind]++;
	return (true);
}

void
source_del(struct source_table *t, const char *address,
    enum source_kind kind)
{
	struct source **pp = source_slot(t, address), *s = *pp;

	if (s == NULL || s->count[kind] == 0)
		return;
	s->count[kind]--;
	if (s->count[SOURCE_CONNECTION] == 0 && s->count[SOURCE_LOGIN] == 0) {
		*pp = s->next;
		free(s);
	}
}

int
source_count(struct source_table *t, const char *address,
    enum source_kind kind)
{
	struct source *s = *source_slot(t, address);

	return (s != NULL ? s->count[kind] : 0);
}
