/* The parent process declared in parent.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <libgen.h>
#include <linux/filter.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include "authd.h"
#include "banstore.h"
#include "cert.h"
#include "certcrl.h"
#include "ipc.h"
#include "log.h"
#include "netproc.h"
#include "parent.h"
#include "parentint.h"
#include "poolroute.h"
#include "reload.h"
#include "state.h"
#include "tun.h"

/*
 * Bind, waiting up to 5 seconds while the address is in use: after a
 * crash, processes of the old daemon may still be exiting when the new
 * one starts. Another daemon on the port still fails after the wait.
 */
#define PARENT_BIND_TRIES	50	/* 100 ms apart */

/*
 * Bind, waiting up to 5 s for an address that a stopping headend still
 * uses. what names it in the log, such as "0.0.0.0 TCP port 443".
 */
static int
parent_bind_retry(int fd, const struct sockaddr *sa, socklen_t len,
    const char *what)
{
	int i;

	for (i = 0; i < PARENT_BIND_TRIES; i++) {
		if (bind(fd, sa, len) == 0)
			return (0);
		if (errno != EADDRINUSE)
			return (-1);
		if (i == 0)
			log_info("%s is in use; waiting up to 5 s for it to be "
			    "free", what);
		usleep(100000);
	}
	errno = EADDRINUSE;
	return (-1);
}

/* Stop after a failed bind of what, a listener's port set by setting. */
static void __attribute__((noreturn))
parent_bind_failed(const struct config_listener *l, const char *what,
    const char *setting)
{
	if (errno == EADDRINUSE)
		fatalx("%s of the listener at line %d is in use by another "
		    "program: stop it (ss -ltunp names it), or set the "
		    "listener's %s to a free port", what, l->line, setting);
	fatal("bind to %s of the listener at line %d failed", what, l->line);
}

static int
parent_bind_tcp(const struct config_listener *l)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
	struct addrinfo *ai;
	char port[8], what[INET6_ADDRSTRLEN + 32];
	int fd, on = 1;

	snprintf(port, sizeof(port), "%u", l->tcp_port);
	if (getaddrinfo(l->address, port, &hints, &ai) != 0)
		fatalx("listener address %s is invalid (line %d)", l->address,
		    l->line);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket for listener %s failed", l->address);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	snprintf(what, sizeof(what), "%s TCP port %s", l->address, port);
	if (parent_bind_retry(fd, ai->ai_addr, ai->ai_addrlen, what) != 0)
		parent_bind_failed(l, what, "tcp-port");
	/*
	 * Phones that come back after a power cut connect all at once. The
	 * kernel caps the queue at net.core.somaxconn; a connection that
	 * finds it full waits for a SYN retry, seconds later.
	 */
	if (listen(fd, 65535) != 0)
		fatal("listen on %s port %s failed", l->address, port);
	freeaddrinfo(ai);
	return (fd);
}

static struct addrinfo *
parent_udp_address(const struct config_listener *l, char *port,
    size_t portlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
	    .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
	struct addrinfo *ai;

	snprintf(port, portlen, "%u", l->udp_port);
	if (getaddrinfo(l->address, port, &hints, &ai) != 0)
		fatalx("listener address %s is invalid (line %d)", l->address,
		    l->line);
	return (ai);
}

static int
parent_udp_socket(const struct config_listener *l, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fatal("UDP socket for listener %s failed", l->address);
	return (fd);
}

/*
 * A SO_REUSEPORT group accepts sockets that an exiting or second daemon
 * still has open, and the steering program's socket numbers would then
 * be wrong. A plain bind, with the usual wait, checks the port is free.
 */
static void
parent_udp_check_free(const struct config_listener *l,
    const struct addrinfo *ai, const char *port)
{
	int fd = parent_udp_socket(l, ai);
	char what[INET6_ADDRSTRLEN + 32];

	snprintf(what, sizeof(what), "%s UDP port %s", l->address, port);
	if (parent_bind_retry(fd, ai->ai_addr, ai->ai_addrlen, what) != 0)
		parent_bind_failed(l, what, "udp-port");
	close(fd);
}

/*
 * Attach to the group of fd a classic BPF program that picks the socket
 * of each datagram: the client's source address as a big-endian number,
 * modulo nworkers, as steer_worker_of_ipv4 computes it. A UDP socket's
 * program runs on the payload, so the address is loaded at a negative
 * offset from the network header. For IPv6 that is the last 32 bits of
 * the source address.
 * NOTE: the configuration accepts only IPv4 listener addresses, so the
 * IPv6 offset has not run.
 */
static void
parent_udp_steer(const struct config_listener *l, int family, int fd,
    size_t nworkers, const char *port)
{
	uint32_t offset = family == AF_INET6 ?
	    (uint32_t)(SKF_NET_OFF + 20) : (uint32_t)(SKF_NET_OFF + 12);
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)nworkers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)) != 0)
		fatal("attaching the worker steering program to %s UDP port "
		    "%s failed", l->address, port);
}

/*
 * Bind one SO_REUSEPORT socket per worker. The kernel numbers the
 * sockets of a group in bind order, which is the order of fds and the
 * worker index that the steering program returns.
 */
static void
parent_bind_udp_group(const struct config_listener *l,
    const struct addrinfo *ai, const char *port, size_t nworkers, int *fds)
{
	size_t i;
	int on = 1;

	parent_udp_check_free(l, ai, port);
	for (i = 0; i < nworkers; i++) {
		fds[i] = parent_udp_socket(l, ai);
		if (setsockopt(fds[i], SOL_SOCKET, SO_REUSEPORT, &on,
		    sizeof(on)) != 0)
			fatal("SO_REUSEPORT on the socket of worker %zu for %s "
			    "UDP port %s failed", i, l->address, port);
		if (bind(fds[i], ai->ai_addr, ai->ai_addrlen) != 0)
			fatal("bind of worker %zu to %s UDP port %s failed", i,
			    l->address, port);
	}
	parent_udp_steer(l, ai->ai_family, fds[0], nworkers, port);
}

/*
 * Unconnected UDP sockets carry the clients' DTLS: one per listener, or
 * with several workers one per worker, each receiving the datagrams of
 * the clients its worker owns.
 */
static void
parent_bind_udp(const struct config_listener *l, size_t nworkers, int *fds)
{
	char port[8], what[INET6_ADDRSTRLEN + 32];
	struct addrinfo *ai = parent_udp_address(l, port, sizeof(port));

	if (nworkers > 1) {
		parent_bind_udp_group(l, ai, port, nworkers, fds);
		freeaddrinfo(ai);
		return;
	}
	fds[0] = parent_udp_socket(l, ai);

	/* No SO_REUSEADDR: it would let two daemons share the port. */
	snprintf(what, sizeof(what), "%s UDP port %s", l->address, port);
	if (parent_bind_retry(fds[0], ai->ai_addr, ai->ai_addrlen, what) != 0)
		parent_bind_failed(l, what, "udp-port");
	freeaddrinfo(ai);
}

/* Return whether a process accepts connections on the socket at sun. */
static bool
parent_socket_served(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool served;

	if (fd < 0)
		return (false);
	served = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return (served);
}

/*
 * Refuse to take the status socket from another running headend, which
 * would lose its only way to be managed. A file left by a headend that
 * ended refuses connections and is replaced. One that is still ending
 * gets the same time to go as a listener's address does.
 */
static void
parent_claim_status(const struct sockaddr_un *sun)
{
	struct stat st;
	int i;

	if (lstat(sun->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode))
		fatalx("status-socket %s exists and is not a socket; move it "
		    "away, or set status-socket to another path",
		    sun->sun_path);

	for (i = 0; i < PARENT_BIND_TRIES; i++) {
		if (!parent_socket_served(sun)) {
			unlink(sun->sun_path);
			return;
		}
		if (i == 0)
			log_info("status socket %s is in use; waiting for it "
			    "to be free", sun->sun_path);
		usleep(100000);
	}
	fatalx("status socket %s is in use by another running headend; stop "
	    "it first, or give this one another status-socket",
	    sun->sun_path);
}

/* The status socket: root:<network user's group>, mode 0660. */
static int
parent_bind_status(const struct config *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct passwd *pw = getpwnam(cfg->user);
	char dir[sizeof(cfg->status_socket)];
	int fd;

	if (pw == NULL)
		fatalx("user \"%s\" does not exist; create it with "
		    "\"useradd --system %s\"", cfg->user, cfg->user);
	if (strlen(cfg->status_socket) >= sizeof(sun.sun_path))
		fatalx("status-socket path %s is too long", cfg->status_socket);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", cfg->status_socket);
	snprintf(dir, sizeof(dir), "%s", cfg->status_socket);
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST)
		fatal("cannot create the directory of %s", cfg->status_socket);
	parent_claim_status(&sun);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		fatal("cannot bind the status socket %s", cfg->status_socket);
	if (chown(cfg->status_socket, 0, pw->pw_gid) != 0 ||
	    chmod(cfg->status_socket, 0660) != 0 || listen(fd, 16) != 0)
		fatal("cannot set up the status socket %s",
		    cfg->status_socket);
	return (fd);
}

static void
parent_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		fatal("socketpair failed");
}

/* Close, in a child, every descriptor that belongs to another process. */
static void
parent_close_fds(struct parent *p, int keep1, int keep2)
{
	int fds[CONFIG_MAX_LISTENERS * (CONFIG_MAX_WORKERS + 1) +
	    CONFIG_MAX_WORKERS + 4];
	size_t i, w, n = 0;

	for (i = 0; i < p->cfg->nlisteners; i++)
		fds[n++] = p->fds.tcp[i];
	for (i = 0; i < p->cfg->nlisteners; i++)
		for (w = 0; w < p->fds.nworkers; w++)
			fds[n++] = p->fds.udp[i][w];
	for (w = 0; w < p->fds.nworkers; w++)
		fds[n++] = p->fds.tun[w];
	fds[n++] = p->fds.status;
	fds[n++] = p->net_channel;
	fds[n++] = p->fds.parent;
	fds[n++] = p->authd_channel;
	for (i = 0; i < n; i++) {
		if (fds[i] >= 0 && fds[i] != keep1 && fds[i] != keep2)
			close(fds[i]);
	}
	state_close_in_child(p->state);
	banstore_close_in_child(p->bans);
}

/*
 * The parent's libevent signal handlers write to the parent's own event
 * base; a child that kept them would report its signals to the parent.
 * SIGUSR1 and SIGUSR2 are ignored, as in the parent: a log-rotation
 * script that sends them to every process named headend must not end
 * the children.
 */
static void
parent_child_reset_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGCHLD, SIGHUP };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
}

int
parent_fork_authd(struct parent *p, const struct config *cfg, pid_t *pid)
{
	int sv[2];

	parent_socketpair(sv);
	p->authd_channel = sv[0];
	if ((*pid = fork()) < 0)
		fatal("fork of authd failed");
	if (*pid == 0) {
		parent_child_reset_signals();
		close(sv[1]);
		parent_close_fds(p, sv[0], -1);
		log_set_role("authd");
		authd_main(cfg, sv[0]);
	}
	close(sv[0]);
	p->authd_channel = -1;
	log_info("started authd, pid %d", (int)*pid);
	return (sv[1]);
}

int
parent_start_authd(struct parent *p)
{
	int sock = parent_fork_authd(p, p->cfg, &p->authd_pid);

	p->authd_started = time(NULL);
	return (sock);
}

static void
parent_start_network(struct parent *p, int authd_sock)
{
	int sv[2];
	pid_t pid;

	parent_socketpair(sv);
	p->net_channel = sv[0];
	p->fds.parent = sv[1];
	p->fds.authd = authd_sock;
	if ((pid = fork()) < 0)
		fatal("fork of the network process failed");
	if (pid == 0) {
		parent_child_reset_signals();
		close(sv[0]);
		p->net_channel = -1;

		/* The state arrives in the start message, keys included. */
		state_close_in_child(p->state);
		banstore_close_in_child(p->bans);
		netproc_main(p->cfg, p->tls, &p->fds);
	}
	close(sv[1]);
	close(authd_sock);
	p->fds.parent = p->fds.authd = -1;
	p->net_pid = pid;
	p->net_started = time(NULL);
	evutil_make_socket_nonblocking(p->net_channel);
	parent_watch_network(p);
	log_info("started the network process, pid %d", (int)pid);
	parent_send_start(p);
}

void
parent_restart_authd(struct parent *p)
{
	struct ipc_authd_socket msg = { { IPC_AUTHD_SOCKET, sizeof(msg) } };
	int sock = parent_start_authd(p);

	if (p->net_pid > 0 &&
	    ipc_send(p->net_channel, &msg, sizeof(msg), sock) != 0)
		log_warn("cannot pass the new authd socket to the network "
		    "process");
	close(sock);
}

/*
 * End a child without waiting for it, so that one that does not exit,
 * such as a stopped authd or one stuck in a PAM module, cannot stop the
 * parent. SIGCONT lets a stopped child take the SIGTERM. The SIGCHLD
 * handler reaps it later as a child that is no longer tracked.
 */
void
parent_stop_child(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	kill(*pid, SIGCONT);
	*pid = 0;
}

/* End the replaced authds that did not exit, such as one stuck in PAM. */
static void
parent_old_authd_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval tv = { PARENT_OLD_AUTHD_TIME, 0 };
	struct parent *p = arg;
	time_t now = time(NULL);
	bool left = false;
	size_t i;

	(void)fd;
	(void)events;
	for (i = 0; i < PARENT_OLD_AUTHDS; i++) {
		if (p->old_authd_pid[i] <= 0)
			continue;
		if (now < p->old_authd_until[i]) {
			left = true;
			continue;
		}
		log_warnx("the replaced authd (pid %d) is still running; "
		    "ending it", (int)p->old_authd_pid[i]);
		parent_stop_child(&p->old_authd_pid[i]);
	}
	if (left)
		evtimer_add(p->old_authd_timer, &tv);
}

void
parent_retire_authd(struct parent *p)
{
	struct timeval tv = { PARENT_OLD_AUTHD_TIME, 0 };
	size_t i, slot = 0;

	if (p->authd_pid <= 0)
		return;
	for (i = 0; i < PARENT_OLD_AUTHDS; i++) {
		if (p->old_authd_pid[i] <= 0) {
			slot = i;
			break;
		}
		if (p->old_authd_until[i] < p->old_authd_until[slot])
			slot = i;
	}
	parent_stop_child(&p->old_authd_pid[slot]);
	p->old_authd_pid[slot] = p->authd_pid;
	p->old_authd_until[slot] = time(NULL) + PARENT_OLD_AUTHD_TIME;
	p->authd_pid = 0;
	if (!evtimer_pending(p->old_authd_timer, NULL))
		evtimer_add(p->old_authd_timer, &tv);
}

/* Forget a replaced authd that exited; returns whether pid was one. */
static bool
parent_old_authd_gone(struct parent *p, pid_t pid)
{
	size_t i;

	for (i = 0; i < PARENT_OLD_AUTHDS; i++) {
		if (p->old_authd_pid[i] == pid) {
			p->old_authd_pid[i] = 0;
			return (true);
		}
	}
	return (false);
}

static void
parent_restart_cb(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval wait = { PARENT_RESTART_DELAY, 0 };
	struct parent *p = arg;

	(void)fd;
	(void)events;
	if (p->net_pid == 0) {
		/* A new network process needs a fresh authd socket too. */
		parent_stop_child(&p->authd_pid);
		parent_start_network(p, parent_start_authd(p));
	} else if (p->authd_pid == 0 && p->reload != NULL) {
		/*
		 * The network process gets the reload's authd with the file.
		 * An authd started now would have the old file and replace it.
		 */
		evtimer_add(p->restart, &wait);
	} else if (p->authd_pid == 0) {
		parent_restart_authd(p);
	}
}

/*
 * Return the delay before the next restart: one second, doubled after
 * each exit beyond PARENT_QUICK_EXITS in a row that came soon after the
 * child's start, so that a child that cannot start does not fill the log
 * every second.
 */
static int
parent_restart_delay(struct parent_backoff *b, time_t started)
{
	if (time(NULL) - started >= PARENT_STABLE_TIME)
		b->quick_exits = 0;
	else
		b->quick_exits++;
	if (b->quick_exits <= PARENT_QUICK_EXITS ||
	    b->delay < PARENT_RESTART_DELAY)
		b->delay = PARENT_RESTART_DELAY;
	else if (b->delay < PARENT_RESTART_MAX)
		b->delay *= 2;
	return (b->delay);
}

/*
 * Arm the restart in tv, unless it is due later already: one restart
 * serves both children, and the longer delay of the two wins.
 */
static void
parent_schedule_restart(struct parent *p, const struct timeval *tv)
{
	struct timeval due, now, want;

	if (evtimer_pending(p->restart, &due)) {
		gettimeofday(&now, NULL);
		timeradd(&now, tv, &want);
		if (timercmp(&want, &due, <))
			return;
	}
	evtimer_add(p->restart, tv);
}

static void
parent_child_exited(struct parent *p, pid_t pid, int status)
{
	struct timeval tv = { 0, 0 };
	const char *who;

	if (pid > 0 && parent_old_authd_gone(p, pid))
		return;		/* a replaced authd that finished */
	if (pid == p->authd_pid && p->net_pid == 0 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		/* Its socket closed with the network process: no fault. */
		log_info("authd (pid %d) exited after the network process; "
		    "both start again together", (int)pid);
		p->authd_pid = 0;
		return;
	} else if (pid == p->authd_pid && p->reload_authd_pid > 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/*
		 * The network process switched to the reload's authd, which
		 * closed this one's socket, before the parent installed the
		 * reload. The install makes that authd the current one, and
		 * the restart only serves a reload that fails meanwhile.
		 */
		log_info("authd (pid %d) exited: the network process uses "
		    "the authd of the pending reload", (int)pid);
		p->authd_pid = 0;
		tv.tv_sec = PARENT_RESTART_DELAY;
		parent_schedule_restart(p, &tv);
		return;
	} else if (pid == p->authd_pid) {
		who = "authd";
		p->authd_pid = 0;
		tv.tv_sec = parent_restart_delay(&p->authd_backoff,
		    p->authd_started);
	} else if (pid == p->reload_authd_pid && pid > 0) {
		/* The reload's install starts another authd instead. */
		log_warnx("the authd of the pending reload (pid %d) exited",
		    (int)pid);
		p->reload_authd_pid = 0;
		return;
	} else if (pid == p->net_pid) {
		who = "the network process";
		p->net_pid = 0;
		tv.tv_sec = parent_restart_delay(&p->net_backoff,
		    p->net_started);
		parent_network_gone(p);
	} else {
		return;
	}
	if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) was killed by signal %d; restarting "
		    "it in %d s", who, (int)pid, WTERMSIG(status),
		    (int)tv.tv_sec);
	else
		log_warnx("%s (pid %d) exited with status %d; restarting it "
		    "in %d s", who, (int)pid, WEXITSTATUS(status),
		    (int)tv.tv_sec);

	parent_schedule_restart(p, &tv);
}

/*
 * Reap every child that exited. The network process goes first, because
 * authd's own exit is expected once the network process is gone, and
 * waitpid reports the older child, authd, first.
 */
static void
parent_sigchld_cb(evutil_socket_t sig, short events, void *arg)
{
	struct parent *p = arg;
	int status, authd_status = 0;
	pid_t pid, authd = 0;

	(void)sig;
	(void)events;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->authd_pid && authd == 0) {
			authd = pid;
			authd_status = status;
		} else {
			parent_child_exited(p, pid, status);
		}
	}
	if (authd != 0)
		parent_child_exited(p, authd, authd_status);
}

static void
parent_sigterm_cb(evutil_socket_t sig, short events, void *arg)
{
	struct parent *p = arg;

	(void)events;
	p->logoff = p->cfg->logoff_on_stop;
	log_notice("received signal %d; stopping%s", (int)sig, p->logoff ?
	    " and logging every session off (logoff-on-stop)" : "");
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(p->base);
}

static void
parent_sighup_cb(evutil_socket_t sig, short events, void *arg)
{
	(void)sig;
	(void)events;
	log_notice("received SIGHUP");
	parent_reload(arg, 0);
}

/*
 * Other daemons take SIGUSR1 or SIGUSR2 to reopen their logs, so an
 * operator's script may send them. Their default action would end
 * headend without a word.
 */
static void
parent_sigusr_cb(evutil_socket_t sig, short events, void *arg)
{
	(void)events;
	(void)arg;
	log_notice("received %s, which headend does not use: nothing "
	    "changes (logs go to syslog or standard error, so none needs "
	    "reopening)", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
}

/*
 * A plain stop kills the network process, which closes every connection
 * without logging anyone off, so the sessions stay in the state file. A
 * logoff stop sends it IPC_STOP_LOGOFF, so it ends every session with a
 * TERMINATE message first, and then discards the state.
 */
static void
parent_stop(struct parent *p)
{
	struct ipc_header logoff = { IPC_STOP_LOGOFF, sizeof(logoff) };
	time_t deadline = time(NULL) + PARENT_STOP_TIMEOUT;
	pid_t pids[3 + PARENT_OLD_AUTHDS] = { p->net_pid, p->authd_pid,
	    p->reload_authd_pid };
	size_t i, n = sizeof(pids) / sizeof(pids[0]);

	p->stopping = true;
	memcpy(pids + 3, p->old_authd_pid, sizeof(p->old_authd_pid));
	if (p->logoff && p->net_pid > 0 &&
	    ipc_send(p->net_channel, &logoff, sizeof(logoff), -1) == 0)
		pids[0] = 0;
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	pids[0] = p->net_pid;
	for (i = 0; i < n; i++) {
		while (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == 0) {
			if (time(NULL) >= deadline) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], NULL, 0);
				break;
			}
			usleep(20000);
		}
	}
	if (p->net_channel >= 0)
		parent_drain_network(p);
	if (p->logoff)
		state_discard(p->state);
	state_close(p->state);
	p->state = NULL;
	banstore_flush(p->bans);
	banstore_free(p->bans);
	p->bans = NULL;
	reload_free(p->reload);
	p->reload = NULL;
	unlink(p->cfg->status_socket);
}

static void
parent_open(struct parent *p)
{
	char err[512];
	size_t i;

	p->fds.nworkers = config_worker_count(p->cfg);
	for (i = 0; i < p->cfg->nlisteners; i++)
		p->fds.tcp[i] = parent_bind_tcp(&p->cfg->listeners[i]);
	for (i = 0; i < p->cfg->nlisteners; i++)
		parent_bind_udp(&p->cfg->listeners[i], p->fds.nworkers,
		    p->fds.udp[i]);
	/* A start rejected for the status socket must not touch the tun. */
	p->fds.status = parent_bind_status(p->cfg);
	if (tun_create(p->cfg, p->fds.nworkers, p->fds.tun, err,
	    sizeof(err)) != 0) {
		unlink(p->cfg->status_socket);
		fatalx("cannot create tun device: %s", err);
	}
}

static void
parent_watch_signals(struct parent *p)
{
	static const int stop[] = { SIGTERM, SIGINT };
	struct event *ev;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	ev = evsignal_new(p->base, SIGCHLD, parent_sigchld_cb, p);
	if (ev == NULL || event_add(ev, NULL) != 0)
		fatalx("cannot watch SIGCHLD");
	p->signals[0] = ev;
	for (i = 0; i < 2; i++) {
		ev = evsignal_new(p->base, stop[i], parent_sigterm_cb, p);
		if (ev == NULL || event_add(ev, NULL) != 0)
			fatalx("cannot watch signal %d", stop[i]);
		p->signals[i + 1] = ev;
	}
	ev = evsignal_new(p->base, SIGHUP, parent_sighup_cb, p);
	if (ev == NULL || event_add(ev, NULL) != 0)
		fatalx("cannot watch SIGHUP");
	p->signals[3] = ev;
	for (i = 0; i < 2; i++) {
		ev = evsignal_new(p->base, i == 0 ? SIGUSR1 : SIGUSR2,
		    parent_sigusr_cb, p);
		if (ev == NULL || event_add(ev, NULL) != 0)
			fatalx("cannot watch SIGUSR%zu", i + 1);
		p->signals[i + 4] = ev;
	}
	p->restart = evtimer_new(p->base, parent_restart_cb, p);
	p->old_authd_timer = evtimer_new(p->base, parent_old_authd_cb, p);
	if (p->restart == NULL || p->old_authd_timer == NULL)
		fatalx("out of memory");
}

/* Free the event loop, so that a sanitizer build exits without leaks. */
static void
parent_free_events(struct parent *p)
{
	size_t i;

	for (i = 0; i < sizeof(p->signals) / sizeof(p->signals[0]); i++)
		if (p->signals[i] != NULL)
			event_free(p->signals[i]);
	if (p->net_event != NULL)
		event_free(p->net_event);
	event_free(p->restart);
	event_free(p->old_authd_timer);
	event_free(p->reload_timeout);
	event_free(p->route_prune);
	poolroute_free(p->routes);
	event_base_free(p->base);
}

/* Free the configuration in use, so a sanitizer build exits cleanly. */
static void
parent_free_config(struct parent *p)
{
	size_t i;

	certcrl_set_config(NULL);
	cert_unload();
	for (i = 0; i < CONFIG_MAX_LISTENERS; i++) {
		SSL_CTX_free(p->tls[i]);
		p->tls[i] = NULL;
	}
	config_free(p->cfg);
	p->cfg = NULL;
}

/*
 * Keep the bans in the ban file next to the state file, when headend
 * keeps sessions there. Returns 0, or -ENOMEM.
 */
static int
parent_keep_bans(struct parent *p)
{
	uint8_t key[BANFILE_KEY_LEN];
	char path[PATH_MAX];
	int rc;

	rc = state_ban_file(p->state, path, sizeof(path), key);
	if (rc != 0 && rc != -ENOENT)
		log_warnx("cannot keep the bans in %s.bans: %s; a restart "
		    "of headend will lift them", p->cfg->state_file,
		    rc == -ENAMETOOLONG ? "the path is too long" :
		    "deriving its key failed");
	if (rc == 0)
		rc = banstore_persist(p->bans, p->base, path, key, time(NULL));
	OPENSSL_cleanse(key, sizeof(key));
	return (rc == -ENOMEM ? rc : 0);
}

int
parent_main(struct config *cfg, SSL_CTX **tls)
{
	struct parent p = { .cfg = cfg, .tls = tls, .net_channel = -1,
	    .authd_channel = -1, .fds = { .parent = -1, .authd = -1 } };

	log_set_role("parent");

	/*
	 * main ignores SIGHUP from the start, so that a reload request while
	 * parent_open waits for the port does not end the daemon. Until the
	 * event loop handles SIGHUP, it is dropped: an edit made before then
	 * needs another reload.
	 */
	parent_open(&p);
	if ((p.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	parent_watch_signals(&p);
	if ((p.state = state_open(cfg, p.base)) == NULL ||
	    (p.bans = banstore_new()) == NULL ||
	    parent_keep_bans(&p) != 0 ||
	    (p.routes = poolroute_new()) == NULL ||
	    (p.route_prune = evtimer_new(p.base, parent_route_prune_cb,
	    &p)) == NULL ||
	    (p.reload_timeout = evtimer_new(p.base, parent_reload_timeout_cb,
	    &p)) == NULL)
		fatalx("out of memory");
	parent_start_network(&p, parent_start_authd(&p));
	log_notice("headend started with %s", cfg->path);
	sd_notify(0, "READY=1");
	event_base_dispatch(p.base);
	parent_stop(&p);
	parent_free_events(&p);
	log_notice("headend stopped");
	parent_free_config(&p);
	return (0);
}
