/*
 * The address a new session gets. It is the user's static address in
 * the tunnel-group when one is configured and free. Otherwise it is the
 * address that the user had last in the pool, if that is free (a sticky
 * lease), and else the pool's lowest free address that is not static.
 *
 * Sticky leases are remembered per user and pool in a table of bounded
 * size, whose least recently used entry goes first when it is full.
 */
#ifndef HEADEND_LEASE_H
#define HEADEND_LEASE_H

#include <stddef.h>
#include <stdint.h>

#define LEASE_STICKY_MAX	65536	/* remembered user and pool pairs */

struct config;
struct lease_table;
struct netproc;
struct pool;

enum lease_kind {
	LEASE_STATIC,		/* the user's static address */
	LEASE_STATIC_IN_USE,	/* a free address: the static one is held */
	LEASE_STICKY,		/* the user's previous address */
	LEASE_DYNAMIC,		/* the lowest free address */
};

/* A sticky lease table of up to max entries; NULL when out of memory. */
struct lease_table *lease_table_new(size_t max);
void	lease_table_free(struct lease_table *lt);

/* Number of remembered user and pool pairs. */
size_t	lease_table_count(const struct lease_table *lt);

/* Remember that user last held addr in the pool with index pool. */
int	lease_remember(struct lease_table *lt, size_t pool, const char *user,
	    uint32_t addr);

/* The address user last held in the pool: 0, or -ENOENT. */
int	lease_recall(struct lease_table *lt, size_t pool, const char *user,
	    uint32_t *addr);

/*
 * Reserve in p, the pool with index pool of cfg, the static addresses
 * of the tunnel-groups that lease from it, so that only their users get
 * them. Returns 0 or -EINVAL for an address that p cannot lease.
 */
int	lease_reserve_static(struct pool *p, const struct config *cfg,
	    size_t pool);

/*
 * Lease an address from the pool of tgroup for user, as described at
 * the top, and remember a dynamic or sticky one. Returns 0 with the
 * address in *addr and how it was chosen in *kind, or -ENOSPC.
 */
int	lease_take(struct netproc *np, const char *user, size_t tgroup,
	    uint32_t *addr, enum lease_kind *kind);

/* A phrase for log lines, such as "the user's static address". */
const char *lease_kind_name(enum lease_kind kind);

#endif
