/* The network process declared in netproc.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "authc.h"
#include "conn.h"
#include "dtls.h"
#include "ipc.h"
#include "lease.h"
#include "handshake.h"
#include "log.h"
#include "memtrim.h"
#include "login.h"
#include "metrics.h"
#include "ban.h"
#include "netproc.h"
#include "netreload.h"
#include "parentc.h"
#include "persist.h"
#include "source.h"
#include "pool.h"
#include "sandbox.h"
#include "session.h"
#include "status.h"
#include "tun.h"
#include "worker.h"

/* Switch to the configured user before any network input is read. */
static void
netproc_drop_privileges(const struct config *cfg)
{
	struct passwd *pw;

	if ((pw = getpwnam(cfg->user)) == NULL)
		fatalx("user \"%s\" does not exist; create it with "
		    "\"useradd --system %s\" or set user in %s", cfg->user,
		    cfg->user, cfg->path);
	if (setgroups(1, &pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		fatal("cannot switch to user %s", cfg->user);
	if (getuid() == 0 || geteuid() == 0)
		fatalx("still root after switching to user %s", cfg->user);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
netproc_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct netproc *np = arg;
	size_t i;

	for (i = 0; i < np->cfg->nlisteners; i++) {
		if (np->listeners[i] == l) {
			conn_accept(np, i, fd, sa, salen);
			return;
		}
	}
	evutil_closesocket(fd);
}

/* Keep the outcome of a reload for headendctl; false when malformed. */
static bool
netproc_reload_result(const void *buf, size_t len)
{
	struct ipc_reload_result msg;

	if (ipc_reload_result_decode(buf, len, &msg) != 0)
		return (false);
	statusadmin_reload_done(msg.seq, (enum ipc_reload_outcome)msg.outcome,
	    msg.warnings);
	return (true);
}

/* Ask the parent to replace an authd that lets every check time out. */
static void
netproc_authd_stuck(void *arg)
{
	struct ipc_header msg = { IPC_AUTHD_STUCK, sizeof(msg) };

	log_warnx("authd let several password checks in a row time out; "
	    "asking the parent to replace it");
	if (parentc_send(arg, &msg, sizeof(msg)) != 0)
		log_warnx("cannot reach the parent to replace authd");
}

/* The socket of the authd for the configuration that comes next. */
static int netproc_authd_next = -1;

static void
netproc_parent_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netproc *np = arg;
	uint8_t buf[64];
	int len, passed;

	(void)events;
	len = ipc_recv(fd, buf, sizeof(buf), &passed);
	if (len == -EAGAIN)
		return;
	if (len <= 0)
		fatalx("parent channel closed; exiting");
	switch (ipc_message_type(buf, (size_t)len)) {
	case IPC_AUTHD_SOCKET:
		if (passed < 0)
			break;
		log_info("connected to a new authd");
		authc_set_socket(np->authc, passed);
		return;
	case IPC_AUTHD_NEXT:
		if (passed < 0)
			break;
		/* One whose configuration never came was abandoned. */
		if (netproc_authd_next >= 0)
			close(netproc_authd_next);
		netproc_authd_next = passed;
		return;
	case IPC_CONFIG:
		if (passed < 0)
			break;
		netreload_receive(np, buf, (size_t)len, passed,
		    netproc_authd_next);
		netproc_authd_next = -1;
		return;
	case IPC_STOP_LOGOFF:
		if (len == sizeof(struct ipc_header))
			persist_logoff_all(np);
		break;
	case IPC_RELOAD_RESULT:
		if (passed < 0 && netproc_reload_result(buf, (size_t)len))
			return;
		break;
	}
	fatalx("unexpected message from the parent: desynchronized");
}

static int
netproc_make_pools(struct netproc *np)
{
	const struct config *cfg = np->cfg;
	const struct config_pool *p;
	size_t i;

	for (i = 0; i < cfg->npools; i++) {
		p = &cfg->pools[i];
		np->pools[i] = pool_new(p->first, p->last, p->prefix,
		    p->exclude, p->nexclude);
		if (np->pools[i] == NULL)
			return (-errno);
		if (lease_reserve_static(np->pools[i], cfg, i) != 0)
			return (-EINVAL);
	}
	return (0);
}

/* Take new connections again after running out of descriptors. */
static void
netproc_accept_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netproc *np = arg;
	size_t i;

	(void)fd;
	(void)events;
	for (i = 0; i < np->cfg->nlisteners; i++)
		evconnlistener_enable(np->listeners[i]);
}

/*
 * Handle a failed accept(). Out of descriptors, the listening socket
 * stays readable and libevent would retry at once, spinning the CPU, so
 * accepting pauses for a second and each pause is logged once.
 */
static void
netproc_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct netproc *np = arg;
	struct timeval tv = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();
	size_t i;

	(void)l;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_debug("accept failed: %s", strerror(err));
		return;
	}
	for (i = 0; i < np->cfg->nlisteners; i++)
		evconnlistener_disable(np->listeners[i]);
	evtimer_add(np->accept_resume, &tv);
	if (counter_add(&np->stats.accept_pauses, 1) % 60 == 0)
		log_warnx("accept failed: %s; not accepting connections for "
		    "1 second (raise the descriptor limit, LimitNOFILE)",
		    strerror(err));
}

/* libevent's own messages go to our log, never to stderr unformatted. */
static void
netproc_libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void
netproc_listen(struct netproc *np, const struct netproc_fds *fds)
{
	size_t i;

	/*
	 * libevent accepts until EAGAIN, so the sockets must not block.
	 * The parent already called listen() with a long queue, and a
	 * backlog of 0 makes libevent skip its own listen() with 128.
	 */
	for (i = 0; i < np->cfg->nlisteners; i++) {
		evutil_make_socket_nonblocking(fds->tcp[i]);
		np->listeners[i] = evconnlistener_new(np->base,
		    netproc_accept_cb, np, LEV_OPT_CLOSE_ON_FREE, 0,
		    fds->tcp[i]);
		if (np->listeners[i] == NULL)
			fatalx("cannot watch listener %zu", i);
		evconnlistener_set_error_cb(np->listeners[i],
		    netproc_accept_error_cb);
	}
	np->accept_resume = evtimer_new(np->base, netproc_accept_resume_cb,
	    np);
	if (np->accept_resume == NULL)
		fatalx("out of memory");
	np->parent_fd = fds->parent;
	np->parent_event = event_new(np->base, fds->parent,
	    EV_READ | EV_PERSIST, netproc_parent_cb, np);
	if (np->parent_event == NULL ||
	    event_add(np->parent_event, NULL) != 0)
		fatalx("cannot watch the parent channel");
}

static void
netproc_init(struct netproc *np, const struct config *cfg, SSL_CTX **tls,
    const struct netproc_fds *fds)
{
	size_t i;

	memset(np, 0, sizeof(*np));
	np->cfg = cfg;
	np->started = time(NULL);
	np->tun_fd = fds->tun[0];
	for (i = 0; i < cfg->nlisteners; i++)
		np->tls[i] = tls[i];
	if (RAND_bytes(np->secret, sizeof(np->secret)) != 1)
		fatalx("RAND_bytes failed");
	if ((np->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	np->authc = authc_new(np->base);
	if (np->authc != NULL)
		authc_on_stuck(np->authc, netproc_authd_stuck, np);
	np->sessions = sessions_new(np);
	np->leases = lease_table_new(LEASE_STICKY_MAX);
	np->sources = source_table_new();
	np->bans = ban_table_new(&(struct ban_limits){
	    .user_threshold = (unsigned)cfg->limits.ban_user_threshold,
	    .address_threshold = (unsigned)cfg->limits.ban_address_threshold,
	    .ban_seconds = (unsigned)cfg->limits.ban_time,
	    .decay_seconds = (unsigned)cfg->limits.ban_decay });
	if (np->authc == NULL || np->sessions == NULL || np->sources == NULL ||
	    np->bans == NULL || np->leases == NULL)
		fatalx("out of memory");
	if (netproc_make_pools(np) != 0)
		fatal("cannot create the address pools");
	if (login_init(np) != 0)
		fatalx("cannot prepare the group-urls");
	authc_set_socket(np->authc, fds->authd);
}

/* The control thread is worker 0: it reads the first socket of each. */
static void
netproc_start_dtls(struct netproc *np, const struct netproc_fds *fds)
{
	int udp[CONFIG_MAX_LISTENERS];
	size_t i;

	for (i = 0; i < np->cfg->nlisteners; i++)
		udp[i] = fds->udp[i][0];
	if (dtls_start(np, udp, np->cfg->nlisteners) != 0)
		fatalx("cannot set up DTLS on the UDP sockets");
}

void
netproc_main(const struct config *cfg, SSL_CTX **tls,
    const struct netproc_fds *fds)
{
	static struct netproc np;
	int rc;

	log_set_role("network");
	event_set_log_callback(netproc_libevent_log_cb);
	signal(SIGPIPE, SIG_IGN);
	if (sandbox_limit_capabilities() != 0)
		fatalx("cannot limit the capabilities of the network process");
	netproc_drop_privileges(cfg);
	netproc_init(&np, cfg, tls, fds);
	workers_create(&np, fds);
	persist_start(&np, fds->parent);
	netproc_listen(&np, fds);
	netproc_start_dtls(&np, fds);
	evutil_make_socket_nonblocking(fds->status);
	if (tun_start(&np) != 0 || status_start(&np, fds->status) != 0)
		fatalx("cannot watch the tun device or the status socket");
	if (memtrim_start(&np) != 0)
		fatalx("cannot start the heap trim timer: out of memory");
	if (cfg->metrics.enabled && (rc = metrics_http_start(&np)) != 0)
		log_warnx("cannot listen for metrics on %s port %u: %s; "
		    "only headendctl metrics serves them", cfg->metrics.address,
		    (unsigned)cfg->metrics.port, strerror(-rc));
	if (sandbox_enter() != 0)
		fatalx("cannot sandbox the network process");
	workers_release(&np);
	log_info("ready: %zu listener(s), %zu tunnel-group(s), %zu "
	    "worker(s), running as %s", cfg->nlisteners, cfg->ntgroups,
	    fds->nworkers, cfg->user);
	event_base_dispatch(np.base);
	workers_stop(&np);
	handshake_queue_free(&np);
	memtrim_stop(&np);
	exit(0);
}
