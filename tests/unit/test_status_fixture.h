/*
 * A network process without sockets for the status and metrics tests:
 * a configuration loaded from a temporary file, an event base, the
 * session table and the pools. Sessions are made with session_create and
 * have no tunnel, so logoff and the counters can run without clients.
 */
#ifndef TEST_STATUS_FIXTURE_H
#define TEST_STATUS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "ban.h"
#include "config.h"
#include "metrics.h"
#include "netproc.h"
#include "pool.h"
#include "session.h"
#include "status.h"

/* Each test file uses some of the helpers below. */
#define FIXTURE_FN	static __attribute__((unused))

static const char fixture_config[] =
    "user = \"headend\";\n"
    "listeners = ( { certificate = \"server.crt\"; key = \"server.key\";"
    " } );\n"
    "tun = { address = \"198.19.255.1\"; };\n"
    "pools = ( { name = \"staff\"; network = \"198.19.0.0/24\"; },\n"
    "  { name = \"lab\"; range = \"198.19.1.10-198.19.1.20\"; } );\n"
    "group-policies = ( { name = \"all\"; } );\n"
    "tunnel-groups = (\n"
    "  { name = \"staff\"; group-urls = [ \"https://vpn.example.net/staff\","
    " \"https://vpn.example.net/s\" ]; authentication = \"password\";"
    " pool = \"staff\"; group-policy = \"all\"; },\n"
    "  { name = \"lab\"; group-urls = [ \"https://vpn.example.net/lab\" ];"
    " authentication = \"password\"; pool = \"lab\";"
    " group-policy = \"all\"; } );\n"
    "metrics = { port = 9443; };\n";

struct fixture {
	struct netproc	np;
	struct config	*cfg;
	char		dir[64];
	char		path[128];
};

FIXTURE_FN void
fixture_config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "config: %s\n", message);
}

FIXTURE_FN void
fixture_load_config(struct fixture *fx)
{
	FILE *f;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-status.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/headend.conf", fx->dir);
	f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(fixture_config, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load(fx->path, &fx->cfg, fixture_config_error,
	    NULL), 0);
}

FIXTURE_FN struct fixture *
fixture_new(void)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const struct config_pool *p;
	size_t i;

	assert_non_null(fx);
	fixture_load_config(fx);
	fx->np.cfg = fx->cfg;
	fx->np.started = time(NULL) - 60;
	fx->np.parent_fd = -1;
	fx->np.base = event_base_new();
	assert_non_null(fx->np.base);
	fx->np.sessions = sessions_new(&fx->np);
	assert_non_null(fx->np.sessions);
	for (i = 0; i < fx->cfg->npools; i++) {
		p = &fx->cfg->pools[i];
		fx->np.pools[i] = pool_new(p->first, p->last, p->prefix,
		    p->exclude, p->nexclude);
		assert_non_null(fx->np.pools[i]);
	}
	fx->np.bans = ban_table_new(&(struct ban_limits){ .user_threshold = 5,
	    .address_threshold = 30, .ban_seconds = 300,
	    .decay_seconds = 60 });
	assert_non_null(fx->np.bans);
	fx->np.status = calloc(1, sizeof(*fx->np.status));
	assert_non_null(fx->np.status);
	TAILQ_INIT(&fx->np.status->conns);
	return (fx);
}

/* Log in user to tunnel-group tgroup with the pool's lowest address. */
FIXTURE_FN struct session *
fixture_login(struct fixture *fx, const char *user, size_t tgroup)
{
	size_t pool = fx->cfg->tgroups[tgroup].pool;
	struct session *se;
	uint32_t addr;

	assert_int_equal(pool_lease(fx->np.pools[pool], &addr), 0);
	se = session_create(fx->np.sessions, user, tgroup, pool, addr,
	    "198.18.0.2:40000");
	assert_non_null(se);
	return (se);
}

FIXTURE_FN void
fixture_free(struct fixture *fx)
{
	struct session *se;
	size_t i;

	while ((se = TAILQ_FIRST(sessions_list(fx->np.sessions))) != NULL)
		session_destroy(se, "test over");
	metrics_http_stop(&fx->np);
	free(fx->np.metrics_http);
	for (i = 0; i < fx->cfg->npools; i++)
		pool_free(fx->np.pools[i]);
	free(fx->np.sessions);
	status_stop(&fx->np);
	ban_table_free(fx->np.bans);
	event_base_free(fx->np.base);
	config_free(fx->cfg);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
}

/* Run line as a peer with the given access; the caller puts the reply. */
FIXTURE_FN json_object *
fixture_run(struct fixture *fx, enum status_access access, const char *line)
{
	struct status_request req = { .np = &fx->np, .access = access,
	    .uid = access == STATUS_ACCESS_ADMIN ? 0 : 1000, .pid = 42 };

	return (status_command(&req, line));
}

/*
 * Serialize a reply as the socket does and parse it back with json-c's
 * strict mode and UTF-8 validation, so the text is valid JSON.
 */
FIXTURE_FN json_object *
fixture_reparse(json_object *reply)
{
	const char *text = json_object_to_json_string_ext(reply,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_tokener *tok = json_tokener_new();
	json_object *parsed;

	assert_non_null(tok);
	assert_null(strchr(text, '\n'));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	parsed = json_tokener_parse_ex(tok, text, (int)strlen(text));
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	assert_non_null(parsed);
	json_tokener_free(tok);
	return (parsed);
}

/* The "code" of an error reply, or NULL for a successful one. */
FIXTURE_FN const char *
fixture_error_code(json_object *reply)
{
	json_object *code;

	if (!json_object_object_get_ex(reply, "code", &code))
		return (NULL);
	return (json_object_get_string(code));
}

FIXTURE_FN json_object *
fixture_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return (v);
}

#endif
