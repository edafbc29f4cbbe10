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

struct authc;
struct sessions;
struct status;
struct pool;

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
};

/* Descriptors the parent prepared before the fork. */
struct netproc_fds {
	int		tcp[CONFIG_MAX_LISTENERS];
	int		tun;
	int		status;		/* listening Unix socket */
	int		parent;		/* SOCK_SEQPACKET to the parent */
	int		authd;		/* SOCK_SEQPACKET to authd */
};

struct netproc {
	struct event_base *base;
	const struct config *cfg;
	SSL_CTX		*tls[CONFIG_MAX_LISTENERS];
	struct evconnlistener *listeners[CONFIG_MAX_LISTENERS];
	int		tun_fd;
	struct event	*tun_event;
	int		parent_fd;
	struct event	*parent_event;
	struct authc	*authc;
	struct sessions	*sessions;
	struct pool	*pools[CONFIG_MAX_POOLS];
	struct status	*status;
	uint8_t		secret[32];	/* signs login context handles */
	uint64_t	next_conn_id;
	time_t		started;
	struct netproc_stats stats;
};

/* Entry point of the forked network process; never returns. */
void	netproc_main(const struct config *cfg, SSL_CTX **tls,
	    const struct netproc_fds *fds) __attribute__((noreturn));

#endif
