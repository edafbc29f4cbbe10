/*
 * Counters of the network process: one snapshot shared by "show stats"
 * and the Prometheus text exposition format (version 0.0.4), which
 * "headendctl metrics" prints and an optional HTTP listener serves at
 * /metrics.
 */
#ifndef HEADEND_METRICS_H
#define HEADEND_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netproc.h"
#include "session.h"
#include "status.h"

struct netproc;

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* Values summed over sessions at one moment. */
struct metrics_snapshot {
	struct netproc_stats stats;	/* of every worker, summed */
	struct session_stats totals;	/* live and ended sessions */
	size_t		sessions;
	size_t		connected;	/* sessions with a client attached */
	size_t		dtls_up;	/* sessions whose DTLS is up */
	size_t		group_sessions[CONFIG_MAX_TGROUPS];
	uint64_t	tls_accepts;		/* handshakes started */
	uint64_t	tls_accepts_good;	/* handshakes completed */
	size_t		conns_silent;	/* connections that sent nothing */
	size_t		nworkers;
	size_t		worker_tunnels[CONFIG_MAX_WORKERS];
};

/* metrics.c */

void	metrics_snapshot_take(struct netproc *np,
	    struct metrics_snapshot *snap);

/*
 * Return the exposition text in a NUL-terminated buffer that the caller
 * frees, or NULL when out of memory.
 */
char	*metrics_text(struct netproc *np);

/* The "metrics" command: {"content_type": ..., "text": ...}. */
status_handler_fn metrics_command;

/* metricshttp.c */

/*
 * Listen on the configured address and port and serve GET /metrics.
 * Returns 0, or -errno when the socket cannot be set up.
 */
int	metrics_http_start(struct netproc *np);

/*
 * Close the listener. Connections in progress finish, so np->metrics_http
 * stays allocated. Without a listener it does nothing.
 */
void	metrics_http_stop(struct netproc *np);

#endif
