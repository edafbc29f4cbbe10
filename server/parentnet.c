/*
 * The parent's side of the network process's channel, declared in
 * parentint.h: the session reports for the state file, the requests of
 * the status socket, and reloads, which the network process must accept
 * before the parent and authd take the new configuration too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "banstore.h"
#include "certdiag.h"
#include "ipc.h"
#include "log.h"
#include "parentint.h"
#include "poolroute.h"
#include "reload.h"
#include "state.h"
#include "tun.h"

/*
 * Restart a network process that went wrong by ending it. Once it has
 * exited, net_pid is 0, and kill(0) would signal the parent's own
 * process group, so then there is nothing to do.
 */
static void
parentnet_stop_network(struct parent *p)
{
	if (p->net_pid > 0)
		kill(p->net_pid, SIGTERM);
}

/* Room for the largest message the network process sends. */
union parentnet_message {
	struct ipc_parent_request request;
	struct ipc_session	session;
	struct ipc_config_applied applied;
	struct ipc_ban		ban;
};

/*
 * sd_notify(3) pairs RELOADING=1 with MONOTONIC_USEC, which systemd's
 * Type=notify-reload uses to match the reload to its request.
 */
static void
parentnet_notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000ull);
}

/* Certificate hashes and warnings go to the log, as at startup. */
static void
parentnet_log_certdiag(void *arg, enum certdiag_level level,
    const char *line)
{
	(void)arg;
	log_write(certdiag_priority(level), "%s", line);
}

/*
 * Tell the status request seq, if any, how its reload ended and how many
 * warnings the processes logged while they applied it.
 */
static void
parentnet_reload_result(struct parent *p, uint32_t seq,
    enum ipc_reload_outcome outcome, unsigned long warnings)
{
	struct ipc_reload_result msg;
	int rc;

	if (seq == 0 || p->net_pid <= 0)
		return;
	ipc_reload_result_init(&msg, seq, outcome);
	msg.warnings = warnings > UINT32_MAX ? UINT32_MAX : (uint32_t)warnings;
	if ((rc = ipc_send(p->net_channel, &msg, sizeof(msg), -1)) != 0)
		log_warnx("cannot report the end of reload request %u to the "
		    "network process: %s", seq, strerror(-rc));
}

static bool
parentnet_any_address(poolroute_match_fn *match, void *match_arg, void *arg)
{
	return (state_any_address(arg, match, match_arg));
}

static void
parentnet_prune_routes(struct parent *p)
{
	if (poolroute_pending(p->routes))
		poolroute_prune(p->routes, p->cfg, parentnet_any_address,
		    p->state);
}

void
parent_route_prune_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	parentnet_prune_routes(arg);
}

/*
 * Route the pools of the installed configuration, and delete the routes
 * of old's pools that it removed, once no session uses them.
 */
static void
parentnet_reload_routes(struct parent *p, const struct config *old)
{
	int rc;

	if ((rc = tun_route_add_pools(p->cfg)) != 0)
		log_warnx("cannot route the pools into %s: %s",
		    p->cfg->tun.name, strerror(-rc));
	if (poolroute_reload(p->routes, old, p->cfg) != 0)
		log_warnx("more than %d routes of removed pools wait for "
		    "their sessions; the others stay until a restart",
		    POOLROUTE_STALE_MAX);
	parentnet_prune_routes(p);
}

/* Take the checked configuration into the parent and a new authd. */
static void
parentnet_reload_install(struct parent *p, struct reload *r)
{
	pid_t old_authd = p->authd_pid;
	unsigned long warnings;

	/* After the install, r keeps the old configuration. */
	reload_install(r, &p->cfg, p->tls);
	parentnet_reload_routes(p, r->cfg);
	reload_free(r);
	certdiag_config(p->cfg, parentnet_log_certdiag, NULL);

	/*
	 * authd got its configuration by fork, so a new one takes over:
	 * the one that the network process switched to with the new
	 * configuration, or a new one now. The old one is retired (see
	 * parent_retire_authd).
	 */
	if (p->reload_authd_pid > 0) {
		parent_retire_authd(p);
		p->authd_pid = p->reload_authd_pid;
		p->authd_started = time(NULL);
		p->reload_authd_pid = 0;
	} else if (old_authd > 0 && p->net_pid > 0) {
		parent_retire_authd(p);
		parent_restart_authd(p);
	} else if (old_authd > 0) {
		/* The pending restart starts both with the new file. */
		parent_stop_child(&p->authd_pid);
	}
	warnings = log_warning_count() - p->reload_log_mark +
	    p->reload_net_warnings;
	if (warnings > 0)
		log_notice("reloaded %s, with %lu warning(s) above",
		    p->cfg->path, warnings);
	else
		log_notice("reloaded %s", p->cfg->path);
	sd_notify(0, "READY=1");
	parentnet_reload_result(p, p->reload_seq, IPC_RELOAD_APPLIED,
	    warnings);
	p->reload_seq = 0;
}

static void
parentnet_reload_abandon(struct parent *p, const char *why)
{
	log_err("reload of %s failed: %s; the running configuration stays",
	    p->cfg->path, why);
	parent_stop_child(&p->reload_authd_pid);
	reload_free(p->reload);
	p->reload = NULL;
	evtimer_del(p->reload_timeout);
	sd_notify(0, "READY=1");
	parentnet_reload_result(p, p->reload_seq, IPC_RELOAD_FAILED, 0);
	p->reload_seq = 0;
}

/*
 * Start the authd of the reload's configuration and pass its socket to
 * the network process, which switches to it when it applies the
 * configuration. Returns 0 or -errno.
 */
static int
parentnet_send_authd_next(struct parent *p, struct reload *r)
{
	struct ipc_authd_socket msg = { { IPC_AUTHD_NEXT, sizeof(msg) } };
	int sock = parent_fork_authd(p, r->cfg, &p->reload_authd_pid);
	int rc = ipc_send(p->net_channel, &msg, sizeof(msg), sock);

	close(sock);
	return (rc);
}

void
parent_reload(struct parent *p, uint32_t seq)
{
	struct timeval tv = { PARENT_RELOAD_TIMEOUT, 0 };
	struct reload *r;
	int errors, rc;

	if (p->reload != NULL) {
		log_warnx("a reload is still waiting for the network process; "
		    "ignoring this one");
		parentnet_reload_result(p, seq, IPC_RELOAD_IGNORED, 0);
		return;
	}
	parentnet_notify_reloading();
	p->reload_log_mark = log_warning_count();
	p->reload_net_warnings = 0;
	log_notice("reloading %s", p->cfg->path);
	if ((errors = reload_prepare(p->cfg, &r)) != 0) {
		log_err("reload of %s rejected with %d error(s); the running "
		    "configuration stays", p->cfg->path, errors);
		sd_notify(0, "READY=1");
		parentnet_reload_result(p, seq, IPC_RELOAD_REJECTED, 0);
		return;
	}
	p->reload_seq = seq;
	if (p->net_pid <= 0) {
		parentnet_reload_install(p, r);
		return;
	}
	p->reload = r;
	if ((rc = parentnet_send_authd_next(p, r)) != 0 ||
	    (rc = reload_send(r, p->net_channel)) != 0) {
		parentnet_reload_abandon(p, strerror(-rc));
		return;
	}
	evtimer_add(p->reload_timeout, &tv);
}

/*
 * A network process that sends no reload result may still apply the
 * reload later and then run another configuration than the parent and
 * authd. So it is restarted, and its successor gets the running one.
 */
void
parent_reload_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct parent *p = arg;

	(void)fd;
	(void)events;
	parentnet_reload_abandon(p, "the network process did not answer "
	    "in time; restarting it with the running configuration");
	if (p->net_pid > 0)
		kill(p->net_pid, SIGKILL);
}

static void
parentnet_reload_answer(struct parent *p, const void *buf, size_t len)
{
	struct ipc_config_applied msg;
	struct reload *r = p->reload;

	if (ipc_config_applied_decode(buf, len, &msg) != 0 || r == NULL) {
		log_warnx("unexpected reload result from the network process");
		return;
	}
	if (msg.result != 0) {
		parentnet_reload_abandon(p, msg.message);
		return;
	}
	p->reload = NULL;
	evtimer_del(p->reload_timeout);
	p->reload_net_warnings = msg.warnings;
	parentnet_reload_install(p, r);
}

static void
parentnet_request(struct parent *p, const void *buf, size_t len)
{
	struct ipc_parent_request req;

	if (ipc_parent_request_decode(buf, len, &req) != 0) {
		log_warnx("malformed request from the network process: "
		    "desynchronized; restarting it");
		parentnet_stop_network(p);
		return;
	}
	if (req.hdr.type == IPC_RELOAD_REQUEST) {
		log_notice("uid %u (pid %d) requested a reload through the "
		    "status socket", req.uid, req.pid);
		parent_reload(p, req.seq);
		return;
	}
	p->logoff = req.hdr.type == IPC_SHUTDOWN_LOGOFF_REQUEST;
	log_notice("uid %u (pid %d) requested a shutdown%s through the "
	    "status socket; stopping", req.uid, req.pid, p->logoff ?
	    " that logs everyone off" : "");
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(p->base);
}

/*
 * End an authd that lets password checks time out, such as one stuck in
 * a PAM module: SIGCHLD then starts another, as after a crash. During a
 * reload the reload's authd is about to take over anyway.
 */
static void
parentnet_authd_stuck(struct parent *p)
{
	if (p->authd_pid <= 0 || p->reload != NULL)
		return;
	log_warnx("authd (pid %d) let several password checks in a row time "
	    "out; ending it so that a new one takes over", (int)p->authd_pid);
	kill(p->authd_pid, SIGKILL);
}

/* Keep the network process's ban for the next one; see banstore.h. */
static void
parentnet_ban(struct parent *p, const void *buf, size_t len)
{
	struct ipc_ban msg;

	if (ipc_ban_decode(buf, len, &msg) != 0) {
		log_warnx("malformed ban report from the network process: "
		    "desynchronized; restarting it");
		parentnet_stop_network(p);
		return;
	}
	if (banstore_record(p->bans, &msg, time(NULL)) != 0)
		log_warnx("out of memory for the ban of %s: a restart of the "
		    "network process would lift it", msg.address);
}

static void
parentnet_session(struct parent *p, const void *buf, size_t len)
{
	static const struct timeval prune_delay = { 1, 0 };
	struct ipc_session msg;

	if (ipc_session_decode(buf, len, &msg) != 0) {
		log_warnx("malformed session report from the network "
		    "process: desynchronized; restarting it");
		parentnet_stop_network(p);
		return;
	}
	state_record(p->state, &msg);

	/* One look a second is enough, also when many sessions end. */
	if (msg.hdr.type == IPC_SESSION_DOWN && poolroute_pending(p->routes) &&
	    !evtimer_pending(p->route_prune, NULL))
		evtimer_add(p->route_prune, &prune_delay);
}

/*
 * Handle one message. Returns 1 when one was read, 0 when none waits or
 * the channel is closed. A malformed message means the child is
 * desynchronized, so it is restarted rather than trusted.
 */
static int
parentnet_read(struct parent *p)
{
	union parentnet_message buf;
	int len, passed, type;

	len = ipc_recv(p->net_channel, &buf, sizeof(buf), &passed);
	if (passed >= 0)
		close(passed);
	if (len == -EINTR)
		return (1);
	if (len <= 0) {
		/* At the end of file the child is gone; SIGCHLD restarts it. */
		if (len != -EAGAIN && p->net_event != NULL)
			event_del(p->net_event);
		return (0);
	}
	type = ipc_message_type(&buf, (size_t)len);
	if (type == IPC_SESSION_UP || type == IPC_SESSION_UPDATE ||
	    type == IPC_SESSION_DOWN)
		parentnet_session(p, &buf, (size_t)len);
	else if (type == IPC_BAN)
		parentnet_ban(p, &buf, (size_t)len);
	else if (p->stopping)
		return (1);
	else if (type == IPC_CONFIG_APPLIED)
		parentnet_reload_answer(p, &buf, (size_t)len);
	else if (type == IPC_AUTHD_STUCK &&
	    len == (int)sizeof(struct ipc_header))
		parentnet_authd_stuck(p);
	else
		parentnet_request(p, &buf, (size_t)len);
	return (1);
}

static void
parentnet_read_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	parentnet_read(arg);
}

void
parent_watch_network(struct parent *p)
{
	p->net_event = event_new(p->base, p->net_channel,
	    EV_READ | EV_PERSIST, parentnet_read_cb, p);
	if (p->net_event == NULL || event_add(p->net_event, NULL) != 0)
		fatalx("cannot watch the network process channel");
}

void
parent_drain_network(struct parent *p)
{
	while (parentnet_read(p) > 0)
		continue;
}

void
parent_network_gone(struct parent *p)
{
	parent_drain_network(p);
	event_free(p->net_event);
	p->net_event = NULL;
	close(p->net_channel);
	p->net_channel = -1;
	if (p->reload != NULL)
		parentnet_reload_abandon(p, "the network process exited");
}

/* The message that follows the start: the bans still running. */
static int
parentnet_send_bans(struct parent *p)
{
	struct ipc_bans msg;
	uint64_t count;
	int fd, rc;

	fd = banstore_export(p->bans, time(NULL), &count);
	ipc_bans_init(&msg, count);
	rc = ipc_send(p->net_channel, &msg, sizeof(msg), fd);
	if (fd >= 0)
		close(fd);
	return (rc);
}

void
parent_send_start(struct parent *p)
{
	struct ipc_start msg;
	int fd, rc;

	fd = state_start_message(p->state, &msg);
	rc = ipc_send(p->net_channel, &msg, sizeof(msg), fd);
	explicit_bzero(&msg, sizeof(msg));
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = parentnet_send_bans(p);
	if (rc != 0) {
		log_warnx("cannot send the start message to the network "
		    "process: %s; restarting it", strerror(-rc));
		parentnet_stop_network(p);
	}
}
