/*
 * The routes of the pools in the tun device. The parent routes every pool
 * into the device. A reload that removes or shrinks a pool keeps the old
 * route, because sessions may still use addresses in it. The parent keeps
 * such routes here as stale and deletes each once no session uses an
 * address that only it routes, so that the range can be used elsewhere.
 */
#ifndef HEADEND_POOLROUTE_H
#define HEADEND_POOLROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A range splits into at most 62 aligned blocks, and a network is one. */
#define POOLROUTE_SPLIT_MAX	64
#define POOLROUTE_STALE_MAX	1024	/* stale blocks kept */

/* One route: an aligned block of addresses. */
struct poolroute_block {
	uint32_t	net;		/* host order */
	int		prefix;		/* 0..32 */
};

struct poolroute;

/*
 * Split first..last into the fewest aligned blocks. Writes at most
 * POOLROUTE_SPLIT_MAX blocks to out and returns the count.
 */
size_t	poolroute_split(uint32_t first, uint32_t last,
	    struct poolroute_block *out);

/* Write the blocks that route pool p to out, as poolroute_split does. */
size_t	poolroute_pool_blocks(const struct config_pool *p,
	    struct poolroute_block *out);

struct poolroute *poolroute_new(void);
void	poolroute_free(struct poolroute *pr);

/*
 * Note as stale each block of old's pools that new's pools do not route,
 * and forget stale blocks that new's pools route again. Returns 0, or
 * -ENOSPC when POOLROUTE_STALE_MAX blocks are stale already (the rest
 * then stay routed until a restart).
 */
int	poolroute_reload(struct poolroute *pr, const struct config *old,
	    const struct config *new);

/* Return whether stale blocks wait to be deleted. */
bool	poolroute_pending(const struct poolroute *pr);

/* Return whether addr is one that poolroute_prune looks for. */
typedef bool poolroute_match_fn(uint32_t addr, void *arg);

/*
 * Return whether a session has an address for which match is true. The
 * parent looks in its session table (state_any_address).
 */
typedef bool poolroute_any_fn(poolroute_match_fn *match, void *match_arg,
    void *arg);

/*
 * Delete the route of each stale block in which no session, as any_used
 * reports, has an address outside cfg's pools. Deletions and their
 * failures are logged.
 */
void	poolroute_prune(struct poolroute *pr, const struct config *cfg,
	    poolroute_any_fn *any_used, void *arg);

#endif
