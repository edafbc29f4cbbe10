/* The routes of the pools, declared in poolroute.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "poolroute.h"
#include "tun.h"

struct poolroute {
	struct poolroute_block	stale[POOLROUTE_STALE_MAX];
	size_t			nstale;
};

/* The last address of a block. */
static uint32_t
poolroute_last(const struct poolroute_block *b)
{
	return ((uint32_t)(b->net | ((1ull << (32 - b->prefix)) - 1)));
}

size_t
poolroute_split(uint32_t first, uint32_t last, struct poolroute_block *out)
{
	uint64_t a = first, size;
	size_t n = 0;
	int prefix;

	while (a <= last && n < POOLROUTE_SPLIT_MAX) {
		/* Grow the block while aligned and inside the range. */
		prefix = 32;
		while (prefix > 0) {
			size = 1ull << (33 - prefix);
			if ((a & (size - 1)) != 0 || a + size - 1 > last)
				break;
			prefix--;
		}
		out[n++] = (struct poolroute_block){ (uint32_t)a, prefix };
		a += 1ull << (32 - prefix);
	}
	return (n);
}

size_t
poolroute_pool_blocks(const struct config_pool *p,
    struct poolroute_block *out)
{
	if (p->prefix >= 0) {
		out[0] = (struct poolroute_block){ p->network, p->prefix };
		return (1);
	}
	return (poolroute_split(p->first, p->last, out));
}

struct poolroute *
poolroute_new(void)
{
	return (calloc(1, sizeof(struct poolroute)));
}

void
poolroute_free(struct poolroute *pr)
{
	free(pr);
}

bool
poolroute_pending(const struct poolroute *pr)
{
	return (pr->nstale > 0);
}

static bool
poolroute_same(const struct poolroute_block *a,
    const struct poolroute_block *b)
{
	return (a->net == b->net && a->prefix == b->prefix);
}

/* Return whether one of cfg's pools is routed by exactly block b. */
static bool
poolroute_routed(const struct config *cfg, const struct poolroute_block *b)
{
	struct poolroute_block blocks[POOLROUTE_SPLIT_MAX];
	size_t i, j, n;

	for (i = 0; i < cfg->npools; i++) {
		n = poolroute_pool_blocks(&cfg->pools[i], blocks);
		for (j = 0; j < n; j++) {
			if (poolroute_same(&blocks[j], b))
				return (true);
		}
	}
	return (false);
}

static bool
poolroute_is_stale(const struct poolroute *pr,
    const struct poolroute_block *b)
{
	size_t i;

	for (i = 0; i < pr->nstale; i++) {
		if (poolroute_same(&pr->stale[i], b))
			return (true);
	}
	return (false);
}

/* Forget the stale blocks that new routes again. */
static void
poolroute_forget_routed(struct poolroute *pr, const struct config *new)
{
	size_t i = 0;

	while (i < pr->nstale) {
		if (poolroute_routed(new, &pr->stale[i]))
			pr->stale[i] = pr->stale[--pr->nstale];
		else
			i++;
	}
}

int
poolroute_reload(struct poolroute *pr, const struct config *old,
    const struct config *new)
{
	struct poolroute_block blocks[POOLROUTE_SPLIT_MAX];
	size_t i, j, n;

	poolroute_forget_routed(pr, new);
	for (i = 0; i < old->npools; i++) {
		n = poolroute_pool_blocks(&old->pools[i], blocks);
		for (j = 0; j < n; j++) {
			if (poolroute_routed(new, &blocks[j]) ||
			    poolroute_is_stale(pr, &blocks[j]))
				continue;
			if (pr->nstale == POOLROUTE_STALE_MAX)
				return (-ENOSPC);
			pr->stale[pr->nstale++] = blocks[j];
		}
	}
	return (0);
}

/* The query of poolroute_match: an address in block, in no pool of cfg. */
struct poolroute_query {
	const struct poolroute_block	*block;
	const struct config		*cfg;
};

static bool
poolroute_match(uint32_t addr, void *arg)
{
	const struct poolroute_query *q = arg;
	size_t i;

	if (addr < q->block->net || addr > poolroute_last(q->block))
		return (false);
	for (i = 0; i < q->cfg->npools; i++) {
		if (addr >= q->cfg->pools[i].first &&
		    addr <= q->cfg->pools[i].last)
			return (false);
	}
	return (true);
}

/* Delete the route of block b and log the outcome. */
static void
poolroute_delete(const struct config *cfg, const struct poolroute_block *b)
{
	char net[INET_ADDRSTRLEN];
	struct in_addr in = { htonl(b->net) };
	int rc;

	inet_ntop(AF_INET, &in, net, sizeof(net));
	rc = tun_route_delete(cfg->tun.name, b->net, b->prefix);

	/* Gone already, as when the kernel never took it: nothing to log. */
	if (rc == -ESRCH)
		return;
	if (rc == 0)
		log_info("deleted the route of %s/%d from %s: no pool "
		    "contains it and no session uses it", net, b->prefix,
		    cfg->tun.name);
	else
		log_warnx("cannot delete the route of %s/%d from %s, which "
		    "no pool contains: %s; delete it by hand or restart "
		    "headend", net, b->prefix, cfg->tun.name, strerror(-rc));
}

void
poolroute_prune(struct poolroute *pr, const struct config *cfg,
    poolroute_any_fn *any_used, void *arg)
{
	struct poolroute_query q = { .cfg = cfg };
	size_t i = 0;

	while (i < pr->nstale) {
		q.block = &pr->stale[i];
		if (any_used(poolroute_match, &q, arg)) {
			i++;
			continue;
		}
		poolroute_delete(cfg, &pr->stale[i]);
		pr->stale[i] = pr->stale[--pr->nstale];
	}
}
