/*
 * The parent's state, shared by parent.c (starting, watching and
 * stopping the children) and parentnet.c (the network process's channel
 * and reloads). Nothing outside the parent includes this.
 */
#ifndef HEADEND_PARENTINT_H
#define HEADEND_PARENTINT_H

#include <stdbool.h>
#include <sys/types.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "config.h"
#include "netproc.h"

#define PARENT_RESTART_DELAY	1	/* seconds before a child restarts */
#define PARENT_RESTART_MAX	32	/* the longest delay, after crashes */
#define PARENT_STABLE_TIME	10	/* seconds up that end a quick run */
#define PARENT_QUICK_EXITS	3	/* exits before the delay grows */
/* Seconds a replaced authd may run: its checks have timed out by then. */
#define PARENT_OLD_AUTHD_TIME	35
#define PARENT_OLD_AUTHDS	4	/* replaced authds kept at once */
#define PARENT_STOP_TIMEOUT	5	/* seconds children get to exit */
#define PARENT_RELOAD_TIMEOUT	60	/* seconds the network may take */

struct banstore;
struct reload;
struct state;

/* The restart delay of a child that keeps failing. */
struct parent_backoff {
	int		delay;		/* seconds, doubled by quick exits */
	int		quick_exits;	/* in a row, each soon after a start */
};

struct parent {
	struct config	*cfg;
	SSL_CTX		**tls;
	struct event_base *base;
	struct netproc_fds fds;		/* the network process's set */
	int		net_channel;	/* parent's end to the network */
	struct event	*net_event;	/* requests on net_channel */
	int		authd_channel;	/* authd's end, kept until forked */
	pid_t		authd_pid;
	pid_t		net_pid;
	struct event	*restart;
	struct parent_backoff net_backoff;
	struct parent_backoff authd_backoff;
	time_t		authd_started;
	time_t		net_started;
	/* SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 */
	struct event	*signals[6];
	struct state	*state;		/* the session journal */
	struct banstore	*bans;		/* the network process's bans */
	struct poolroute *routes;	/* routes of removed pools */
	struct event	*route_prune;	/* deletes those no session uses */
	struct reload	*reload;	/* sent, waiting for the network */
	pid_t		reload_authd_pid;	/* authd of p->reload, or 0 */
	/* Replaced authds that finish their checks, and when each must end. */
	pid_t		old_authd_pid[PARENT_OLD_AUTHDS];
	time_t		old_authd_until[PARENT_OLD_AUTHDS];
	struct event	*old_authd_timer;	/* ends those that hang */
	struct event	*reload_timeout;
	uint32_t	reload_seq;	/* status request of p->reload, or 0 */
	/* log_warning_count() as the reload began, and the network's. */
	unsigned long	reload_log_mark;
	uint32_t	reload_net_warnings;
	bool		logoff;		/* the stop ends every session */
	bool		stopping;	/* only session reports count now */
};

/* parent.c */

/* Fork authd; returns the network's end of the new authd socket. */
int	parent_start_authd(struct parent *p);

/*
 * Fork an authd for cfg, such as a reload's before it is installed, and
 * store its pid in *pid. Returns the network's end of its socket.
 */
int	parent_fork_authd(struct parent *p, const struct config *cfg,
	    pid_t *pid);

/*
 * End a child without waiting for it; the SIGCHLD handler reaps it. Sets
 * *pid to 0.
 */
void	parent_stop_child(pid_t *pid);

/* Replace authd, and give the network process its socket. */
void	parent_restart_authd(struct parent *p);

/*
 * Move authd aside for a new one. It completes the checks it has started
 * and exits when the network process closes its socket. One that is
 * still running after PARENT_OLD_AUTHD_TIME seconds is ended, and so is
 * the oldest when PARENT_OLD_AUTHDS are kept already.
 */
void	parent_retire_authd(struct parent *p);

/* parentnet.c */

/* Watch the network process's channel for its messages. */
void	parent_watch_network(struct parent *p);

/*
 * Send a new network process its start message. On failure it is
 * stopped, and restarted like a child that died.
 */
void	parent_send_start(struct parent *p);

/*
 * Read what the network process sent before it exited, then close the
 * channel. A reload that waited for its reply is abandoned.
 */
void	parent_network_gone(struct parent *p);

/* Read every message that waits on the channel, without blocking. */
void	parent_drain_network(struct parent *p);

/*
 * Re-read the configuration file: SIGHUP (seq 0) and headendctl reload,
 * whose request seq gets the outcome through the network process.
 */
void	parent_reload(struct parent *p, uint32_t seq);

/* Delete the routes of removed pools that no session uses any more. */
void	parent_route_prune_cb(evutil_socket_t fd, short events, void *arg);

/* The network process did not reply to a reload in time. */
void	parent_reload_timeout_cb(evutil_socket_t fd, short events,
	    void *arg);

#endif
