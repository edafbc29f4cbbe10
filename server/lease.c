/* Static and sticky address leases, declared in lease.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "config.h"
#include "hash.h"
#include "lease.h"
#include "netproc.h"
#include "pool.h"

#define LEASE_BUCKETS	4096	/* power of two */

struct lease_entry {
	TAILQ_ENTRY(lease_entry) le_lru;
	struct lease_entry *le_next;	/* in the same bucket */
	size_t		le_pool;
	uint32_t	le_addr;	/* host order */
	char		le_user[];
};

struct lease_table {
	size_t		count;
	size_t		max;
	TAILQ_HEAD(lease_lru, lease_entry) lru;	/* most recent first */
	struct lease_entry *buckets[LEASE_BUCKETS];
};

struct lease_table *
lease_table_new(size_t max)
{
	struct lease_table *lt;

	if ((lt = calloc(1, sizeof(*lt))) == NULL)
		return (NULL);
	lt->max = max;
	TAILQ_INIT(&lt->lru);
	return (lt);
}

void
lease_table_free(struct lease_table *lt)
{
	struct lease_entry *le;

	if (lt == NULL)
		return;
	while ((le = TAILQ_FIRST(&lt->lru)) != NULL) {
		TAILQ_REMOVE(&lt->lru, le, le_lru);
		free(le);
	}
	free(lt);
}

size_t
lease_table_count(const struct lease_table *lt)
{
	return (lt->count);
}

/* Hash the pool index and the username together. */
static size_t
lease_bucket(size_t pool, const char *user)
{
	uint32_t index = (uint32_t)pool;

	return (hash_pair(&index, sizeof(index), user, strlen(user)) &
	    (LEASE_BUCKETS - 1));
}

static struct lease_entry **
lease_slot(struct lease_table *lt, size_t pool, const char *user)
{
	struct lease_entry **pp = &lt->buckets[lease_bucket(pool, user)];

	for (; *pp != NULL; pp = &(*pp)->le_next) {
		if ((*pp)->le_pool == pool && strcmp((*pp)->le_user, user) == 0)
			break;
	}
	return (pp);
}

static void
lease_evict_oldest(struct lease_table *lt)
{
	struct lease_entry *le = TAILQ_LAST(&lt->lru, lease_lru);
	struct lease_entry **pp;

	pp = lease_slot(lt, le->le_pool, le->le_user);
	*pp = le->le_next;
	TAILQ_REMOVE(&lt->lru, le, le_lru);
	lt->count--;
	free(le);
}

int
lease_remember(struct lease_table *lt, size_t pool, const char *user,
    uint32_t addr)
{
	struct lease_entry **pp = lease_slot(lt, pool, user);
	struct lease_entry *le = *pp;
	size_t len = strlen(user) + 1;

	if (le != NULL) {
		le->le_addr = addr;
		TAILQ_REMOVE(&lt->lru, le, le_lru);
		TAILQ_INSERT_HEAD(&lt->lru, le, le_lru);
		return (0);
	}
	if (lt->max == 0)
		return (-ENOSPC);
	if ((le = malloc(sizeof(*le) + len)) == NULL)
		return (-ENOMEM);
	if (lt->count == lt->max) {
		lease_evict_oldest(lt);
		pp = lease_slot(lt, pool, user);
	}
	le->le_pool = pool;
	le->le_addr = addr;
	memcpy(le->le_user, user, len);
	le->le_next = NULL;
	*pp = le;
	TAILQ_INSERT_HEAD(&lt->lru, le, le_lru);
	lt->count++;
	return (0);
}

int
lease_recall(struct lease_table *lt, size_t pool, const char *user,
    uint32_t *addr)
{
	struct lease_entry *le = *lease_slot(lt, pool, user);

	if (le == NULL)
		return (-ENOENT);
	*addr = le->le_addr;
	return (0);
}

int
lease_reserve_static(struct pool *p, const struct config *cfg, size_t pool)
{
	const struct config_static_address *st;
	size_t i;
	int rc;

	for (i = 0; i < cfg->nstatic_addresses; i++) {
		st = &cfg->static_addresses[i];
		if (cfg->tgroups[st->tgroup].pool != pool)
			continue;
		if ((rc = pool_reserve(p, st->address)) != 0)
			return (rc);
	}
	return (0);
}

static const struct config_static_address *
lease_find_static(const struct config *cfg, const char *user, size_t tgroup)
{
	const struct config_static_address *st;
	size_t i;

	for (i = 0; i < cfg->nstatic_addresses; i++) {
		st = &cfg->static_addresses[i];
		if (st->tgroup == tgroup && strcmp(st->user, user) == 0)
			return (st);
	}
	return (NULL);
}

/*
 * NOTE: pool_lease hands out the lowest free address, so once a user's
 * previous address is the lowest free one, the next login of any user
 * takes it. Sticky leases work while lower addresses are busy.
 */
int
lease_take(struct netproc *np, const char *user, size_t tgroup,
    uint32_t *addr, enum lease_kind *kind)
{
	const struct config *cfg = np->cfg;
	size_t index = cfg->tgroups[tgroup].pool;
	struct pool *p = np->pools[index];
	const struct config_static_address *st;
	uint32_t a;
	int rc;

	st = lease_find_static(cfg, user, tgroup);
	if (st != NULL && pool_lease_addr(p, st->address) == 0) {
		*addr = st->address;
		*kind = LEASE_STATIC;
		return (0);
	}
	*kind = st != NULL ? LEASE_STATIC_IN_USE : LEASE_DYNAMIC;
	if (lease_recall(np->leases, index, user, &a) == 0 &&
	    !pool_is_reserved(p, a) && pool_lease_addr(p, a) == 0) {
		*kind = LEASE_STICKY;
	} else if ((rc = pool_lease(p, &a)) != 0) {
		return (rc);
	}
	/* Without memory for it, the address is only not sticky. */
	(void)lease_remember(np->leases, index, user, a);
	*addr = a;
	return (0);
}

const char *
lease_kind_name(enum lease_kind kind)
{
	switch (kind) {
	case LEASE_STATIC:
		return ("the user's static address");
	case LEASE_STATIC_IN_USE:
		return ("the static address is held by another session");
	case LEASE_STICKY:
		return ("the user's previous address");
	default:
		return ("the lowest free address");
	}
}
