/*
 * The layout of a reloaded configuration in the running network process.
 *
 * Sessions, logins in progress and the per-group certificate state keep
 * indices into the configuration's tunnel-groups, so every tunnel-group
 * slot in use keeps its index across a reload. The slot gets the group
 * of the same name from the new file, or, when the file no longer has
 * that group, the old entry marked retired. A retired group has no
 * group-urls, so nobody logs in to it, but its sessions run on until they
 * end, by the new file's group-policy of the same name, or by a copy of
 * the old one when that is gone too. The new file's other groups fill
 * the free slots in file order.
 *
 * Pools and group-policies take the new file's order. A live lease moves
 * to the new pool that can lease its address. When no new pool can (the
 * pool shrank or was removed), a retired copy of its old pool is kept for
 * it, so the address stays taken until its session ends.
 */
#ifndef HEADEND_CFGMERGE_H
#define HEADEND_CFGMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* One leased address of a live session. */
struct cfgmerge_lease {
	uint32_t	addr;		/* host order */
	size_t		pool;		/* slot in the running configuration */
	size_t		new_pool;	/* set: slot in the merged one */
};

/*
 * Lay out next for a process that runs old. tgroup_used[i] is true when
 * tunnel-group slot i of old is in use. Writes the merged configuration
 * to *out and the new pool slot of each lease. Returns 0, or -ENOSPC with
 * err set when the slots in use and the new file's entries together pass
 * a CONFIG_MAX_ limit.
 */
int	cfgmerge_build(const struct config *old, const struct config *next,
	    const bool tgroup_used[CONFIG_MAX_TGROUPS],
	    struct cfgmerge_lease *leases, size_t nleases, struct config *out,
	    char *err, size_t errlen);

/* Whether the pool of cfg leases addr: in range, not excluded, no edge. */
bool	cfgmerge_pool_leases(const struct config_pool *p, uint32_t addr);

#endif
