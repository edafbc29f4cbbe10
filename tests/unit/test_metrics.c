/*
 * Tests for the Prometheus metrics: the exposition text checked line by
 * line against the text format (version 0.0.4), the metrics section of
 * the configuration, and the HTTP listener on 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "metrics.h"
#include "test_status_fixture.h"

#define FAMILIES_MAX	64
#define NAME_MAX_LEN	128

static int
setup(void **state)
{
	*state = fixture_new();
	return (0);
}

static int
teardown(void **state)
{
	fixture_free(*state);
	return (0);
}

/* The families declared so far by TYPE lines, with their types. */
struct families {
	char	name[FAMILIES_MAX][NAME_MAX_LEN];
	char	type[FAMILIES_MAX][16];
	bool	help[FAMILIES_MAX];
	size_t	n;
};

static regex_t re_help, re_type, re_sample;

static void
regexes_compile(void)
{
	/* Label values: any character but an unescaped quote or newline. */
	assert_int_equal(regcomp(&re_help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*)"
	    " [^\n]+$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&re_type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*)"
	    " (counter|gauge|histogram|summary|untyped)$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&re_sample, "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
	    "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
	    "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\")*\\})?"
	    " [0-9]+(\\.[0-9]+)?$", REG_EXTENDED), 0);
}

static void
regexes_free(void)
{
	regfree(&re_help);
	regfree(&re_type);
	regfree(&re_sample);
}

static long
families_find(const struct families *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->name[i], name) == 0)
			return ((long)i);
	}
	return (-1);
}

static void
match_name(const char *line, const regmatch_t *m, char *name)
{
	size_t len = (size_t)(m->rm_eo - m->rm_so);

	assert_true(len < NAME_MAX_LEN);
	memcpy(name, line + m->rm_so, len);
	name[len] = '\0';
}

/* A HELP line must come before the TYPE line of a new family. */
static void
check_help(struct families *f, const char *line, const regmatch_t *m)
{
	char name[NAME_MAX_LEN];

	match_name(line, &m[1], name);
	if (families_find(f, name) >= 0)
		fail_msg("HELP for %s after its TYPE", name);
	assert_true(f->n < FAMILIES_MAX);
	snprintf(f->name[f->n], NAME_MAX_LEN, "%s", name);
	f->help[f->n] = true;
	f->type[f->n][0] = '\0';
	f->n++;
}

static void
check_type(struct families *f, const char *line, const regmatch_t *m)
{
	char name[NAME_MAX_LEN];
	long i;
	size_t len;

	match_name(line, &m[1], name);
	if ((i = families_find(f, name)) < 0 || f->type[i][0] != '\0')
		fail_msg("TYPE for %s without HELP or twice", name);
	len = (size_t)(m[2].rm_eo - m[2].rm_so);
	memcpy(f->type[i], line + m[2].rm_so, len);
	f->type[i][len] = '\0';
	if (strcmp(f->type[i], "counter") == 0 &&
	    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
		fail_msg("counter %s does not end in _total", name);
}

/* A sample must belong to the family of the last TYPE line. */
static void
check_sample(struct families *f, const char *line, const regmatch_t *m)
{
	char name[NAME_MAX_LEN];

	match_name(line, &m[1], name);
	if (f->n == 0 || strcmp(f->name[f->n - 1], name) != 0 ||
	    f->type[f->n - 1][0] == '\0')
		fail_msg("sample of %s outside its family: %s", name, line);
}

/* Check every line of text; return the number of families. */
static size_t
check_exposition(const char *text)
{
	struct families f = { .n = 0 };
	regmatch_t m[4];
	char *copy = strdup(text), *rest = copy, *line;

	assert_non_null(copy);
	assert_true(strlen(text) > 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	regexes_compile();
	copy[strlen(copy) - 1] = '\0';
	while ((line = strsep(&rest, "\n")) != NULL) {
		if (regexec(&re_help, line, 4, m, 0) == 0)
			check_help(&f, line, m);
		else if (regexec(&re_type, line, 4, m, 0) == 0)
			check_type(&f, line, m);
		else if (regexec(&re_sample, line, 4, m, 0) == 0)
			check_sample(&f, line, m);
		else
			fail_msg("not a valid exposition line: \"%s\"", line);
	}
	regexes_free();
	free(copy);
	return (f.n);
}

/* The value of the sample that starts with prefix, or -1. */
static long long
sample_value(const char *text, const char *prefix)
{
	const char *p = text;
	size_t len = strlen(prefix);

	while ((p = strstr(p, prefix)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return (strtoll(p + len + 1, NULL, 10));
		p += len;
	}
	return (-1);
}

static void
test_text_valid_without_sessions(void **state)
{
	char *text = metrics_text(&((struct fixture *)*state)->np);

	assert_non_null(text);
	assert_true(check_exposition(text) >= 10);
	assert_int_equal(sample_value(text,
	    "headend_sessions{group=\"staff\"}"), 0);
	free(text);
}

static void
test_text_counts_sessions(void **state)
{
	struct fixture *fx = *state;
	struct session *se;
	char *text;

	se = fixture_login(fx, "alice", 0);
	se->se_stats.bytes_out = 4096;
	fixture_login(fx, "bob", 0);
	fixture_login(fx, "carol", 1);
	session_destroy(se, "test");
	fx->np.stats.logins_ok = 3;
	fx->np.stats.logins_denied = 2;
	text = metrics_text(&fx->np);
	check_exposition(text);
	assert_int_equal(sample_value(text,
	    "headend_sessions{group=\"staff\"}"), 1);
	assert_int_equal(sample_value(text, "headend_sessions{group=\"lab\"}"),
	    1);
	assert_int_equal(sample_value(text, "headend_sessions_peak"), 3);
	assert_int_equal(sample_value(text,
	    "headend_logins_total{result=\"ok\"}"), 3);
	assert_int_equal(sample_value(text,
	    "headend_logins_total{result=\"denied\"}"), 2);
	assert_int_equal(sample_value(text,
	    "headend_bytes_total{direction=\"out\"}"), 4096);
	assert_int_equal(sample_value(text,
	    "headend_pool_addresses{pool=\"lab\"}"), 11);
	assert_int_equal(sample_value(text,
	    "headend_pool_addresses_used{pool=\"staff\"}"), 1);
	free(text);
}

static void
test_text_escapes_labels(void **state)
{
	struct fixture *fx = *state;
	char *text;

	/* The file does not allow these characters; the format must. */
	snprintf(fx->cfg->tgroups[1].name, CONFIG_NAME_MAX, "a\"b\\c\nd");
	text = metrics_text(&fx->np);
	check_exposition(text);
	assert_int_equal(sample_value(text,
	    "headend_sessions{group=\"a\\\"b\\\\c\\nd\"}"), 0);
	free(text);
}

static void
test_command_returns_text(void **state)
{
	struct fixture *fx = *state;
	json_object *reply = fixture_run(fx, STATUS_ACCESS_READ, "metrics");
	json_object *parsed = fixture_reparse(reply);

	assert_string_equal(json_object_get_string(fixture_get(parsed,
	    "content_type")), METRICS_CONTENT_TYPE);
	check_exposition(json_object_get_string(fixture_get(parsed, "text")));
	json_object_put(parsed);
	json_object_put(reply);
}

static void
test_config_section(void **state)
{
	struct fixture *fx = *state;

	assert_true(fx->cfg->metrics.enabled);
	assert_string_equal(fx->cfg->metrics.address, "127.0.0.1");
	assert_int_equal(fx->cfg->metrics.port, 9443);
}

static int
load_text(const char *text, struct config **cfg, int *errors)
{
	char dir[] = "/tmp/test-metrics.XXXXXX", path[64];
	FILE *f;
	int rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/headend.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	rc = config_load(path, cfg, fixture_config_error, NULL);
	*errors = rc;
	unlink(path);
	rmdir(dir);
	return (rc);
}

/* The fixture's file with its metrics line replaced by line. */
static char *
config_with_metrics(const char *line)
{
	const char *old = "metrics = { port = 9443; };\n";
	const char *at = strstr(fixture_config, old);
	char *text;

	assert_non_null(at);
	assert_true(asprintf(&text, "%.*s%s", (int)(at - fixture_config),
	    fixture_config, line) > 0);
	return (text);
}

static void
test_config_off_by_default(void **state)
{
	char *text = config_with_metrics("");
	struct config *cfg = NULL;
	int errors;

	(void)state;
	assert_int_equal(load_text(text, &cfg, &errors), 0);
	assert_false(cfg->metrics.enabled);
	config_free(cfg);
	free(text);
}

static void
test_config_rejects(void **state)
{
	static const char *const bad[] = {
		"metrics = { port = 80; };\n",
		"metrics = { address = \"127.0.0.1\"; };\n",
		"metrics = { port = 9443; address = \"localhost\"; };\n",
		"metrics = { port = 9443; path = \"/m\"; };\n",
	};
	struct config *cfg = NULL;
	size_t i;
	int errors;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = config_with_metrics(bad[i]);
		if (load_text(text, &cfg, &errors) == 0)
			fail_msg("accepted %s", bad[i]);
		free(text);
	}
}

/* A free TCP port on 127.0.0.1, found by binding port 0. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/*
 * Send request to the listener and run the event loop until the server
 * closes the connection; return the whole response.
 */
static char *
http_exchange(struct fixture *fx, const char *request)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(fx->cfg->metrics.port) };
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd, i;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, request, strlen(request)),
	    (ssize_t)strlen(request));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 2000; i++) {
		event_base_loop(fx->np.base, EVLOOP_NONBLOCK);
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else
			usleep(1000);
	}
	close(fd);
	buf[len] = '\0';
	return (buf);
}

static void
start_http(struct fixture *fx)
{
	fx->cfg->metrics.port = free_port();
	assert_int_equal(metrics_http_start(&fx->np), 0);
}

static void
test_http_get_metrics(void **state)
{
	struct fixture *fx = *state;
	const char *body;
	char *resp;

	start_http(fx);
	fixture_login(fx, "alice", 0);
	resp = http_exchange(fx, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(resp, "\r\nContent-Type: " METRICS_CONTENT_TYPE
	    "\r\n"));
	body = strstr(resp, "\r\n\r\n");
	assert_non_null(body);
	check_exposition(body + 4);
	assert_int_equal(sample_value(body + 4,
	    "headend_sessions{group=\"staff\"}"), 1);
}

static void
test_http_head(void **state)
{
	char *resp;

	start_http(*state);
	resp = http_exchange(*state, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_true(strncmp(resp, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_string_equal(strstr(resp, "\r\n\r\n"), "\r\n\r\n");
}

static void
test_http_rejects(void **state)
{
	static const struct {
		const char	*request;
		const char	*status;
	} cases[] = {
		{ "GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 404 " },
		{ "GET /metrics/x HTTP/1.0\r\n\r\n", "HTTP/1.0 404 " },
		{ "POST /metrics HTTP/1.0\r\n\r\n", "HTTP/1.0 405 " },
		{ "GET /metrics\r\n\r\n", "HTTP/1.0 400 " },
		{ "GET /metrics HTTP/1.0\n\n", "HTTP/1.0 400 " },
		{ "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		  "\r\nhello", "HTTP/1.0 405 Method Not Allowed\r\n" },
		{ "POST /metrics?x=1 HTTP/1.0\r\nContent-Length: 100000\r\n"
		  "\r\n", "HTTP/1.0 405 Method Not Allowed\r\n" },
		{ "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
		  "HTTP/1.0 404 Not Found\r\n" },
		{ "GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
		  "HTTP/1.0 413 Content Too Large\r\n" },
		{ "GET /metrics HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
		  "\r\n", "HTTP/1.0 501 Not Implemented\r\n" },
	};
	size_t i;
	char *resp;

	start_http(*state);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		resp = http_exchange(*state, cases[i].request);
		if (strncmp(resp, cases[i].status, strlen(cases[i].status)))
			fail_msg("request %zu: expected %s, got %.40s", i,
			    cases[i].status, resp);
	}
}

static void
test_http_post_body_allow(void **state)
{
	char *resp;

	start_http(*state);
	resp = http_exchange(*state, "POST /metrics HTTP/1.0\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nx=1");
	assert_true(strncmp(resp, "HTTP/1.0 405 ", 13) == 0);
	assert_non_null(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_text_valid_without_sessions),
		T(test_text_counts_sessions),
		T(test_text_escapes_labels),
		T(test_command_returns_text),
		T(test_config_section),
		cmocka_unit_test(test_config_off_by_default),
		cmocka_unit_test(test_config_rejects),
		T(test_http_get_metrics),
		T(test_http_head),
		T(test_http_rejects),
		T(test_http_post_body_allow),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
