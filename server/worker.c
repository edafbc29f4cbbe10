/* The worker threads declared in worker.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addrmap.h"
#include "conn.h"
#include "dtls.h"
#include "handshake.h"
#include "log.h"
#include "netproc.h"
#include "ring.h"
#include "session.h"
#include "steer.h"
#include "tun.h"
#include "tunnel.h"
#include "worker.h"

/*
 * Packets in flight from one worker to another. 512 KiB has room for
 * eight 64 KiB reads from the tun device. The kernel maps the pages only
 * when a pair of workers uses them.
 */
#define WORKER_RING_BYTES	(512 * 1024)

enum worker_msg_type {
	WORKER_ADOPT,		/* start a tunnel on its owner */
	WORKER_CLOSE,		/* close a tunnel on its owner */
	WORKER_ROUTE,		/* an address moved, came or went */
	WORKER_DTLS_ID,		/* another worker's channel came or went */
	WORKER_POLICY,		/* a reload changed a tunnel's policy */
	WORKER_HANDSHAKE,	/* run a TLS handshake */
	WORKER_HANDSHAKE_CANCEL,	/* its deadline passed */
	WORKER_HANDSHAKE_DONE,	/* to control: the handshake's result */
	WORKER_GONE,		/* to control: a tunnel is closed */
	WORKER_STOP,
};

struct worker_msg {
	TAILQ_ENTRY(worker_msg) entry;
	enum worker_msg_type type;
	struct tunnel	*tunnel;	/* ADOPT */
	struct session	*session;	/* CLOSE, POLICY, GONE */
	uint64_t	tunnel_id;	/* CLOSE, POLICY, GONE */
	uint32_t	addr;		/* CLOSE, POLICY, ROUTE */
	int		owner;		/* ROUTE: -1 when the address went */
	/* CLOSE: terminate; GONE: logout; POLICY: client-to-client;
	 * DTLS_ID: added */
	bool		flag;
	char		reason[96];	/* CLOSE */
	uint8_t		dtls_id[DTLS_CHANNEL_ID_LEN];	/* DTLS_ID */
	struct conn	*conn;		/* HANDSHAKE, HANDSHAKE_DONE */
	uint64_t	conn_id;	/* HANDSHAKE, HANDSHAKE_CANCEL */
	int		fd;		/* HANDSHAKE */
	SSL		*ssl;		/* HANDSHAKE */
	struct handshake_result result;	/* HANDSHAKE_DONE */
};

TAILQ_HEAD(worker_msg_list, worker_msg);

struct worker {
	size_t		index;
	struct netproc	*np;
	struct workers	*all;
	pthread_t	thread;
	int		wake_fd;	/* eventfd: messages or packets */
	struct event	*wake_event;
	pthread_mutex_t	lock;		/* guards inbox */
	struct worker_msg_list inbox;
	struct ring	*rings[CONFIG_MAX_WORKERS];	/* from worker i */
	bool		kick[CONFIG_MAX_WORKERS];	/* wake worker i */
	struct addrmap	*routes;
};

struct workers {
	size_t		n;
	struct worker	w[CONFIG_MAX_WORKERS];
	pthread_barrier_t started;	/* every thread runs worker_main */
	pthread_barrier_t start;	/* the process is sandboxed */
};

static struct worker *
worker_of(const struct netproc *np)
{
	return (np->worker);
}

/* The unit tests' netproc, without workers, counts as the only one. */
size_t
workers_count(const struct netproc *np)
{
	return (np->worker != NULL ? np->worker->all->n : 1);
}

size_t
worker_index(const struct netproc *np)
{
	return (np->worker != NULL ? np->worker->index : 0);
}

struct netproc *
workers_netproc(const struct netproc *np, size_t i)
{
	if (np->worker == NULL)
		return ((struct netproc *)np);
	return (np->worker->all->w[i].np);
}

size_t
workers_steer(const struct netproc *np, const char *client_addr)
{
	size_t n = workers_count(np);
	struct in6_addr in6;
	struct in_addr in;
	uint32_t last;

	if (inet_pton(AF_INET, client_addr, &in) == 1)
		return (steer_worker_of_ipv4(ntohl(in.s_addr), n));
	if (inet_pton(AF_INET6, client_addr, &in6) == 1) {
		memcpy(&last, &in6.s6_addr[12], sizeof(last));
		return (steer_worker_of_ipv4(ntohl(last), n));
	}
	return (0);
}

void
workers_stats_total(const struct netproc *control, struct netproc_stats *out)
{
	const size_t n = sizeof(*out) / sizeof(uint64_t);
	const struct workers *all;
	size_t i;

	_Static_assert(sizeof(*out) % sizeof(uint64_t) == 0,
	    "struct netproc_stats holds only uint64_t counters");
	memset(out, 0, sizeof(*out));
	if (control->worker == NULL) {
		counters_sum((uint64_t *)out,
		    (const uint64_t *)&control->stats, n);
		return;
	}
	all = control->worker->all;
	for (i = 0; i < all->n; i++)
		counters_sum((uint64_t *)out,
		    (const uint64_t *)&all->w[i].np->stats, n);
}

/* ---- messages ---- */

static void
worker_wake(struct worker *w)
{
	uint64_t one = 1;

	/* The counter only overflows after 2^64 - 2 unread wakeups. */
	if (write(w->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warnx("waking worker %zu failed: %s", w->index,
		    strerror(errno));
}

static struct worker_msg *
worker_msg_new(enum worker_msg_type type)
{
	struct worker_msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatalx("out of memory for a message to a worker");
	m->type = type;
	return (m);
}

static void
worker_post(struct worker *w, struct worker_msg *m)
{
	pthread_mutex_lock(&w->lock);
	TAILQ_INSERT_TAIL(&w->inbox, m, entry);
	pthread_mutex_unlock(&w->lock);
	worker_wake(w);
}

void
worker_adopt(struct netproc *control, size_t owner, struct tunnel *t)
{
	struct worker_msg *m = worker_msg_new(WORKER_ADOPT);

	m->tunnel = t;
	worker_post(&control->worker->all->w[owner], m);
}

/* A message about se's current tunnel, for the worker that owns it. */
static struct worker_msg *
worker_msg_for_tunnel(enum worker_msg_type type, struct session *se,
    bool flag)
{
	struct worker_msg *m = worker_msg_new(type);

	m->session = se;
	m->tunnel_id = se->se_tunnel_id;
	m->addr = se->se_addr;
	m->flag = flag;
	return (m);
}

void
worker_close_tunnel(struct session *se, const char *reason, bool terminate)
{
	struct worker_msg *m;

	m = worker_msg_for_tunnel(WORKER_CLOSE, se, terminate);
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
	worker_post(&se->se_np->worker->all->w[se->se_worker], m);
}

void
worker_set_policy(struct session *se, bool client_to_client)
{
	struct worker_msg *m;

	m = worker_msg_for_tunnel(WORKER_POLICY, se, client_to_client);
	worker_post(&se->se_np->worker->all->w[se->se_worker], m);
}

void
worker_route(struct netproc *control, uint32_t addr, int owner)
{
	struct workers *all;
	struct worker_msg *m;
	size_t i;

	/* The unit tests' netproc has no workers, hence no tunnels. */
	if (control->worker == NULL)
		return;
	all = control->worker->all;
	for (i = 0; i < all->n; i++) {
		m = worker_msg_new(WORKER_ROUTE);
		m->addr = addr;
		m->owner = owner;
		worker_post(&all->w[i], m);
	}
}

void
worker_dtls_id(struct netproc *control, const uint8_t *id, size_t owner,
    bool add)
{
	struct workers *all = control->worker->all;
	struct worker_msg *m;
	size_t i;

	for (i = 0; i < all->n; i++) {
		if (i == owner)
			continue;
		m = worker_msg_new(WORKER_DTLS_ID);
		memcpy(m->dtls_id, id, sizeof(m->dtls_id));
		m->owner = (int)owner;
		m->flag = add;
		worker_post(&all->w[i], m);
	}
}

void
worker_handshake(struct netproc *control, size_t worker, struct conn *c,
    uint64_t conn_id, int fd, SSL *ssl)
{
	struct worker_msg *m = worker_msg_new(WORKER_HANDSHAKE);

	m->conn = c;
	m->conn_id = conn_id;
	m->fd = fd;
	m->ssl = ssl;
	worker_post(&control->worker->all->w[worker], m);
}

void
worker_handshake_cancel(struct netproc *control, size_t worker,
    uint64_t conn_id)
{
	struct worker_msg *m = worker_msg_new(WORKER_HANDSHAKE_CANCEL);

	m->conn_id = conn_id;
	worker_post(&control->worker->all->w[worker], m);
}

void
worker_handshake_done(struct netproc *np, struct conn *c,
    const struct handshake_result *r)
{
	struct worker_msg *m = worker_msg_new(WORKER_HANDSHAKE_DONE);

	m->conn = c;
	m->result = *r;
	worker_post(&np->worker->all->w[0], m);
}

void
worker_tunnel_gone(struct netproc *np, struct session *se,
    uint64_t tunnel_id, bool logout)
{
	struct worker_msg *m = worker_msg_new(WORKER_GONE);

	m->session = se;
	m->tunnel_id = tunnel_id;
	m->flag = logout;
	worker_post(&np->worker->all->w[0], m);
}

struct addrmap_entry *
worker_route_find(struct netproc *np, uint32_t addr)
{
	if (np->worker == NULL)
		return (NULL);
	return (addrmap_find(worker_of(np)->routes, addr));
}

static void
worker_handle_route(struct worker *w, const struct worker_msg *m)
{
	if (m->owner < 0) {
		addrmap_remove(w->routes, m->addr);
		return;
	}
	if (addrmap_set_owner(w->routes, m->addr, (size_t)m->owner) != 0)
		log_warnx("worker %zu: out of memory for an address; its "
		    "packets are dropped", w->index);
}

static void
worker_handle(struct worker *w, struct worker_msg *m)
{
	switch (m->type) {
	case WORKER_ADOPT:
		tunnel_adopt(w->np, m->tunnel);
		break;
	case WORKER_CLOSE:
		tunnel_close_request(w->np, m->session, m->addr, m->tunnel_id,
		    m->reason, m->flag);
		break;
	case WORKER_POLICY:
		tunnel_set_policy(w->np, m->session, m->addr, m->tunnel_id,
		    m->flag);
		break;
	case WORKER_ROUTE:
		worker_handle_route(w, m);
		break;
	case WORKER_DTLS_ID:
		if (m->flag)
			dtls_foreign_add(w->np->dtls, m->dtls_id,
			    (size_t)m->owner);
		else
			dtls_foreign_remove(w->np->dtls, m->dtls_id);
		break;
	case WORKER_HANDSHAKE:
		handshake_run(w->np, m->conn, m->conn_id, m->fd, m->ssl);
		break;
	case WORKER_HANDSHAKE_CANCEL:
		handshake_cancel(w->np, m->conn_id);
		break;
	case WORKER_HANDSHAKE_DONE:
		conn_handshake_done(m->conn, &m->result);
		break;
	case WORKER_GONE:
		session_tunnel_gone(m->session, m->tunnel_id, m->flag);
		break;
	case WORKER_STOP:
		event_base_loopbreak(w->np->base);
		break;
	}
}

static void
worker_drain_inbox(struct worker *w)
{
	struct worker_msg_list batch = TAILQ_HEAD_INITIALIZER(batch);
	struct worker_msg *m;

	pthread_mutex_lock(&w->lock);
	TAILQ_CONCAT(&batch, &w->inbox, entry);
	pthread_mutex_unlock(&w->lock);
	while ((m = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, m, entry);
		worker_handle(w, m);
		free(m);
	}
}

/* ---- packets ---- */

/* The start of a record in a ring; meta_len bytes of meta follow. */
struct worker_packet {
	uint32_t	kind;		/* enum worker_packet_kind */
	uint32_t	meta_len;
};

int
worker_handover(struct netproc *np, size_t owner,
    enum worker_packet_kind kind, const void *meta, size_t meta_len,
    const uint8_t *buf, size_t len)
{
	struct worker *w = worker_of(np);
	struct worker_packet head = { kind, (uint32_t)meta_len };
	struct iovec iov[3] = { { &head, sizeof(head) },
	    { (void *)meta, meta_len }, { (void *)buf, len } };

	if (ring_push(w->all->w[owner].rings[w->index], iov, 3) != 0) {
		counter_add(&np->stats.handover_drops, 1);
		return (-ENOBUFS);
	}
	counter_add(&np->stats.handovers_out, 1);
	w->kick[owner] = true;
	return (0);
}

void
worker_kick(struct netproc *np)
{
	struct worker *w = worker_of(np);
	size_t i;

	/* The unit tests' netproc, without workers, has no one to wake. */
	if (w == NULL)
		return;
	for (i = 0; i < w->all->n; i++) {
		if (w->kick[i]) {
			w->kick[i] = false;
			worker_wake(&w->all->w[i]);
		}
	}
}

static void
worker_receive(struct worker *w, uint8_t *rec, size_t len)
{
	struct worker_packet head;
	uint8_t *meta = rec + sizeof(head);

	if (len < sizeof(head))
		return;
	memcpy(&head, rec, sizeof(head));
	if (head.meta_len > len - sizeof(head))
		return;
	counter_add(&w->np->stats.handovers_in, 1);
	len -= sizeof(head) + head.meta_len;
	if (head.kind == WORKER_PACKET_TUN)
		tun_receive_handover(w->np, meta + head.meta_len, len);
	else
		dtls_receive_handover(w->np, meta, head.meta_len,
		    meta + head.meta_len, len);
}

static void
worker_drain_rings(struct worker *w)
{
	struct ring *r;
	uint8_t *rec;
	size_t i, len;

	for (i = 0; i < w->all->n; i++) {
		if ((r = w->rings[i]) == NULL)
			continue;
		while ((rec = ring_front(r, &len)) != NULL) {
			worker_receive(w, rec, len);
			ring_pop(r);
		}
	}
}

/*
 * Read the eventfd before draining: a message or packet queued after the
 * drain then writes it again, so no wakeup is lost.
 */
static void
worker_wake_cb(evutil_socket_t fd, short events, void *arg)
{
	struct worker *w = arg;
	uint64_t count;

	(void)events;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		fatal("reading the wakeup of worker %zu failed", w->index);
	dtls_cork();
	tunnel_cork();
	worker_drain_inbox(w);
	worker_drain_rings(w);
	tunnel_uncork();
	dtls_uncork();
}

/* ---- start and stop ---- */

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&w->all->started);
	pthread_barrier_wait(&w->all->start);
	event_base_dispatch(w->np->base);
	handshake_queue_free(w->np);
	return (NULL);
}

/* A netproc for worker i: its own loop, tun queue and UDP sockets. */
static struct netproc *
worker_netproc_new(struct netproc *control, size_t i,
    const struct netproc_fds *fds)
{
	int udp[CONFIG_MAX_LISTENERS];
	struct netproc *np;
	size_t l;

	if ((np = calloc(1, sizeof(*np))) == NULL)
		fatalx("out of memory for worker %zu", i);
	np->cfg = control->cfg;
	np->started = control->started;
	np->tun_fd = fds->tun[i];
	if ((np->base = event_base_new()) == NULL)
		fatalx("event_base_new failed for worker %zu", i);
	for (l = 0; l < control->cfg->nlisteners; l++)
		udp[l] = fds->udp[l][i];
	if (dtls_start(np, udp, control->cfg->nlisteners) != 0 ||
	    tun_start(np) != 0)
		fatalx("cannot watch the UDP sockets or the tun queue of "
		    "worker %zu", i);

	/*
	 * A reload frees the configuration, so a worker keeps no pointer
	 * to it: its tunnels get the settings they need when they start.
	 */
	np->cfg = NULL;
	return (np);
}

static void
worker_init(struct workers *all, size_t i, struct netproc *np)
{
	struct worker *w = &all->w[i];
	size_t j;

	w->index = i;
	w->np = np;
	w->all = all;
	np->worker = w;
	TAILQ_INIT(&w->inbox);
	pthread_mutex_init(&w->lock, NULL);
	if ((w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		fatal("cannot set up worker %zu: eventfd", i);
	w->routes = addrmap_new();
	w->wake_event = event_new(np->base, w->wake_fd, EV_READ | EV_PERSIST,
	    worker_wake_cb, w);
	if (w->routes == NULL || w->wake_event == NULL ||
	    event_add(w->wake_event, NULL) != 0)
		fatalx("cannot set up worker %zu: out of memory", i);
	for (j = 0; j < all->n && all->n > 1; j++) {
		if (j != i && (w->rings[j] = ring_new(WORKER_RING_BYTES)) ==
		    NULL)
			fatalx("out of memory for the rings of worker %zu", i);
	}
}

/*
 * Worker threads leave the process's signals to the control thread. They
 * keep the ones their own faults raise: a blocked SIGSYS from the seccomp
 * filter would kill the process before its handler logs the call.
 */
static void
worker_spawn(struct worker *w)
{
	static const int own[] = { SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
	    SIGABRT, SIGTRAP };
	sigset_t all, old;
	size_t i;
	int rc;

	sigfillset(&all);
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		sigdelset(&all, own[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		fatalx("cannot start worker thread %zu: %s", w->index,
		    strerror(rc));
}

void
workers_create(struct netproc *control, const struct netproc_fds *fds)
{
	struct workers *all;
	size_t i;

	if ((all = calloc(1, sizeof(*all))) == NULL)
		fatalx("out of memory for the workers");
	all->n = fds->nworkers;
	worker_init(all, 0, control);
	for (i = 1; i < all->n; i++)
		worker_init(all, i, worker_netproc_new(control, i, fds));
	if (all->n == 1)
		return;
	pthread_barrier_init(&all->started, NULL, (unsigned)all->n);
	pthread_barrier_init(&all->start, NULL, (unsigned)all->n);
	for (i = 1; i < all->n; i++)
		worker_spawn(&all->w[i]);

	/*
	 * glibc starts a thread with system calls (set_robust_list, rseq)
	 * that the seccomp filter does not allow, so every thread must be
	 * past them before sandbox_enter loads it.
	 */
	pthread_barrier_wait(&all->started);
}

void
workers_release(struct netproc *control)
{
	if (control->worker->all->n > 1)
		pthread_barrier_wait(&control->worker->all->start);
}

void
workers_wait_tunnels(struct netproc *control, int timeout_ms)
{
	struct worker *w = control->worker;
	struct pollfd pfd = { .fd = w->wake_fd, .events = POLLIN };
	struct timespec start, now;
	uint64_t count;
	long waited;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (read(w->wake_fd, &count, sizeof(count)) < 0 &&
		    errno != EAGAIN)
			return;
		worker_drain_inbox(w);
		if (control->tunnels_open == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= timeout_ms ||
		    poll(&pfd, 1, (int)(timeout_ms - waited)) < 0)
			return;
	}
}

void
workers_stop(struct netproc *control)
{
	struct workers *all = control->worker->all;
	size_t i;

	for (i = 1; i < all->n; i++)
		worker_post(&all->w[i], worker_msg_new(WORKER_STOP));
	for (i = 1; i < all->n; i++)
		pthread_join(all->w[i].thread, NULL);
}
