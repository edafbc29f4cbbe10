/* The reload layout declared in cfgmerge.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfgmerge.h"

#define CFGMERGE_NONE	((size_t)-1)

struct cfgmerge {
	const struct config *old;
	const struct config *next;
	struct config	*out;
	size_t		pool_copy[CONFIG_MAX_POOLS];	/* old slot -> out */
	size_t		policy_copy[CONFIG_MAX_POLICIES];
	size_t		placed[CONFIG_MAX_TGROUPS];	/* next slot -> out */
	bool		taken[CONFIG_MAX_TGROUPS];	/* out slots */
	char		*err;
	size_t		errlen;
};

bool
cfgmerge_pool_leases(const struct config_pool *p, uint32_t addr)
{
	uint32_t mask, net;
	size_t i;

	if (addr < p->first || addr > p->last)
		return (false);

	/* pool_new never leases a network's own or broadcast address. */
	if (p->prefix >= 0 && p->prefix < 31) {
		mask = p->prefix == 0 ? 0 : 0xffffffffu << (32 - p->prefix);
		net = p->first & mask;
		if (addr == net || addr == (net | ~mask))
			return (false);
	}
	for (i = 0; i < p->nexclude; i++)
		if (p->exclude[i] == addr)
			return (false);
	return (true);
}

static size_t
cfgmerge_find_pool(const struct config *cfg, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return (i);
	return (CFGMERGE_NONE);
}

static size_t
cfgmerge_find_policy(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->npolicies; i++)
		if (strcmp(cfg->policies[i].name, name) == 0)
			return (i);
	return (CFGMERGE_NONE);
}

static size_t
cfgmerge_find_tgroup(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ntgroups; i++)
		if (strcmp(cfg->tgroups[i].name, name) == 0)
			return (i);
	return (CFGMERGE_NONE);
}

static int
cfgmerge_full(struct cfgmerge *m, int max, const char *what)
{
	snprintf(m->err, m->errlen, "the new file's %s and the removed ones "
	    "that sessions still use are more than %d; end those sessions "
	    "or restart", what, max);
	return (-ENOSPC);
}

/* The out slot of a retired copy of old pool k, added on first use. */
static int
cfgmerge_pool_copy(struct cfgmerge *m, size_t k, size_t *slot)
{
	struct config *out = m->out;

	if (m->pool_copy[k] == CFGMERGE_NONE) {
		if (out->npools == CONFIG_MAX_POOLS)
			return (cfgmerge_full(m, CONFIG_MAX_POOLS, "pools"));
		out->pools[out->npools] = m->old->pools[k];
		out->pools[out->npools].retired = true;
		m->pool_copy[k] = out->npools++;
	}
	*slot = m->pool_copy[k];
	return (0);
}

static int
cfgmerge_policy_copy(struct cfgmerge *m, size_t k, size_t *slot)
{
	struct config *out = m->out;

	if (m->policy_copy[k] == CFGMERGE_NONE) {
		if (out->npolicies == CONFIG_MAX_POLICIES)
			return (cfgmerge_full(m, CONFIG_MAX_POLICIES,
			    "group-policies"));
		out->policies[out->npolicies] = m->old->policies[k];
		m->policy_copy[k] = out->npolicies++;
	}
	*slot = m->policy_copy[k];
	return (0);
}

/*
 * Each lease goes to the new pool that can lease its address; the pools
 * of one file never overlap, so there is at most one.
 */
static int
cfgmerge_leases(struct cfgmerge *m, struct cfgmerge_lease *leases,
    size_t nleases)
{
	const struct config *next = m->next;
	size_t i, j;
	int rc;

	for (i = 0; i < nleases; i++) {
		for (j = 0; j < next->npools; j++)
			if (cfgmerge_pool_leases(&next->pools[j],
			    leases[i].addr))
				break;
		if (j < next->npools) {
			leases[i].new_pool = j;
			continue;
		}
		if (leases[i].pool >= m->old->npools)
			return (-EINVAL);
		rc = cfgmerge_pool_copy(m, leases[i].pool, &leases[i].new_pool);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/*
 * Keep old tunnel-group i as a retired entry. Its pool and group-policy
 * are the new file's ones of the same name, or retired copies of the old.
 */
static int
cfgmerge_retire(struct cfgmerge *m, size_t i)
{
	const struct config_tgroup *tg = &m->old->tgroups[i];
	struct config_tgroup *dst = &m->out->tgroups[i];
	size_t pool, policy;
	int rc;

	pool = cfgmerge_find_pool(m->next, m->next->npools,
	    m->old->pools[tg->pool].name);
	if (pool == CFGMERGE_NONE &&
	    (rc = cfgmerge_pool_copy(m, tg->pool, &pool)) != 0)
		return (rc);
	policy = cfgmerge_find_policy(m->next,
	    m->old->policies[tg->policy].name);
	if (policy == CFGMERGE_NONE &&
	    (rc = cfgmerge_policy_copy(m, tg->policy, &policy)) != 0)
		return (rc);
	*dst = *tg;
	dst->retired = true;
	dst->nurls = 0;
	memset(dst->urls, 0, sizeof(dst->urls));
	dst->pool = pool;
	dst->policy = policy;
	return (0);
}

/* Slots in use keep their group, the new one by name or the retired. */
static int
cfgmerge_pin_tgroups(struct cfgmerge *m, const bool *used)
{
	const struct config *old = m->old;
	size_t i, j;
	int rc;

	for (i = 0; i < old->ntgroups; i++) {
		if (!used[i])
			continue;
		m->taken[i] = true;
		j = cfgmerge_find_tgroup(m->next, old->tgroups[i].name);
		if (j != CFGMERGE_NONE && m->placed[j] == CFGMERGE_NONE) {
			m->out->tgroups[i] = m->next->tgroups[j];
			m->placed[j] = i;
		} else if ((rc = cfgmerge_retire(m, i)) != 0) {
			return (rc);
		}
	}
	return (0);
}

/*
 * The other new groups take the lowest free slots. A free slot below the
 * highest slot in use gets a retired copy of its old group, which no
 * session or login uses, so that every slot below ntgroups is valid.
 */
static int
cfgmerge_place_tgroups(struct cfgmerge *m)
{
	struct config *out = m->out;
	size_t i, j, slot = 0;
	int rc;

	for (j = 0; j < m->next->ntgroups; j++) {
		if (m->placed[j] != CFGMERGE_NONE)
			continue;
		while (slot < CONFIG_MAX_TGROUPS && m->taken[slot])
			slot++;
		if (slot == CONFIG_MAX_TGROUPS)
			return (cfgmerge_full(m, CONFIG_MAX_TGROUPS,
			    "tunnel-groups"));
		out->tgroups[slot] = m->next->tgroups[j];
		m->placed[j] = slot;
		m->taken[slot] = true;
	}
	out->ntgroups = 0;
	for (i = 0; i < CONFIG_MAX_TGROUPS; i++)
		if (m->taken[i])
			out->ntgroups = i + 1;
	for (i = 0; i < out->ntgroups; i++)
		if (!m->taken[i] && (rc = cfgmerge_retire(m, i)) != 0)
			return (rc);
	return (0);
}

int
cfgmerge_build(const struct config *old, const struct config *next,
    const bool tgroup_used[CONFIG_MAX_TGROUPS],
    struct cfgmerge_lease *leases, size_t nleases, struct config *out,
    char *err, size_t errlen)
{
	struct cfgmerge m = { .old = old, .next = next, .out = out,
	    .err = err, .errlen = errlen };
	size_t i;
	int rc;

	memset(m.pool_copy, 0xff, sizeof(m.pool_copy));
	memset(m.policy_copy, 0xff, sizeof(m.policy_copy));
	memset(m.placed, 0xff, sizeof(m.placed));
	*out = *next;
	memset(out->tgroups, 0, sizeof(out->tgroups));
	if ((rc = cfgmerge_leases(&m, leases, nleases)) != 0 ||
	    (rc = cfgmerge_pin_tgroups(&m, tgroup_used)) != 0 ||
	    (rc = cfgmerge_place_tgroups(&m)) != 0) {
		if (rc == -EINVAL)
			snprintf(err, errlen, "a session's pool is not in the "
			    "running configuration");
		return (rc);
	}
	for (i = 0; i < out->nstatic_addresses; i++)
		out->static_addresses[i].tgroup =
		    m.placed[next->static_addresses[i].tgroup];
	return (0);
}
