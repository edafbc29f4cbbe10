/*
 * Worker threads of the network process. Each worker runs its own event
 * loop with its own tun queue and its own UDP socket per listener, and
 * owns the tunnels placed on it: their TLS and DTLS, timers and packets.
 * Worker 0 is the control thread, which also accepts connections, logs
 * users in, keeps the session table and serves the status socket.
 *
 * Workers share no table. The control thread sends each worker, in
 * order, the owner of every session address (struct addrmap), hands
 * tunnels to their owner and asks it to close them. The owner reports
 * each closed tunnel back exactly once. Those messages take a mutex, but
 * the per-packet path does not: a packet read from a tun queue whose
 * worker does not own the destination goes to the owner through a
 * lock-free ring (struct ring).
 */
#ifndef HEADEND_WORKER_H
#define HEADEND_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "config.h"

struct conn;
struct handshake_result;
struct netproc;
struct netproc_fds;
struct netproc_stats;
struct session;
struct tunnel;
struct addrmap_entry;

/* Create the workers and their threads, which wait for workers_release. */
void	workers_create(struct netproc *control, const struct netproc_fds *fds);

/* Let the worker threads run, once the process is sandboxed. */
void	workers_release(struct netproc *control);

/*
 * Run the control thread's messages until every tunnel reported itself
 * closed or timeout_ms passed, for a stop that logs every client off.
 */
void	workers_wait_tunnels(struct netproc *control, int timeout_ms);

/* Stop and join the worker threads before the process exits. */
void	workers_stop(struct netproc *control);

size_t	workers_count(const struct netproc *np);

/* The worker that receives the DTLS datagrams of a client address. */
size_t	workers_steer(const struct netproc *np, const char *client_addr);

/* The netproc of worker i, for objects that must live on it. */
struct netproc *workers_netproc(const struct netproc *np, size_t i);

/* Sum the counters of every worker into out. */
void	workers_stats_total(const struct netproc *control,
	    struct netproc_stats *out);

/* ---- from the control thread ---- */

/* Hand a prepared tunnel to worker owner, which starts it. */
void	worker_adopt(struct netproc *control, size_t owner, struct tunnel *t);

/*
 * Ask the owner of se's tunnel to close it, after a CSTP TERMINATE when
 * terminate is true.
 */
void	worker_close_tunnel(struct session *se, const char *reason,
	    bool terminate);

/* Give se's tunnel the client-to-client switch of a reloaded policy. */
void	worker_set_policy(struct session *se, bool client_to_client);

/* Tell the other workers that a DTLS channel id of owner came or went. */
void	worker_dtls_id(struct netproc *control, const uint8_t *id,
	    size_t owner, bool add);

/* Tell every worker that addr is owned by owner, or gone when owner < 0. */
void	worker_route(struct netproc *control, uint32_t addr, int owner);

/*
 * Hand connection c's TLS handshake, on fd and ssl, to a worker. The
 * worker owns both until it reports with worker_handshake_done.
 */
void	worker_handshake(struct netproc *control, size_t worker,
	    struct conn *c, uint64_t conn_id, int fd, SSL *ssl);

/* Stop a handshake whose deadline passed; its report still comes. */
void	worker_handshake_cancel(struct netproc *control, size_t worker,
	    uint64_t conn_id);

/* ---- from any worker ---- */

/* Report the handshake of c to the control thread. */
void	worker_handshake_done(struct netproc *np, struct conn *c,
	    const struct handshake_result *r);

/* Report to the control thread that a tunnel of se is gone. */
void	worker_tunnel_gone(struct netproc *np, struct session *se,
	    uint64_t tunnel_id, bool logout);

/* The address's entry in this worker's table, or NULL. */
struct addrmap_entry *worker_route_find(struct netproc *np, uint32_t addr);

/* This worker's index. */
size_t	worker_index(const struct netproc *np);

enum worker_packet_kind {
	WORKER_PACKET_TUN,	/* a tun read with its virtio-net header */
	WORKER_PACKET_DTLS,	/* a datagram; meta says from where */
};

/*
 * Queue a packet, and meta_len bytes about it, for worker owner. Returns
 * 0, or -ENOBUFS when its ring is full and the packet was dropped.
 */
int	worker_handover(struct netproc *np, size_t owner,
	    enum worker_packet_kind kind, const void *meta, size_t meta_len,
	    const uint8_t *buf, size_t len);

/* Wake the workers that got packets since the last call. */
void	worker_kick(struct netproc *np);

#endif
