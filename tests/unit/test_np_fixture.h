/*
 * A network process without sockets for the lease and lifecycle tests:
 * a configuration loaded from the test's text, an event base, the
 * session table, the pools with their static addresses reserved, and
 * the sticky lease table. Sessions have no tunnel.
 */
#ifndef TEST_NP_FIXTURE_H
#define TEST_NP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "lease.h"
#include "netproc.h"
#include "pool.h"
#include "session.h"

#define NP_FIXTURE_FN	static __attribute__((unused))

struct np_fixture {
	struct netproc	np;
	struct config	*cfg;
	char		dir[64];
	char		path[128];
};

NP_FIXTURE_FN void
np_fixture_config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "config: %s\n", message);
}

NP_FIXTURE_FN void
np_fixture_load(struct np_fixture *fx, const char *text)
{
	FILE *f;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-np.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/headend.conf", fx->dir);
	f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load(fx->path, &fx->cfg,
	    np_fixture_config_error, NULL), 0);
}

NP_FIXTURE_FN struct np_fixture *
np_fixture_new(const char *config_text, size_t sticky_max)
{
	struct np_fixture *fx = calloc(1, sizeof(*fx));
	const struct config_pool *p;
	size_t i;

	assert_non_null(fx);
	np_fixture_load(fx, config_text);
	fx->np.cfg = fx->cfg;
	fx->np.parent_fd = -1;
	fx->np.base = event_base_new();
	assert_non_null(fx->np.base);
	fx->np.sessions = sessions_new(&fx->np);
	assert_non_null(fx->np.sessions);
	fx->np.leases = lease_table_new(sticky_max);
	assert_non_null(fx->np.leases);
	for (i = 0; i < fx->cfg->npools; i++) {
		p = &fx->cfg->pools[i];
		fx->np.pools[i] = pool_new(p->first, p->last, p->prefix,
		    p->exclude, p->nexclude);
		assert_non_null(fx->np.pools[i]);
		assert_int_equal(lease_reserve_static(fx->np.pools[i],
		    fx->cfg, i), 0);
	}
	return (fx);
}

/* Log user in to tunnel-group tgroup with an address from lease_take. */
NP_FIXTURE_FN struct session *
np_fixture_login(struct np_fixture *fx, const char *user, size_t tgroup,
    enum lease_kind *kind)
{
	size_t pool = fx->cfg->tgroups[tgroup].pool;
	enum lease_kind ignored;
	struct session *se;
	uint32_t addr;

	assert_int_equal(lease_take(&fx->np, user, tgroup, &addr,
	    kind != NULL ? kind : &ignored), 0);
	se = session_create(fx->np.sessions, user, tgroup, pool, addr,
	    "198.18.0.2:40000");
	assert_non_null(se);
	return (se);
}

NP_FIXTURE_FN void
np_fixture_free(struct np_fixture *fx)
{
	struct session *se;
	size_t i;

	while ((se = TAILQ_FIRST(sessions_list(fx->np.sessions))) != NULL)
		session_destroy(se, "test over");
	for (i = 0; i < fx->cfg->npools; i++)
		pool_free(fx->np.pools[i]);
	lease_table_free(fx->np.leases);
	free(fx->np.sessions);
	event_base_free(fx->np.base);
	config_free(fx->cfg);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
}

#endif
