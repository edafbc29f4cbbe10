/* loadgen: options, the start schedule and the end of a run. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "loadgen.h"

#define TICK_US			5000	/* how often the scheduler runs */
#define DRAIN_SECONDS		1	/* wait for voice replies in flight */
#define GOODBYE_SECONDS		1	/* let DISCONNECT frames go out */

static const char *const fail_names[FAIL_KINDS] = {
	[FAIL_TCP] = "tcp",
	[FAIL_TLS] = "tls",
	[FAIL_HTTP] = "http",
	[FAIL_AUTH] = "auth",
	[FAIL_TUNNEL] = "tunnel",
	[FAIL_TIMEOUT] = "timeout",
	[FAIL_CLOSED] = "closed",
};

static void	loadgen_stop(struct loadgen *lg);

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static struct timeval
seconds_tv(double s)
{
	struct timeval tv;

	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return (tv);
}

const char *
fail_kind_name(enum fail_kind kind)
{
	return (fail_names[kind]);
}

void
loadgen_fail(struct loadgen *lg, enum fail_kind kind, unsigned id,
    const char *why)
{
	lg->fails[kind]++;
	/* Log the reason of the first failures of each kind, count all. */
	if (lg->opt.verbose || lg->fails[kind] <= 3)
		fprintf(stderr, "loadgen: client %u failed (%s): %s\n", id,
		    fail_names[kind], why);
}

static void
loadgen_write_ready(struct loadgen *lg)
{
	FILE *fp;

	if (lg->opt.ready_file == NULL)
		return;
	if ((fp = fopen(lg->opt.ready_file, "w")) == NULL) {
		fprintf(stderr, "loadgen: cannot write %s: %s\n",
		    lg->opt.ready_file, strerror(errno));
		return;
	}
	fprintf(fp, "%u\n", lg->up);
	fclose(fp);
}

static void
loadgen_start_voice(struct loadgen *lg)
{
	unsigned i, n = 0;

	for (i = 0; i < lg->started && n < lg->opt.voice_sessions; i++) {
		if (lg->clients[i].state != CS_UP)
			continue;
		if (voice_start(&lg->clients[i]) == 0)
			n++;
	}
	lg->voice_running = true;
	fprintf(stderr, "loadgen: voice stream running on %u sessions\n", n);
}

static void
loadgen_hold_done_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	loadgen_stop(arg);
}

/* Called each time a client's setup ends, with success or failure. */
void
loadgen_setup_ended(struct loadgen *lg)
{
	struct timeval tv = seconds_tv(lg->opt.hold);

	lg->in_setup--;
	lg->finished++;
	if (lg->finished < lg->opt.count || lg->stopping)
		return;
	lg->all_set_ns = now_ns();
	fprintf(stderr, "loadgen: all %u setups ended after %.3f s, %u up\n",
	    lg->opt.count, (double)(lg->all_set_ns - lg->start_ns) / 1e9,
	    lg->up);
	loadgen_write_ready(lg);
	if (lg->opt.mode == MODE_VOICE)
		loadgen_start_voice(lg);
	event_del(lg->tick);
	evtimer_assign(lg->stop, lg->base, loadgen_hold_done_cb, lg);
	evtimer_add(lg->stop, &tv);
}

/* Start as many clients as concurrency and ramp rate allow right now. */
static void
loadgen_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct loadgen *lg = arg;
	const struct options *o = &lg->opt;
	double elapsed = (double)(now_ns() - lg->start_ns) / 1e9;
	unsigned budget = o->count;

	(void)fd;
	(void)events;
	if (o->ramp > 0 && elapsed * o->ramp + 1 < (double)budget)
		budget = (unsigned)(elapsed * o->ramp) + 1;
	while (lg->started < budget && lg->in_setup < o->concurrency &&
	    !lg->stopping) {
		struct client *c = &lg->clients[lg->started];

		c->lg = lg;
		c->id = lg->started++;
		lg->in_setup++;
		if (client_start(c) != 0)
			loadgen_setup_ended(lg);
	}
}

static void
loadgen_exit_cb(evutil_socket_t fd, short events, void *arg)
{
	struct loadgen *lg = arg;

	(void)fd;
	(void)events;
	event_base_loopexit(lg->base, NULL);
}

static void
loadgen_goodbye_cb(evutil_socket_t fd, short events, void *arg)
{
	struct loadgen *lg = arg;
	struct timeval tv = { GOODBYE_SECONDS, 0 };
	unsigned i;

	(void)fd;
	(void)events;
	for (i = 0; i < lg->started; i++)
		client_disconnect(&lg->clients[i]);
	evtimer_assign(lg->stop, lg->base, loadgen_exit_cb, lg);
	evtimer_add(lg->stop, &tv);
}

/*
 * End the run: stop the voice senders, wait for replies still in flight,
 * then send every session a DISCONNECT so that both servers free them
 * at once instead of keeping them for a reconnect.
 */
static void
loadgen_stop(struct loadgen *lg)
{
	struct timeval tv = { lg->voice_running ? DRAIN_SECONDS : 0, 0 };
	unsigned i;

	if (lg->stopping)
		return;
	lg->stopping = true;
	event_del(lg->tick);
	if (lg->all_set_ns == 0)
		lg->all_set_ns = now_ns();
	for (i = 0; i < lg->started; i++)
		voice_pause(&lg->clients[i]);
	event_del(lg->stop);
	evtimer_assign(lg->stop, lg->base, loadgen_goodbye_cb, lg);
	evtimer_add(lg->stop, &tv);
}

static void
loadgen_max_time_cb(evutil_socket_t fd, short events, void *arg)
{
	struct loadgen *lg = arg;

	(void)fd;
	(void)events;
	fprintf(stderr, "loadgen: --max-time reached, stopping\n");
	loadgen_stop(lg);
}

static void
loadgen_signal_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)events;
	fprintf(stderr, "loadgen: signal %d, stopping\n", (int)fd);
	loadgen_stop(arg);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: loadgen --server ADDR [options]\n"
"  --mode idle|storm|voice|direct|probe  what to do (default idle)\n"
"  --flow xml|phone      login flow (default xml)\n"
"  --server ADDR         headend IPv4 address\n"
"  --port N              headend TCP port (default 443)\n"
"  --host NAME           Host header and TLS SNI (default vpn.example.net)\n"
"  --path PATH           group-url path (default /staff)\n"
"  --count N             clients to start (default 1)\n"
"  --concurrency N       clients in setup at once (default 100)\n"
"  --ramp R              client starts per second, 0 = no limit\n"
"  --hold S              seconds to keep sessions up after setup\n"
"  --max-time S          hard limit on the run in seconds (default 120)\n"
"  --setup-timeout S     seconds a setup may take (default 60)\n"
"  --deadline S          setup time counted as on time (default 30)\n"
"  --voice-sessions N    sessions that send voice (default all)\n"
"  --target ADDR:PORT    UDP echo server (voice, direct) or host (probe)\n"
"  --source A[,B...]     local addresses to connect from, round robin\n"
"  --user NAME           username, or prefix with --users\n"
"  --users N             use NAME00000 .. NAME(N-1), one per client\n"
"  --password PW         password (or --password-file FILE)\n"
"  --user-agent UA       User-Agent of the XML flow\n"
"  --ready-file FILE     write the session count here once all are set\n"
"  --new-conn            send CONNECT on a new TLS connection\n"
"  --phone-tls           TLS 1.2 with the suites a CP-8841 offers, so that\n"
"                        a phone group's DTLS can resume the TLS suite\n"
"  --dtls none|psk|legacy  DTLS offer in CONNECT (default none): psk\n"
"                        offers PSK-NEGOTIATE first, legacy only\n"
"                        resumption suites\n"
"  --dtls-ciphers LIST   X-DTLS-CipherSuite instead of the default\n"
"  --dtls12-ciphers LIST X-DTLS12-CipherSuite instead of the default\n"
"  --dtls-timeout S      seconds the DTLS handshake may take before the\n"
"                        client stays on CSTP (default 5)\n"
"  --verbose             log every failure\n"
"Prints one line of JSON with the results on stdout.\n");
}

static int
parse_addr_port(const char *text, struct sockaddr_in *sin, int port)
{
	char buf[64];
	char *colon;

	snprintf(buf, sizeof(buf), "%s", text);
	if ((colon = strchr(buf, ':')) != NULL) {
		*colon = '\0';
		port = atoi(colon + 1);
	}
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1 || port <= 0 ||
	    port > 65535)
		return (-EINVAL);
	return (0);
}

static int
parse_sources(struct options *o, const char *list)
{
	char buf[4096];
	char *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (o->nsources == LOADGEN_SOURCES_MAX ||
		    inet_pton(AF_INET, tok, &o->sources[o->nsources]) != 1)
			return (-EINVAL);
		o->nsources++;
	}
	return (0);
}

static int
read_password_file(struct options *o, const char *path)
{
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return (-errno);
	if (fgets(o->password, sizeof(o->password), fp) == NULL) {
		fclose(fp);
		return (-EINVAL);
	}
	fclose(fp);
	o->password[strcspn(o->password, "\r\n")] = '\0';
	return (0);
}

static int
parse_enum(const char *text, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(text, names[i]) == 0)
			return (i);
	}
	return (-1);
}

static void
options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->concurrency = 100;
	o->max_time = 120;
	o->setup_timeout = 60;
	o->deadline = 30;
	o->dtls_timeout = 5;
	o->voice_sessions = UINT32_MAX;
	o->server.sin_family = AF_INET;
	o->server.sin_port = htons(443);
	snprintf(o->host, sizeof(o->host), "vpn.example.net");
	snprintf(o->path, sizeof(o->path), "/staff");
	snprintf(o->user, sizeof(o->user), "bench");
	snprintf(o->user_agent, sizeof(o->user_agent),
	    "Open AnyConnect VPN Agent v9.01-3");
}

enum {
	OPT_MODE = 256, OPT_FLOW, OPT_SERVER, OPT_PORT, OPT_HOST, OPT_PATH,
	OPT_COUNT, OPT_CONC, OPT_RAMP, OPT_HOLD, OPT_MAX_TIME, OPT_SETUP,
	OPT_DEADLINE, OPT_VOICE, OPT_TARGET, OPT_SOURCE, OPT_USER, OPT_USERS,
	OPT_PASSWORD, OPT_PASSWORD_FILE, OPT_UA, OPT_READY, OPT_NEW_CONN,
	OPT_PHONE_TLS,
	OPT_DTLS, OPT_DTLS_CIPHERS, OPT_DTLS12_CIPHERS, OPT_DTLS_TIMEOUT,
	OPT_VERBOSE, OPT_HELP,
};

static const struct option long_options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "flow", required_argument, NULL, OPT_FLOW },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "concurrency", required_argument, NULL, OPT_CONC },
	{ "ramp", required_argument, NULL, OPT_RAMP },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	{ "setup-timeout", required_argument, NULL, OPT_SETUP },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "voice-sessions", required_argument, NULL, OPT_VOICE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "user-agent", required_argument, NULL, OPT_UA },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "new-conn", no_argument, NULL, OPT_NEW_CONN },
	{ "phone-tls", no_argument, NULL, OPT_PHONE_TLS },
	{ "dtls", required_argument, NULL, OPT_DTLS },
	{ "dtls-ciphers", required_argument, NULL, OPT_DTLS_CIPHERS },
	{ "dtls12-ciphers", required_argument, NULL, OPT_DTLS12_CIPHERS },
	{ "dtls-timeout", required_argument, NULL, OPT_DTLS_TIMEOUT },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *const mode_names[] = {
	"idle", "storm", "voice", "direct", "probe",
};
static const char *const flow_names[] = { "xml", "phone" };
static const char *const dtls_names[] = { "none", "psk", "legacy" };

const char *
mode_name(enum loadgen_mode mode)
{
	return (mode_names[mode]);
}

const char *
flow_name(enum loadgen_flow flow)
{
	return (flow_names[flow]);
}

const char *
dtls_name(enum loadgen_dtls dtls)
{
	return (dtls_names[dtls]);
}

/* Apply a numeric option; returns 0, or -EINVAL with a message printed. */
static int
options_apply_number(struct options *o, int ch, const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || v < 0)
		goto bad;
	switch (ch) {
	case OPT_COUNT:
		if (v < 1 || v > 1000000)
			goto bad;
		o->count = (unsigned)v;
		break;
	case OPT_CONC:
		if (v < 1)
			goto bad;
		o->concurrency = (unsigned)v;
		break;
	case OPT_USERS:
		o->users = (unsigned)v;
		break;
	case OPT_VOICE:
		o->voice_sessions = (unsigned)v;
		break;
	case OPT_RAMP:
		o->ramp = v;
		break;
	case OPT_HOLD:
		o->hold = v;
		break;
	case OPT_MAX_TIME:
		o->max_time = v;
		break;
	case OPT_SETUP:
		o->setup_timeout = v;
		break;
	case OPT_DEADLINE:
		o->deadline = v;
		break;
	case OPT_DTLS_TIMEOUT:
		if (v <= 0)
			goto bad;
		o->dtls_timeout = v;
		break;
	default:
		usage(stderr);
		return (-EINVAL);
	}
	return (0);
bad:
	fprintf(stderr, "loadgen: invalid value \"%s\" for option %s\n",
	    arg, long_options[ch - OPT_MODE].name);
	return (-EINVAL);
}

/* Apply one option; returns 0, or -EINVAL with a message printed. */
static int
options_apply(struct options *o, int ch, const char *arg)
{
	int v;

	switch (ch) {
	case OPT_MODE:
		if ((v = parse_enum(arg, mode_names, 5)) < 0)
			goto bad;
		o->mode = (enum loadgen_mode)v;
		break;
	case OPT_FLOW:
		if ((v = parse_enum(arg, flow_names, 2)) < 0)
			goto bad;
		o->flow = (enum loadgen_flow)v;
		break;
	case OPT_DTLS:
		if ((v = parse_enum(arg, dtls_names, 3)) < 0)
			goto bad;
		o->dtls = (enum loadgen_dtls)v;
		break;
	case OPT_SERVER:
		if (inet_pton(AF_INET, arg, &o->server.sin_addr) != 1)
			goto bad;
		break;
	case OPT_PORT:
		if ((v = atoi(arg)) <= 0 || v > 65535)
			goto bad;
		o->server.sin_port = htons((uint16_t)v);
		break;
	case OPT_TARGET:
		if (parse_addr_port(arg, &o->target, 7) != 0)
			goto bad;
		break;
	case OPT_SOURCE:
		if (parse_sources(o, arg) != 0)
			goto bad;
		break;
	case OPT_HOST:
		snprintf(o->host, sizeof(o->host), "%s", arg);
		break;
	case OPT_PATH:
		snprintf(o->path, sizeof(o->path), "%s", arg);
		break;
	case OPT_USER:
		snprintf(o->user, sizeof(o->user), "%s", arg);
		break;
	case OPT_PASSWORD:
		snprintf(o->password, sizeof(o->password), "%s", arg);
		break;
	case OPT_PASSWORD_FILE:
		if (read_password_file(o, arg) != 0)
			goto bad;
		break;
	case OPT_UA:
		snprintf(o->user_agent, sizeof(o->user_agent), "%s", arg);
		break;
	case OPT_READY:
		o->ready_file = arg;
		break;
	case OPT_DTLS_CIPHERS:
		o->dtls_ciphers = arg;
		break;
	case OPT_DTLS12_CIPHERS:
		o->dtls12_ciphers = arg;
		break;
	case OPT_PHONE_TLS:
		o->phone_tls = true;
		break;
	case OPT_NEW_CONN:
		o->new_conn = true;
		break;
	case OPT_VERBOSE:
		o->verbose = true;
		break;
	default:
		return (options_apply_number(o, ch, arg));
	}
	return (0);
bad:
	fprintf(stderr, "loadgen: invalid value \"%s\" for option %s\n",
	    arg, long_options[ch - OPT_MODE].name);
	return (-EINVAL);
}

/* Check that the options fit together and fill in the mode presets. */
static int
options_check(struct options *o)
{
	bool needs_server = o->mode != MODE_DIRECT && o->mode != MODE_PROBE;
	bool needs_target = o->mode == MODE_VOICE || o->mode == MODE_DIRECT ||
	    o->mode == MODE_PROBE;

	if (needs_server && o->server.sin_addr.s_addr == 0) {
		fprintf(stderr, "loadgen: --server is missing\n");
		return (-EINVAL);
	}
	if (needs_target && o->target.sin_addr.s_addr == 0) {
		fprintf(stderr, "loadgen: --target is missing; mode %s "
		    "needs the echo server's ADDR:PORT\n",
		    mode_names[o->mode]);
		return (-EINVAL);
	}
	if (needs_server && o->password[0] == '\0') {
		fprintf(stderr, "loadgen: --password or --password-file is "
		    "missing\n");
		return (-EINVAL);
	}
	/* A power cut brings every phone back at the same moment. */
	if (o->mode == MODE_STORM)
		o->concurrency = o->count;
	if (o->voice_sessions > o->count)
		o->voice_sessions = o->count;
	return (0);
}

static int
options_parse(struct options *o, int argc, char **argv)
{
	int ch;

	options_defaults(o);
	while ((ch = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		if (ch == OPT_HELP) {
			usage(stdout);
			exit(0);
		}
		if (ch == '?' || options_apply(o, ch, optarg) != 0) {
			usage(stderr);
			return (-EINVAL);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loadgen: unexpected argument %s\n",
		    argv[optind]);
		return (-EINVAL);
	}
	return (options_check(o));
}

/*
 * The client context accepts any server certificate: a benchmark must not
 * depend on a CA file, and every address it reaches is a test namespace.
 * Buffers are released between records so that idle sessions stay small.
 */
/* The TLS 1.2 suites of a Cisco CP-8841, in its order. */
#define PHONE_TLS_CIPHERS \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:" \
	"AES256-SHA:AES128-SHA"

static SSL_CTX *
loadgen_ssl_ctx(const struct options *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return (NULL);
	if (o->phone_tls &&
	    (SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, PHONE_TLS_CIPHERS) != 1)) {
		SSL_CTX_free(ctx);
		return (NULL);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return (ctx);
}

static int
loadgen_init(struct loadgen *lg)
{
	struct timeval tick = { 0, TICK_US };
	struct timeval max = seconds_tv(lg->opt.max_time);
	struct event *max_ev;

	if ((lg->base = event_base_new()) == NULL ||
	    (lg->ssl_ctx = loadgen_ssl_ctx(&lg->opt)) == NULL ||
	    dtls_init(lg) != 0)
		return (-ENOMEM);
	lg->clients = calloc(lg->opt.count, sizeof(*lg->clients));
	lg->tick = event_new(lg->base, -1, EV_PERSIST, loadgen_tick_cb, lg);
	lg->stop = evtimer_new(lg->base, loadgen_hold_done_cb, lg);
	max_ev = evtimer_new(lg->base, loadgen_max_time_cb, lg);
	lg->sigint = evsignal_new(lg->base, SIGINT, loadgen_signal_cb, lg);
	lg->sigterm = evsignal_new(lg->base, SIGTERM, loadgen_signal_cb, lg);
	if (lg->clients == NULL || lg->tick == NULL || lg->stop == NULL ||
	    max_ev == NULL || lg->sigint == NULL || lg->sigterm == NULL)
		return (-ENOMEM);
	evsignal_add(lg->sigint, NULL);
	evsignal_add(lg->sigterm, NULL);
	evtimer_add(max_ev, &max);
	event_add(lg->tick, &tick);
	return (0);
}

/* A large run needs a descriptor per client; raise the soft limit. */
static void
raise_nofile(unsigned count)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)count + 64)
		fprintf(stderr, "loadgen: warning: the descriptor limit %lu "
		    "is below --count %u; raise it with ulimit -n\n",
		    (unsigned long)rl.rlim_cur, count);
}

int
main(int argc, char **argv)
{
	static struct loadgen lg;
	int rc;

	if (options_parse(&lg.opt, argc, argv) != 0)
		return (2);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(lg.opt.count);
	if (lg.opt.mode == MODE_DIRECT || lg.opt.mode == MODE_PROBE) {
		if ((lg.base = event_base_new()) == NULL)
			return (1);
		lg.start_ns = now_ns();
		rc = lg.opt.mode == MODE_DIRECT ? direct_run(&lg) :
		    probe_run(&lg);
		if (rc != 0)
			return (1);
		stats_print_json(&lg);
		return (0);
	}
	if (loadgen_init(&lg) != 0) {
		fprintf(stderr, "loadgen: out of memory\n");
		return (1);
	}
	lg.start_ns = now_ns();
	event_base_dispatch(lg.base);
	stats_print_json(&lg);
	return (lg.up == lg.opt.count ? 0 : 1);
}
