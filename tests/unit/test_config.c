/*
 * Tests for config_load. Each test writes a configuration file into a
 * mkdtemp folder and checks the parsed values or the reported errors.
 * Error tests start from base_lines, a valid file, and replace single
 * lines, so every expected line number is an index into base_lines.
 * The test of etc/headend.conf expects to run from the repository root,
 * as "make unit" does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/tls1.h>

#include "config.h"

#define ERRORS_MAX	32
#define ERROR_TEXT_MAX	1024
#define SOURCE_CONFIG	"etc/headend.conf"

/* 198.19.0.0, the first address of the test pools, in host order. */
#define POOL_NET		0xc6130000u

struct errors {
	int	count;
	char	text[ERRORS_MAX][ERROR_TEXT_MAX];
};

/* A replacement for one line of base_lines, counted from 1. */
struct edit {
	int		line;
	const char	*text;
};

static char test_dir[PATH_MAX];
static char test_file[PATH_MAX];

/* A valid file that sets some values and leaves others at the default. */
static const char *const base_lines[] = {
	/* 1 */ "# headend test configuration",
	/* 2 */ "user = \"vpn\";",
	/* 3 */ "listeners = ( {",
	/* 4 */ "  address = \"0.0.0.0\";",
	/* 5 */ "  tcp-port = 8443;",
	/* 6 */ "  certificate = \"server.crt\";",
	/* 7 */ "  key = \"/etc/ssl/server.key\";",
	/* 8 */ "  tls-min-version = \"1.2\";",
	/* 9 */ "} );",
	/* 10 */ "tun = { address = \"198.19.0.1\"; mtu = 1400; };",
	/* 11 */ "pools = (",
	/* 12 */ "  { name = \"staff\"; network = \"198.19.0.0/24\";",
	/* 13 */ "    exclude = [ \"198.19.0.10\" ]; },",
	/* 14 */ "  { name = \"lab\"; range = \"198.19.1.10-198.19.1.50\"; }",
	/* 15 */ ");",
	/* 16 */ "group-policies = (",
	/* 17 */ "  { name = \"tunnel-all\"; dns = [ \"198.19.0.1\" ]; },",
	/* 18 */ "  { name = \"split\"; split-tunnel = \"include\";",
	/* 19 */ "    routes = [ \"198.18.1.0/24\" ]; idle-timeout = 600; }",
	/* 20 */ ");",
	/* 21 */ "tunnel-groups = (",
	/* 22 */ "  { name = \"staff\";",
	/* 23 */ "    group-urls = [ \"https://vpn.example.net/staff\" ];",
	/* 24 */ "    pool = \"staff\"; group-policy = \"tunnel-all\"; },",
	/* 25 */ "  { name = \"lab\";",
	/* 26 */ "    group-urls = [ \"https://vpn.example.net/lab\" ];",
	/* 27 */ "    pam-service = \"headend\";",
	/* 28 */ "    pool = \"lab\"; group-policy = \"split\"; }",
	/* 29 */ ");",
};

#define BASE_LINES	(sizeof(base_lines) / sizeof(base_lines[0]))

static void
errors_collect(void *arg, const char *message)
{
	struct errors *errors = arg;

	if (errors->count < ERRORS_MAX)
		snprintf(errors->text[errors->count], ERROR_TEXT_MAX, "%s",
		    message);
	errors->count++;
}

/*
 * Return 1 when an error at line contains fragment. Line 0 matches any
 * line, including errors that have none.
 */
static int
errors_find(const struct errors *errors, int line, const char *fragment)
{
	char prefix[PATH_MAX + 32];
	int i;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", test_file, line);
	for (i = 0; i < errors->count && i < ERRORS_MAX; i++) {
		if (line > 0 && strncmp(errors->text[i], prefix,
		    strlen(prefix)) != 0)
			continue;
		if (strstr(errors->text[i], fragment) != NULL)
			return 1;
	}
	return 0;
}

static void
errors_print(const struct errors *errors)
{
	int i;

	for (i = 0; i < errors->count && i < ERRORS_MAX; i++)
		print_message("  reported: %s\n", errors->text[i]);
}

static void
assert_error_at(const struct errors *errors, int line, const char *fragment)
{
	if (errors_find(errors, line, fragment))
		return;
	errors_print(errors);
	fail_msg("no error at line %d containing \"%s\"", line, fragment);
}

static void
file_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Write base_lines with the edits applied to test_file. */
static void
file_write_edited(const struct edit *edits, size_t nedits)
{
	FILE *fp = fopen(test_file, "w");
	size_t i, j;

	assert_non_null(fp);
	for (i = 0; i < BASE_LINES; i++) {
		const char *line = base_lines[i];

		for (j = 0; j < nedits; j++) {
			if (edits[j].line == (int)i + 1)
				line = edits[j].text;
		}
		fprintf(fp, "%s\n", line);
	}
	assert_int_equal(fclose(fp), 0);
}

static int
load_edited(const struct edit *edits, size_t nedits, struct errors *errors)
{
	struct config *cfg = NULL;
	int rc;

	memset(errors, 0, sizeof(*errors));
	file_write_edited(edits, nedits);
	rc = config_load(test_file, &cfg, errors_collect, errors);
	config_free(cfg);
	return rc;
}

/*
 * Replace one line of base_lines and expect exactly one error, at
 * error_line, that contains fragment.
 */
static void
check_one_error(int line, const char *text, int error_line,
    const char *fragment)
{
	struct edit edit = { line, text };
	struct errors errors;
	int rc = load_edited(&edit, 1, &errors);

	assert_error_at(&errors, error_line, fragment);
	if (rc != 1)
		errors_print(&errors);
	assert_int_equal(rc, 1);
	assert_int_equal(errors.count, 1);
}

static int
setup(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX";

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	/* realpath, so paths compare equal even if /tmp is a symlink. */
	if (realpath(dir, test_dir) == NULL)
		return -1;
	if (snprintf(test_file, sizeof(test_file), "%s/headend.conf",
	    test_dir) >= (int)sizeof(test_file))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(test_file);
	return rmdir(test_dir);
}

static void
test_valid_file_values(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	const struct config_listener *l;
	char path[PATH_MAX + 32];

	(void)state;
	file_write_edited(NULL, 0);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, test_file);
	assert_string_equal(cfg->user, "vpn");
	assert_string_equal(cfg->status_socket, "/run/headend/status.sock");

	assert_int_equal(cfg->nlisteners, 1);
	l = &cfg->listeners[0];
	assert_string_equal(l->address, "0.0.0.0");
	assert_int_equal(l->tcp_port, 8443);
	assert_int_equal(l->udp_port, 443);
	snprintf(path, sizeof(path), "%s/server.crt", test_dir);
	assert_string_equal(l->certificate, path);
	assert_string_equal(l->key, "/etc/ssl/server.key");
	assert_string_equal(l->chain, "");
	assert_int_equal(l->tls_min_version, TLS1_2_VERSION);
	assert_int_equal(l->tls_max_version, TLS1_3_VERSION);
	assert_string_equal(l->tls12_ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20");
	assert_non_null(strstr(l->tls13_suites, "TLS_AES_256_GCM_SHA384"));
	assert_int_equal(l->link_mtu, 1500);
	assert_int_equal(l->line, 3);
	assert_int_equal(l->certificate_line, 6);
	assert_int_equal(l->key_line, 7);
	assert_int_equal(l->versions_line, 8);
	assert_int_equal(l->chain_line, 3);	/* not set: the listener's */
	assert_int_equal(l->ciphers_line, 3);

	assert_string_equal(cfg->tun.name, "headend0");
	assert_int_equal(ntohl(cfg->tun.address.s_addr), POOL_NET + 1);
	assert_int_equal(cfg->tun.mtu, 1400);
	config_free(cfg);
}

/* The state file settings: their defaults, then each one set. */
static void
test_state_file_settings(void **state)
{
	struct edit edit = { 1, "state-file = \"state/sessions\"; "
	    "key-file = \"/etc/headend/key\"; logoff-on-stop = true;" };
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	char path[PATH_MAX + 32];

	(void)state;
	file_write_edited(NULL, 0);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_string_equal(cfg->state_file, "/var/lib/headend/sessions");
	assert_string_equal(cfg->key_file, "");
	assert_false(cfg->logoff_on_stop);
	config_free(cfg);

	file_write_edited(&edit, 1);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	snprintf(path, sizeof(path), "%s/state/sessions", test_dir);
	assert_string_equal(cfg->state_file, path);
	assert_string_equal(cfg->key_file, "/etc/headend/key");
	assert_true(cfg->logoff_on_stop);
	config_free(cfg);

	check_one_error(1, "state-file = \"\";", 1, "state-file");
}

/* The cap on connections that are not yet tunnels: default, set, range. */
static void
test_max_connections_setting(void **state)
{
	struct edit edit = { 1, "limits = { max-connections = 5; };" };
	struct config *cfg = NULL;
	struct errors errors = { 0 };

	(void)state;
	file_write_edited(NULL, 0);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_int_equal(cfg->limits.max_connections, 20000);
	config_free(cfg);

	file_write_edited(&edit, 1);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_int_equal(cfg->limits.max_connections, 5);
	config_free(cfg);

	check_one_error(1, "limits = { max-connections = -1; };", 1,
	    "max-connections");
}

static void
test_valid_file_pools(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	const struct config_pool *staff, *lab;

	(void)state;
	file_write_edited(NULL, 0);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_int_equal(cfg->npools, 2);
	staff = &cfg->pools[0];
	assert_string_equal(staff->name, "staff");
	assert_int_equal(staff->network, POOL_NET);
	assert_int_equal(staff->prefix, 24);
	assert_int_equal(staff->first, POOL_NET + 1);
	assert_int_equal(staff->last, POOL_NET + 254);
	assert_int_equal(staff->line, 12);

	/* The tun address 198.19.0.1 is excluded after the listed one. */
	assert_int_equal(staff->nexclude, 2);
	assert_int_equal(staff->exclude[0], POOL_NET + 10);
	assert_int_equal(staff->exclude[1], POOL_NET + 1);

	lab = &cfg->pools[1];
	assert_int_equal(lab->prefix, -1);
	assert_int_equal(lab->first, POOL_NET + 256 + 10);
	assert_int_equal(lab->last, POOL_NET + 256 + 50);
	assert_int_equal(lab->nexclude, 0);
	config_free(cfg);
}

static void
test_valid_file_policies(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	const struct config_policy *all, *split;

	(void)state;
	file_write_edited(NULL, 0);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_int_equal(cfg->npolicies, 2);
	all = &cfg->policies[0];
	assert_int_equal(all->ndns, 1);
	assert_int_equal(ntohl(all->dns[0].s_addr), POOL_NET + 1);
	assert_int_equal(all->split, SPLIT_TUNNEL_ALL);
	assert_int_equal(all->nroutes, 0);
	assert_int_equal(all->idle_timeout, 1800);
	assert_int_equal(all->session_timeout, 0);
	assert_int_equal(all->keepalive, 20);
	assert_int_equal(all->dpd, 30);
	assert_int_equal(all->data_mtu, 1406);
	assert_int_equal(all->simultaneous_logins, 3);
	assert_int_equal(all->simultaneous_action,
	    SIMULTANEOUS_LOGOFF_OLDEST);
	assert_int_equal(all->reconnect_window, 300);
	assert_int_equal(all->rekey_time, 0);
	assert_false(all->client_to_client);
	assert_string_equal(all->default_domain, "");

	split = &cfg->policies[1];
	assert_int_equal(split->split, SPLIT_INCLUDE);
	assert_int_equal(split->nroutes, 1);
	assert_int_equal(split->routes[0].network, 0xc6120100u);
	assert_int_equal(split->routes[0].prefix, 24);
	assert_int_equal(split->idle_timeout, 600);
	config_free(cfg);
}

static void
test_valid_file_tgroups(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	const struct config_tgroup *staff, *lab;
	char path[PATH_MAX + 32];

	(void)state;
	file_write_edited(NULL, 0);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 0);
	assert_int_equal(cfg->ntgroups, 2);
	staff = config_find_tgroup(cfg, "staff");
	assert_ptr_equal(staff, &cfg->tgroups[0]);
	assert_int_equal(staff->nurls, 1);
	assert_string_equal(staff->urls[0], "https://vpn.example.net/staff");
	assert_int_equal(staff->auth, AUTH_METHOD_PASSWORD);
	assert_int_equal(staff->backend, PASSWORD_USER_FILE);
	snprintf(path, sizeof(path), "%s/users", test_dir);
	assert_string_equal(staff->user_file, path);
	assert_int_equal(staff->pool, 0);
	assert_int_equal(staff->policy, 0);

	lab = config_find_tgroup(cfg, "lab");
	assert_ptr_equal(lab, &cfg->tgroups[1]);
	assert_int_equal(lab->backend, PASSWORD_PAM);
	assert_string_equal(lab->pam_service, "headend");
	assert_int_equal(lab->pool, 1);
	assert_int_equal(lab->policy, 1);
	assert_int_equal(lab->line, 25);
	assert_int_equal(lab->pam_service_line, 27);
	assert_int_equal(staff->user_file_line, 22);	/* the default */

	assert_null(config_find_tgroup(cfg, "Lab"));
	assert_null(config_find_tgroup(cfg, "missing"));
	config_free(cfg);
}

/* A relative file name is made absolute against the working directory. */
static void
test_relative_config_path(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	char cwd[PATH_MAX];
	char path[PATH_MAX + 32];
	int rc;

	(void)state;
	file_write_edited(NULL, 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(test_dir), 0);
	rc = config_load("./headend.conf", &cfg, errors_collect, &errors);
	assert_int_equal(chdir(cwd), 0);

	assert_int_equal(rc, 0);
	assert_string_equal(cfg->path, test_file);
	snprintf(path, sizeof(path), "%s/server.crt", test_dir);
	assert_string_equal(cfg->listeners[0].certificate, path);
	config_free(cfg);
}

static void
test_source_config_valid(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	int rc;

	(void)state;
	rc = config_load(SOURCE_CONFIG, &cfg, errors_collect, &errors);
	if (rc != 0)
		errors_print(&errors);
	assert_int_equal(rc, 0);
	assert_int_equal(cfg->ntgroups, 1);
	assert_string_equal(cfg->tgroups[0].urls[0],
	    "https://vpn.example.net/staff");
	assert_int_equal(cfg->policies[0].keepalive, 20);
	assert_int_equal(cfg->policies[0].dpd, 30);
	config_free(cfg);
}

static void
test_syntax_error_line(void **state)
{
	struct config *cfg = NULL;
	struct edit edit = {
		10, "tun = { address = \"198.19.0.1\"; mtu = ; };"
	};
	struct errors errors = { 0 };

	(void)state;
	file_write_edited(&edit, 1);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 1);
	assert_null(cfg);
	assert_int_equal(errors.count, 1);
	assert_error_at(&errors, 10, "syntax error");
}

/*
 * Inputs found by the fuzz_config target. libconfig 1.5 leaks the string
 * token on these syntax errors (LeakSanitizer reports it unless
 * tests/fuzz/lsan.supp is used), but each must still be one error.
 */
static void
test_string_syntax_errors(void **state)
{
	static const char *const inputs[] = {
		"E\"\"\"\"\"\"\"\x7f",
		"\"\x02\"",
	};
	struct config *cfg = NULL;
	struct errors errors;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		memset(&errors, 0, sizeof(errors));
		file_write(test_file, inputs[i]);
		assert_int_equal(config_load(test_file, &cfg, errors_collect,
		    &errors), 1);
		assert_null(cfg);
		assert_error_at(&errors, 1, "syntax error");
	}
}

/*
 * @include is rejected before libconfig could open the named file, so
 * a FIFO there does not block the load.
 */
static void
test_include_rejected(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	char fifo[PATH_MAX + 32], text[PATH_MAX + 128];

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/groups.conf", test_dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(text, sizeof(text), "# groups\n  @include \"%s\"\n", fifo);
	file_write(test_file, text);

	/* Before the fix, the load blocked: SIGALRM ends such a run. */
	alarm(10);
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 1);
	alarm(0);
	unlink(fifo);
	assert_null(cfg);
	assert_int_equal(errors.count, 1);
	assert_error_at(&errors, 2, "@include is not supported");
}

/* A NUL byte in a string would cut its value short inside libconfig. */
static void
test_nul_byte_rejected(void **state)
{
	static const char text[] = "# status\nstatus-socket = \"/run/a\0b\";\n";
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	FILE *fp = fopen(test_file, "w");

	(void)state;
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, fp),
	    sizeof(text) - 1);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 1);
	assert_null(cfg);
	assert_error_at(&errors, 2, "contains a NUL byte");
}

/* A file over the size limit is one error, not a long parse. */
static void
test_huge_file_rejected(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	FILE *fp = fopen(test_file, "w");
	int i;

	(void)state;
	assert_non_null(fp);
	for (i = 0; i < 5 * 1024; i++)
		assert_int_equal(fprintf(fp, "# %1021d\n", i) > 0, 1);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 1);
	assert_null(cfg);
	assert_int_equal(errors.count, 1);
	assert_non_null(strstr(errors.text[0], "larger than 4 MiB"));
}

static void
test_missing_file(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };
	char path[PATH_MAX + 32];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.conf", test_dir);
	assert_int_equal(config_load(path, &cfg, errors_collect, &errors), 1);
	assert_null(cfg);
	assert_int_equal(errors.count, 1);
	assert_non_null(strstr(errors.text[0], path));
	assert_non_null(strstr(errors.text[0], strerror(ENOENT)));
}

static void
test_empty_file(void **state)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };

	(void)state;
	file_write(test_file, "# nothing\n");
	assert_int_equal(config_load(test_file, &cfg, errors_collect,
	    &errors), 5);
	assert_null(cfg);
	assert_error_at(&errors, 0, "missing setting \"listeners\"");
	assert_error_at(&errors, 0, "missing setting \"tun\"");
	assert_error_at(&errors, 0, "missing setting \"pools\"");
	assert_error_at(&errors, 0, "missing setting \"group-policies\"");
	assert_error_at(&errors, 0, "missing setting \"tunnel-groups\"");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	check_one_error(19,
	    "routes = [ \"198.18.1.0/24\" ]; idle-timout = 6; }", 19,
	    "unknown setting \"idle-timout\" in group-policy \"split\"");
}

/* A misspelt group-urls also leaves the group without any group-url. */
static void
test_unknown_key_cascade(void **state)
{
	struct edit edit = {
		23, "grup-urls = [ \"https://vpn.example.net/staff\" ];"
	};
	struct errors errors;

	(void)state;
	assert_int_equal(load_edited(&edit, 1, &errors), 2);
	assert_error_at(&errors, 23,
	    "unknown setting \"grup-urls\" in tunnel-group \"staff\"");
	assert_error_at(&errors, 22, "no group-urls in tunnel-group");
}

static void
test_default_group_name(void **state)
{
	(void)state;
	check_one_error(25, "{ name = \"defaultwebvpngroup\";", 25,
	    "tunnel-group \"defaultwebvpngroup\" is not allowed: headend has "
	    "no default group");
}

static void
test_bad_group_name(void **state)
{
	(void)state;
	check_one_error(25, "{ name = \"lab group\";", 25,
	    "invalid name \"lab group\"");
}

static void
test_unknown_pool(void **state)
{
	(void)state;
	check_one_error(24,
	    "pool = \"stuff\"; group-policy = \"tunnel-all\"; },", 24,
	    "unknown pool \"stuff\" in tunnel-group \"staff\": the pools "
	    "defined are \"staff\", \"lab\"");
}

static void
test_unknown_policy(void **state)
{
	(void)state;
	check_one_error(28, "pool = \"lab\"; group-policy = \"splt\"; }", 28,
	    "unknown group-policy \"splt\"");
}

static void
test_network_host_bits(void **state)
{
	(void)state;
	check_one_error(12, "{ name = \"staff\"; network = \"198.19.0.5/24\";",
	    12, "\"198.19.0.0/24\"");
}

static void
test_network_syntax(void **state)
{
	(void)state;
	check_one_error(12, "{ name = \"staff\"; network = \"198.19.0/24\";",
	    12, "invalid network \"198.19.0/24\"");
}

/*
 * Found by the fuzz_config target: a value with an escaped newline was
 * quoted into the error as it was, which split the error over two lines.
 */
static void
test_error_control_characters(void **state)
{
	(void)state;
	check_one_error(12, "{ name = \"staff\"; network = \"198.19.0.0\\n"
	    "/24\";", 12, "invalid network \"198.19.0.0?/24\"");
}

static void
test_overlapping_pools(void **state)
{
	(void)state;
	check_one_error(14,
	    "{ name = \"lab\"; range = \"198.19.0.200-198.19.1.50\"; }", 14,
	    "pool \"lab\" (198.19.0.200-198.19.1.50) overlaps pool \"staff\" "
	    "(198.19.0.0/24) at line 12");
}

/* Pools that are not in unicast space, and the block each reaches. */
static const struct {
	int		line;
	const char	*text;
	const char	*fragment;
} nonunicast_pools[] = {
	{ 12, "{ name = \"staff\"; network = \"224.0.0.0/28\";",
	  "invalid network \"224.0.0.0/28\" in pool \"staff\": it reaches "
	  "into the multicast block 224.0.0.0/4" },
	{ 12, "{ name = \"staff\"; network = \"127.0.0.0/24\";",
	  "invalid network \"127.0.0.0/24\" in pool \"staff\": it reaches "
	  "into the loopback block 127.0.0.0/8" },
	{ 12, "{ name = \"staff\"; network = \"0.0.0.0/24\";",
	  "the block 0.0.0.0/8" },
	{ 12, "{ name = \"staff\"; network = \"240.0.0.0/24\";",
	  "the reserved block 240.0.0.0/4" },
	{ 12, "{ name = \"staff\"; network = \"255.255.255.255/32\";",
	  "255.255.255.255" },
	{ 14, "{ name = \"lab\"; range = \"126.255.255.250-127.0.0.5\"; }",
	  "invalid range \"126.255.255.250-127.0.0.5\" in pool \"lab\": it "
	  "reaches into the loopback block" },
	{ 14, "{ name = \"lab\"; range = \"223.255.255.1-224.0.0.1\"; }",
	  "multicast block 224.0.0.0/4, whose addresses cannot be leased to "
	  "clients, so use unicast addresses" },
};

static void
test_pool_not_unicast(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nonunicast_pools) /
	    sizeof(nonunicast_pools[0]); i++) {
		print_message("pool: %s\n", nonunicast_pools[i].text);
		check_one_error(nonunicast_pools[i].line,
		    nonunicast_pools[i].text, nonunicast_pools[i].line,
		    nonunicast_pools[i].fragment);
	}
}

/* The edges of unicast space are still valid pools. */
static void
test_pool_unicast_edges(void **state)
{
	struct edit edits[] = {
		{ 12, "{ name = \"staff\"; network = \"1.0.0.0/24\";" },
		{ 13, "}," },
		{ 14, "{ name = \"lab\"; range = \"223.255.255.1-"
		    "223.255.255.255\"; }" },
	};
	struct errors errors;
	int rc;

	(void)state;
	rc = load_edited(edits, 3, &errors);
	if (rc != 0)
		errors_print(&errors);
	assert_int_equal(rc, 0);
}

static void
test_range_reversed(void **state)
{
	(void)state;
	check_one_error(14,
	    "{ name = \"lab\"; range = \"198.19.1.50-198.19.1.10\"; }", 14,
	    "the first address is above the last");
}

static void
test_pool_too_large(void **state)
{
	(void)state;
	check_one_error(14, "{ name = \"lab\"; network = \"198.0.0.0/8\"; }",
	    14, "more than the maximum");
}

static void
test_duplicate_pool_name(void **state)
{
	struct edit edits[] = {
		{ 14, "{ name = \"staff\"; "
		    "range = \"198.19.1.10-198.19.1.50\"; }" },
		{ 28, "pool = \"staff\"; group-policy = \"split\"; }" },
	};
	struct errors errors;

	(void)state;
	assert_int_equal(load_edited(edits, 2, &errors), 1);
	assert_error_at(&errors, 14,
	    "pool \"staff\" is already defined at line 12");
}

static void
test_duplicate_group_url(void **state)
{
	(void)state;
	check_one_error(26,
	    "group-urls = [ \"https://VPN.example.net:443/staff/\" ];", 26,
	    "is already used by tunnel-group \"staff\" at line 22");
}

static void
test_group_url_without_path(void **state)
{
	(void)state;
	check_one_error(26, "group-urls = [ \"https://vpn.example.net/\" ];",
	    26, "it has no path after the host");
}

static void
test_group_url_http(void **state)
{
	(void)state;
	check_one_error(26, "group-urls = [ \"http://vpn.example.net/lab\" ];",
	    26, "does not start with https://");
}

static void
test_bad_tls_version(void **state)
{
	(void)state;
	check_one_error(8, "tls-min-version = \"1.4\";", 8,
	    "invalid tls-min-version \"1.4\" in listener 1: use one of "
	    "\"1.0\", \"1.1\", \"1.2\", \"1.3\"");
}

static void
test_tls_min_above_max(void **state)
{
	(void)state;
	check_one_error(8,
	    "tls-min-version = \"1.3\"; tls-max-version = \"1.2\";", 8,
	    "tls-min-version \"1.3\" is above tls-max-version \"1.2\"");
}

static void
test_wrong_type(void **state)
{
	(void)state;
	check_one_error(5, "tcp-port = \"8443\";", 5,
	    "tcp-port in listener 1 must be an integer, not a string");
}

static void
test_port_out_of_range(void **state)
{
	(void)state;
	check_one_error(5, "tcp-port = 0;", 5,
	    "invalid tcp-port 0 in listener 1: use a value from 1 to 65535");
}

static void
test_empty_certificate(void **state)
{
	(void)state;
	check_one_error(6, "certificate = \"\";", 6,
	    "certificate in listener 1 must not be empty");
}

static void
test_missing_key(void **state)
{
	(void)state;
	check_one_error(7, "", 3, "missing setting \"key\" in listener 1");
}

static void
test_missing_tun_address(void **state)
{
	(void)state;
	check_one_error(10, "tun = { mtu = 1400; };", 10,
	    "missing setting \"address\" in tun");
}

/* Names that the kernel rejects for a tun device fail at the check. */
static void
test_tun_name_reserved(void **state)
{
	static const char *const names[] = { "all", "default", ".", ".." };
	char line[128], fragment[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(line, sizeof(line), "tun = { name = \"%s\"; "
		    "address = \"198.19.0.1\"; };", names[i]);
		snprintf(fragment, sizeof(fragment), "invalid name \"%s\"",
		    names[i]);
		check_one_error(10, line, 10, fragment);
	}
}

static void
test_split_include_without_routes(void **state)
{
	(void)state;
	check_one_error(19, "idle-timeout = 600; }", 18,
	    "split-tunnel \"include\" in group-policy \"split\" needs routes");
}

static void
test_routes_with_tunnel_all(void **state)
{
	(void)state;
	check_one_error(17, "{ name = \"tunnel-all\"; "
	    "routes = [ \"198.18.2.0/24\" ]; },", 17,
	    "routes in group-policy \"tunnel-all\" are only used with");
}

static void
test_keepalive_out_of_range(void **state)
{
	(void)state;
	check_one_error(17, "{ name = \"tunnel-all\"; keepalive = 3601; },",
	    17, "invalid keepalive 3601");
}

static void
test_excluded_outside_pool(void **state)
{
	(void)state;
	check_one_error(13, "exclude = [ \"198.19.1.10\" ]; },", 13,
	    "excluded address 198.19.1.10 in pool \"staff\" is not one of the "
	    "pool's leasable addresses 198.19.0.1-198.19.0.254");
}

static void
test_user_file_with_pam(void **state)
{
	(void)state;
	check_one_error(27,
	    "user-file = \"users\"; pam-service = \"headend\";", 27,
	    "both user-file and pam-service are set in tunnel-group \"lab\"");
}

static void
test_too_many_dns(void **state)
{
	(void)state;
	check_one_error(17, "{ name = \"tunnel-all\"; dns = [ "
	    "\"198.19.0.1\", \"198.19.0.2\", \"198.19.0.3\", "
	    "\"198.19.0.4\", \"198.19.0.5\" ]; },",
	    17, "too many dns in group-policy \"tunnel-all\": 5 given, the "
	    "maximum is 4");
}

static void
test_listener_port_clash(void **state)
{
	(void)state;
	check_one_error(9, "}, { address = \"198.18.0.1\"; "
	    "certificate = \"c\"; key = \"k\"; } );", 9,
	    "uses the same UDP port as listener 1");
}

/* The tun address is the whole of a /32 pool, so nothing is leasable. */
static void
test_pool_without_leasable_address(void **state)
{
	struct edit edits[] = {
		{ 10, "tun = { address = \"198.19.1.1\"; };" },
		{ 14, "{ name = \"lab\"; network = \"198.19.1.1/32\"; }" },
	};
	struct errors errors;

	(void)state;
	assert_int_equal(load_edited(edits, 2, &errors), 1);
	assert_error_at(&errors, 14, "pool \"lab\" has no address left");
}

static void
test_several_errors_reported(void **state)
{
	struct edit edits[] = {
		{ 8, "tls-min-version = \"1.4\";" },
		{ 12, "{ name = \"staff\"; network = \"198.19.0.5/24\";" },
		{ 19, "routes = [ \"198.18.1.0/24\" ]; idle-timout = 600; }" },
		{ 25, "{ name = \"DefaultWEBVPNGroup\";" },
	};
	struct errors errors;

	(void)state;
	assert_int_equal(load_edited(edits, 4, &errors), 4);
	assert_int_equal(errors.count, 4);
	assert_error_at(&errors, 8, "invalid tls-min-version \"1.4\"");
	assert_error_at(&errors, 12, "198.19.0.0/24");
	assert_error_at(&errors, 19, "unknown setting \"idle-timout\"");
	assert_error_at(&errors, 25, "is not allowed");
}

/* Load base_lines with edits applied and no error expected. */
static struct config *
load_edited_ok(const struct edit *edits, size_t nedits)
{
	struct config *cfg = NULL;
	struct errors errors = { 0 };

	file_write_edited(edits, nedits);
	if (config_load(test_file, &cfg, errors_collect, &errors) != 0)
		errors_print(&errors);
	assert_non_null(cfg);
	return cfg;
}

/* workers: 0 by default, resolved to the CPU count, and its range. */
static void
test_workers_setting(void **state)
{
	struct edit edit = { 1, "workers = 3;" };
	struct config *cfg;
	size_t count;

	(void)state;
	cfg = load_edited_ok(NULL, 0);
	assert_int_equal(cfg->workers, 0);
	count = config_worker_count(cfg);
	assert_true(count >= 1);
	assert_true(count <= CONFIG_MAX_WORKERS);
	config_free(cfg);

	cfg = load_edited_ok(&edit, 1);
	assert_int_equal(cfg->workers, 3);
	assert_int_equal(config_worker_count(cfg), 3);
	config_free(cfg);

	check_one_error(1, "workers = 17;", 1,
	    "invalid workers 17: use a value from 0 to 16");
	check_one_error(1, "workers = -1;", 1,
	    "invalid workers -1: use a value from 0 to 16");
}

/*
 * libconfig 1.5 keeps the low 32 bits of a large integer, so each of
 * these would pass as a small valid value without the check of the
 * written digits.
 */
static void
test_int_over_32_bits(void **state)
{
	struct edit hex = { 1, "workers = 0x3;" };
	struct edit suffix = { 1, "workers = 3L;" };
	struct config *cfg;

	(void)state;
	check_one_error(1, "workers = 4294967298;", 1,
	    "invalid workers 4294967298: use a value from 0 to 16");
	check_one_error(5, "  tcp-port = 4294967739;", 5,
	    "invalid tcp-port 4294967739 in listener 1: use a value from 1 "
	    "to 65535");
	check_one_error(19, "    routes = [ \"198.18.1.0/24\" ]; "
	    "idle-timeout = 4294967296; }", 19, "invalid idle-timeout "
	    "4294967296 in group-policy \"split\"");

	cfg = load_edited_ok(&hex, 1);
	assert_int_equal(cfg->workers, 3);
	config_free(cfg);
	cfg = load_edited_ok(&suffix, 1);
	assert_int_equal(cfg->workers, 3);
	config_free(cfg);
}

static void
test_phone_profile_defaults(void **state)
{
	struct edit edit = { 8, "tls-profile = \"phone\";" };
	struct config *cfg;
	const struct config_listener *l;

	(void)state;
	cfg = load_edited_ok(&edit, 1);
	l = &cfg->listeners[0];
	assert_int_equal(l->tls_profile, TLS_PROFILE_PHONE);
	assert_int_equal(l->tls_min_version, TLS1_VERSION);
	assert_int_equal(l->tls_max_version, TLS1_2_VERSION);
	assert_int_equal(strncmp(l->tls12_ciphers, "AES256-SHA:AES128-SHA:",
	    22), 0);
	config_free(cfg);
}

static void
test_phone_profile_explicit_wins(void **state)
{
	struct edit edit = { 8, "tls-profile = \"phone\"; "
	    "tls-min-version = \"1.2\"; tls12-ciphers = \"AES128-SHA\";" };
	struct config *cfg;
	const struct config_listener *l;

	(void)state;
	cfg = load_edited_ok(&edit, 1);
	l = &cfg->listeners[0];
	assert_int_equal(l->tls_min_version, TLS1_2_VERSION);
	assert_int_equal(l->tls_max_version, TLS1_2_VERSION);
	assert_string_equal(l->tls12_ciphers, "AES128-SHA");
	assert_string_equal(l->next_certificate, "");
	config_free(cfg);
}

static void
test_next_certificate(void **state)
{
	struct edit edit = { 8, "next-certificate = \"next.crt\";" };
	struct config *cfg;
	char path[PATH_MAX + 32];

	(void)state;
	cfg = load_edited_ok(&edit, 1);
	snprintf(path, sizeof(path), "%s/next.crt", test_dir);
	assert_string_equal(cfg->listeners[0].next_certificate, path);
	assert_int_equal(cfg->listeners[0].tls_profile, TLS_PROFILE_DEFAULT);
	config_free(cfg);
}

static void
test_cert_group_values(void **state)
{
	struct edit edits[] = {
		{ 27, "authentication = \"both\"; pam-service = \"headend\";"
		    " ca-files = [ \"mic.pem\", \"/etc/capf.pem\" ];"
		    " crl-file = \"phones.crl\"; cert-user-field = \"UID\";"
		    " cert-user-rule = \"phone-name\"; phone = true;" },
	};
	struct config *cfg;
	const struct config_tgroup *lab, *staff;
	char path[PATH_MAX + 32];

	(void)state;
	cfg = load_edited_ok(edits, 1);
	lab = config_find_tgroup(cfg, "lab");
	assert_int_equal(lab->auth, AUTH_METHOD_BOTH);
	assert_int_equal(lab->nca_files, 2);
	snprintf(path, sizeof(path), "%s/mic.pem", test_dir);
	assert_string_equal(lab->ca_files[0], path);
	assert_string_equal(lab->ca_files[1], "/etc/capf.pem");
	snprintf(path, sizeof(path), "%s/phones.crl", test_dir);
	assert_string_equal(lab->crl_file, path);
	assert_int_equal(lab->cert_user_field, CERT_USER_FIELD_UID);
	assert_int_equal(lab->cert_user_rule, CERT_USER_RULE_PHONE_NAME);
	assert_true(lab->phone);

	staff = config_find_tgroup(cfg, "staff");
	assert_int_equal(staff->nca_files, 0);
	assert_string_equal(staff->crl_file, "");
	assert_int_equal(staff->cert_user_field, CERT_USER_FIELD_CN);
	assert_int_equal(staff->cert_user_rule, CERT_USER_RULE_AS_IS);
	assert_false(staff->phone);
	config_free(cfg);
}

static void
test_cert_keys_with_password(void **state)
{
	(void)state;
	check_one_error(27, "pam-service = \"headend\"; crl-file = \"x\";",
	    27, "crl-file in tunnel-group \"lab\" is only used with "
	    "authentication \"certificate\" or \"both\"");
}

static void
test_cert_auth_without_ca(void **state)
{
	(void)state;
	check_one_error(27, "authentication = \"both\";", 27,
	    "authentication \"both\" in tunnel-group \"lab\" needs "
	    "ca-files");
}

static void
test_cert_auth_with_password_backend(void **state)
{
	(void)state;
	check_one_error(27, "authentication = \"certificate\"; "
	    "pam-service = \"headend\"; ca-files = [ \"ca.pem\" ];", 27,
	    "pam-service in tunnel-group \"lab\" is not used with "
	    "authentication \"certificate\"");
}

static void
test_bad_cert_user_field(void **state)
{
	(void)state;
	check_one_error(27, "authentication = \"both\"; ca-files = "
	    "[ \"ca.pem\" ]; cert-user-field = \"OU\";", 27,
	    "invalid cert-user-field \"OU\"");
}

static void
test_bad_tls_profile(void **state)
{
	(void)state;
	check_one_error(8, "tls-profile = \"legacy\";", 8,
	    "invalid tls-profile \"legacy\"");
}

static void
test_session_timer_values(void **state)
{
	struct edit edits[] = {
		{ 17, "{ name = \"tunnel-all\"; reconnect-window = 60; "
		    "rekey-time = 3600; simultaneous-logins = 1; "
		    "simultaneous-login-action = \"reject\"; },"},
	};
	struct config *cfg;
	const struct config_policy *all;

	(void)state;
	cfg = load_edited_ok(edits, 1);
	all = &cfg->policies[0];
	assert_int_equal(all->reconnect_window, 60);
	assert_int_equal(all->rekey_time, 3600);
	assert_int_equal(all->simultaneous_logins, 1);
	assert_int_equal(all->simultaneous_action, SIMULTANEOUS_REJECT);
	config_free(cfg);
}

static void
test_bad_simultaneous_action(void **state)
{
	(void)state;
	check_one_error(17, "{ name = \"tunnel-all\"; "
	    "simultaneous-login-action = \"newest\"; },", 17,
	    "invalid simultaneous-login-action \"newest\" in group-policy "
	    "\"tunnel-all\": use one of \"logoff-oldest\", \"reject\"");
}

static void
test_reconnect_window_zero(void **state)
{
	(void)state;
	check_one_error(17, "{ name = \"tunnel-all\"; reconnect-window = 0; "
	    "},", 17, "invalid reconnect-window 0");
}

static void
test_static_addresses_values(void **state)
{
	struct edit edits[] = {
		{ 24, "pool = \"staff\"; group-policy = \"tunnel-all\"; "
		    "static-addresses = ( { user = \"alice\"; "
		    "address = \"198.19.0.50\"; }, { user = \"bob\"; "
		    "address = \"198.19.0.51\"; } ); }," },
		{ 28, "pool = \"lab\"; group-policy = \"split\"; "
		    "static-addresses = ( { user = \"alice\"; "
		    "address = \"198.19.1.20\"; } ); }" },
	};
	struct config *cfg;
	const struct config_static_address *st;

	(void)state;
	cfg = load_edited_ok(edits, 2);
	assert_int_equal(cfg->nstatic_addresses, 3);
	st = &cfg->static_addresses[0];
	assert_string_equal(st->user, "alice");
	assert_int_equal(st->address, POOL_NET + 50);
	assert_int_equal(st->tgroup, 0);
	assert_int_equal(st->line, 24);
	st = &cfg->static_addresses[1];
	assert_string_equal(st->user, "bob");
	assert_int_equal(st->address, POOL_NET + 51);
	st = &cfg->static_addresses[2];
	assert_string_equal(st->user, "alice");
	assert_int_equal(st->address, POOL_NET + 256 + 20);
	assert_int_equal(st->tgroup, 1);
	config_free(cfg);
}

static void
test_static_outside_pool(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.1.20\"; } ); },", 24,
	    "static address 198.19.1.20 of user \"alice\" in tunnel-group "
	    "\"staff\" is outside pool \"staff\", whose leasable addresses "
	    "are 198.19.0.1-198.19.0.254");
}

/* The network address is in the pool's network but not leasable. */
static void
test_static_network_address(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.0.0\"; } ); },", 24,
	    "static address 198.19.0.0 of user \"alice\" in tunnel-group "
	    "\"staff\" is outside pool \"staff\"");
}

static void
test_static_excluded(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.0.10\"; } ); },", 24,
	    "static address 198.19.0.10 of user \"alice\" in tunnel-group "
	    "\"staff\" is excluded from pool \"staff\"");
}

static void
test_static_tun_address(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.0.1\"; } ); },", 24,
	    "static address 198.19.0.1 of user \"alice\" in tunnel-group "
	    "\"staff\" is the tun address");
}

/* A password login cannot send a space, so such a user is unusable. */
static void
test_static_user_with_space(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"a b\"; "
	    "address = \"198.19.0.50\"; } ); },", 24,
	    "static address user \"a b\" in tunnel-group \"staff\" cannot "
	    "log in with a password");
}

/* A reload that keeps the running tun address keeps it from clients. */
static void
test_set_tun_address(void **state)
{
	struct edit edit = { 28, "pool = \"lab\"; group-policy = \"split\"; "
	    "static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.1.20\"; } ); }" };
	struct in_addr tun = { htonl(POOL_NET + 256 + 20) };
	const struct config_pool *lab;
	struct errors errors;
	struct config *cfg;

	(void)state;
	cfg = load_edited_ok(NULL, 0);
	lab = &cfg->pools[1];
	memset(&errors, 0, sizeof(errors));
	assert_int_equal(config_set_tun_address(cfg, tun, errors_collect,
	    &errors), 0);
	assert_int_equal(cfg->tun.address.s_addr, tun.s_addr);
	assert_int_equal(lab->nexclude, 1);
	assert_int_equal(lab->exclude[0], POOL_NET + 256 + 20);
	config_free(cfg);

	cfg = load_edited_ok(&edit, 1);
	memset(&errors, 0, sizeof(errors));
	assert_int_equal(config_set_tun_address(cfg, tun, errors_collect,
	    &errors), 1);
	assert_error_at(&errors, 28, "static address 198.19.1.20 of user "
	    "\"alice\" is the running tun address");
	config_free(cfg);
}

static void
test_static_invalid_address(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.0.300\"; } ); },", 24,
	    "invalid static address \"198.19.0.300\" in tunnel-group "
	    "\"staff\"");
}

static void
test_static_missing_address(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "} ); },", 24, "missing setting \"address\" in tunnel-group "
	    "\"staff\"");
}

static void
test_static_not_a_group(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( \"alice\" ); },", 24,
	    "entry 1 of static-addresses in tunnel-group \"staff\" must be "
	    "a group");
}

static void
test_static_user_twice(void **state)
{
	(void)state;
	check_one_error(24, "pool = \"staff\"; group-policy = "
	    "\"tunnel-all\"; static-addresses = ( { user = \"alice\"; "
	    "address = \"198.19.0.50\"; }, { user = \"alice\"; "
	    "address = \"198.19.0.51\"; } ); },", 24,
	    "user \"alice\" has a second static address in tunnel-group "
	    "\"staff\": the first is at line 24");
}

/* Two groups on one pool: an address still belongs to one user. */
static void
test_static_address_shared_in_pool(void **state)
{
	struct edit edits[] = {
		{ 24, "pool = \"staff\"; group-policy = \"tunnel-all\"; "
		    "static-addresses = ( { user = \"alice\"; "
		    "address = \"198.19.0.50\"; } ); }," },
		{ 28, "pool = \"staff\"; group-policy = \"split\";" },
		{ 29, "static-addresses = ( { user = \"bob\"; "
		    "address = \"198.19.0.50\"; } ); } );" },
	};
	struct errors errors;

	(void)state;
	assert_int_equal(load_edited(edits, 3, &errors), 1);
	assert_error_at(&errors, 29, "static address 198.19.0.50 of user "
	    "\"bob\" in tunnel-group \"lab\" is already the static "
	    "address of user \"alice\" at line 24");
}

/* The same user may have the same address in two groups of one pool. */
static void
test_static_same_user_two_groups(void **state)
{
	struct edit edits[] = {
		{ 24, "pool = \"staff\"; group-policy = \"tunnel-all\"; "
		    "static-addresses = ( { user = \"alice\"; "
		    "address = \"198.19.0.50\"; } ); }," },
		{ 28, "pool = \"staff\"; group-policy = \"split\";" },
		{ 29, "static-addresses = ( { user = \"alice\"; "
		    "address = \"198.19.0.50\"; } ); } );" },
	};
	struct config *cfg;

	(void)state;
	cfg = load_edited_ok(edits, 3);
	assert_int_equal(cfg->nstatic_addresses, 2);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file_values),
		cmocka_unit_test(test_state_file_settings),
		cmocka_unit_test(test_max_connections_setting),
		cmocka_unit_test(test_session_timer_values),
		cmocka_unit_test(test_bad_simultaneous_action),
		cmocka_unit_test(test_reconnect_window_zero),
		cmocka_unit_test(test_static_addresses_values),
		cmocka_unit_test(test_static_outside_pool),
		cmocka_unit_test(test_static_network_address),
		cmocka_unit_test(test_static_excluded),
		cmocka_unit_test(test_static_tun_address),
		cmocka_unit_test(test_set_tun_address),
		cmocka_unit_test(test_static_user_with_space),
		cmocka_unit_test(test_static_invalid_address),
		cmocka_unit_test(test_static_missing_address),
		cmocka_unit_test(test_static_not_a_group),
		cmocka_unit_test(test_static_user_twice),
		cmocka_unit_test(test_static_address_shared_in_pool),
		cmocka_unit_test(test_static_same_user_two_groups),
		cmocka_unit_test(test_valid_file_pools),
		cmocka_unit_test(test_valid_file_policies),
		cmocka_unit_test(test_valid_file_tgroups),
		cmocka_unit_test(test_relative_config_path),
		cmocka_unit_test(test_source_config_valid),
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_string_syntax_errors),
		cmocka_unit_test(test_include_rejected),
		cmocka_unit_test(test_nul_byte_rejected),
		cmocka_unit_test(test_huge_file_rejected),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_key_cascade),
		cmocka_unit_test(test_default_group_name),
		cmocka_unit_test(test_bad_group_name),
		cmocka_unit_test(test_unknown_pool),
		cmocka_unit_test(test_unknown_policy),
		cmocka_unit_test(test_network_host_bits),
		cmocka_unit_test(test_network_syntax),
		cmocka_unit_test(test_error_control_characters),
		cmocka_unit_test(test_overlapping_pools),
		cmocka_unit_test(test_pool_not_unicast),
		cmocka_unit_test(test_pool_unicast_edges),
		cmocka_unit_test(test_range_reversed),
		cmocka_unit_test(test_pool_too_large),
		cmocka_unit_test(test_duplicate_pool_name),
		cmocka_unit_test(test_duplicate_group_url),
		cmocka_unit_test(test_group_url_without_path),
		cmocka_unit_test(test_group_url_http),
		cmocka_unit_test(test_bad_tls_version),
		cmocka_unit_test(test_tls_min_above_max),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_port_out_of_range),
		cmocka_unit_test(test_workers_setting),
		cmocka_unit_test(test_int_over_32_bits),
		cmocka_unit_test(test_empty_certificate),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_missing_tun_address),
		cmocka_unit_test(test_tun_name_reserved),
		cmocka_unit_test(test_split_include_without_routes),
		cmocka_unit_test(test_routes_with_tunnel_all),
		cmocka_unit_test(test_keepalive_out_of_range),
		cmocka_unit_test(test_excluded_outside_pool),
		cmocka_unit_test(test_user_file_with_pam),
		cmocka_unit_test(test_too_many_dns),
		cmocka_unit_test(test_listener_port_clash),
		cmocka_unit_test(test_pool_without_leasable_address),
		cmocka_unit_test(test_several_errors_reported),
		cmocka_unit_test(test_phone_profile_defaults),
		cmocka_unit_test(test_phone_profile_explicit_wins),
		cmocka_unit_test(test_next_certificate),
		cmocka_unit_test(test_cert_group_values),
		cmocka_unit_test(test_cert_keys_with_password),
		cmocka_unit_test(test_cert_auth_without_ca),
		cmocka_unit_test(test_cert_auth_with_password_backend),
		cmocka_unit_test(test_bad_cert_user_field),
		cmocka_unit_test(test_bad_tls_profile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
