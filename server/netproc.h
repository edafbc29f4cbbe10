/*
 * The network process: the only process that reads from the network. It
 * runs unprivileged as the configured user and owns the listeners, TLS,
 * logins, sessions, pools, the tun descriptor and the status socket.
 */
#ifndef HEADEND_NETPROC_H
#define HEADEND_NETPROC_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "config.h"
#include "session.h"

struct authc;
struct sessions;
struct status;
struct source_table;
struct ban_table;
struct dtls;
struct metrics_http;
struct pool;
struct lease_table;
struct worker;
struct handshake_queue;
struct memtrim;

/* Counters shown by the status socket; never reset while running. */
struct netproc_stats {
	uint64_t	tls_handshake_failures;
	uint64_t	logins_ok;
	uint64_t	logins_denied;
	uint64_t	logins_error;
	uint64_t	logins_pool_exhausted;
	uint64_t	urls_rejected;
	uint64_t	tun_drops_no_session;
	uint64_t	tun_drops_too_big;
	uint64_t	tun_drops_offload;	/* GSO from the device */
	uint64_t	tun_drops_write;	/* the device refused them */
	uint64_t	tun_writes;
	uint64_t	tun_merged_segments;	/* in multi-segment writes */
	uint64_t	tun_split_segments;	/* cut from large reads */
	uint64_t	tun_fragmented;		/* cut to a client's MTU */
	uint64_t	conns_closed_unused;	/* no request after TLS */
	uint64_t	conns_closed_silent;	/* closed before a byte */
	uint64_t	sessions_peak;		/* most sessions at once */
	uint64_t	logins_expired;		/* reply to an unknown login */
	uint64_t	logoffs;		/* by the status socket */
	struct session_stats sessions_ended;	/* sums of ended sessions */
	uint64_t	dtls_handshakes;	/* completed */
	uint64_t	dtls_handshake_failures;
	uint64_t	dtls_handshakes_superseded;	/* by a newer hello */
	uint64_t	dtls_rebindings;	/* a client's UDP address moved */
	uint64_t	dtls_hellos_rate_limited;
	uint64_t	dtls_gro_datagrams;	/* received merged by UDP GRO */
	uint64_t	dtls_drops_unknown_id;	/* ClientHello for no session */
	uint64_t	dtls_drops_unknown_peer; /* no association took it */
	uint64_t	dtls_drops_malformed;
	uint64_t	dtls_drops_rejected;	/* a known peer's, rejected */
	uint64_t	dtls_send_drops;	/* the UDP socket was full */
	uint64_t	dtls_send_errors;	/* the kernel rejected them */
	uint64_t	handshake_timeouts;	/* TLS not done in time */
	uint64_t	request_timeouts;	/* request trickled too slowly */
	uint64_t	idle_closes;		/* no request while idle */
	uint64_t	conns_over_source_limit;
	uint64_t	conns_over_limit;	/* max-connections reached */
	uint64_t	logins_over_source_limit;
	uint64_t	logins_banned;		/* rejected by a ban */
	uint64_t	logins_waited;	/* for checks in flight to end */
	uint64_t	logins_table_full;	/* no room for a login */
	uint64_t	bans;			/* bans started */
	uint64_t	sessions_over_limit;	/* global or group cap */
	uint64_t	accept_pauses;		/* out of descriptors */
	uint64_t	handovers_out;	/* packets sent to their tunnel's owner */
	uint64_t	handovers_in;	/* packets from other workers */
	uint64_t	handover_drops;	/* the owner's ring was full */
};

/* Descriptors the parent prepared before the fork. */
struct netproc_fds {
	int		tcp[CONFIG_MAX_LISTENERS];
	/* DTLS, [listener][worker], in the SO_REUSEPORT group's order */
	int		udp[CONFIG_MAX_LISTENERS][CONFIG_MAX_WORKERS];
	int		tun[CONFIG_MAX_WORKERS];	/* one queue per worker */
	size_t		nworkers;
	int		status;		/* listening Unix socket */
	int		parent;		/* SOCK_SEQPACKET to the parent */
	int		authd;		/* SOCK_SEQPACKET to authd */
};

/*
 * One per worker. The control thread's (worker 0) uses every field; the
 * other workers use base, cfg at start, the tun and DTLS fields, stats
 * and worker, and leave the rest NULL.
 */
struct netproc {
	struct event_base *base;
	struct worker	*worker;
	struct handshake_queue *handshakes;	/* of this worker */
	const struct config *cfg;
	SSL_CTX		*tls[CONFIG_MAX_LISTENERS];
	/* Handshakes of the contexts that reloads replaced. */
	uint64_t	tls_accepts_retired;
	uint64_t	tls_accepts_good_retired;
	struct evconnlistener *listeners[CONFIG_MAX_LISTENERS];
	int		tun_fd;
	struct event	*tun_event;
	struct tun_batch *tun_batch;	/* packets waiting for the device */
	int		parent_fd;
	struct event	*parent_event;
	struct authc	*authc;
	struct sessions	*sessions;
	struct pool	*pools[CONFIG_MAX_POOLS];
	struct lease_table *leases;	/* sticky addresses */
	struct status	*status;
	struct dtls	*dtls;
	struct metrics_http *metrics_http;	/* NULL unless configured */
	struct source_table *sources;	/* per-address counts */
	struct ban_table *bans;		/* brute-force scores */
	struct event	*accept_resume;	/* after running out of fds */
	uint8_t		secret[32];	/* signs login context handles */
	uint64_t	next_conn_id;
	size_t		conns_open;	/* accepted, not yet a tunnel or gone */
	size_t		conns_silent;	/* of those, nothing received yet */
	uint64_t	sessions_closed;	/* sessions ended so far */
	struct memtrim	*memtrim;	/* heap trims after bursts */
	size_t		tunnels_open;	/* sessions with a tunnel on a worker */
	time_t		started;
	struct netproc_stats stats;
};

/* Entry point of the forked network process; never returns. */
void	netproc_main(const struct config *cfg, SSL_CTX **tls,
	    const struct netproc_fds *fds) __attribute__((noreturn));

#endif
