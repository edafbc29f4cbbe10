/*
 * VPN sessions: created when a login succeeds, found by their webvpn
 * cookie (CONNECT) and by their leased address (packets from tun). A
 * session outlives its TLS connection for a reconnect window, so a client
 * that reconnects with the cookie gets the same address.
 */
#ifndef HEADEND_SESSION_H
#define HEADEND_SESSION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "cert.h"
#include "counter.h"
#include "config.h"
#include "ipc.h"

#define SESSION_COOKIE_LEN	32		/* random bytes */
#define SESSION_COOKIE_TEXT	(2 * SESSION_COOKIE_LEN + 1)
#define SESSION_COOKIE_HASH_LEN	32		/* SHA-256 of the text */
#define SESSION_PEER_MAX	64
#define SESSION_DTLS_ID_LEN	32	/* DTLS_CHANNEL_ID_LEN */

struct netproc;
struct tunnel;

struct session_stats {
	uint64_t	bytes_in;	/* client -> headend, inner packets */
	uint64_t	bytes_out;
	uint64_t	packets_in;
	uint64_t	packets_out;
	uint64_t	drops_spoofed;	/* source is not the leased address */
	uint64_t	drops_client_to_client;
	uint64_t	drops_too_big;	/* answered with ICMP */
	uint64_t	drops_queue_full;
	uint64_t	drops_no_tunnel;	/* client not connected */
	uint64_t	drops_malformed;
	uint64_t	drops_ipv6;	/* the tunnel carries IPv4 only */
	uint64_t	dtls_packets_in;	/* the part that came on DTLS */
	uint64_t	dtls_packets_out;
	uint64_t	dtls_bytes_in;
	uint64_t	dtls_bytes_out;
};

enum session_dtls_state {
	SESSION_DTLS_NEVER,	/* not up since the session began */
	SESSION_DTLS_UP,	/* carrying packets */
	SESSION_DTLS_DOWN,	/* was up; packets go on CSTP */
};

/* The DTLS side as status shows it; dtls_channel.c keeps it current. */
struct session_dtls {
	const char	*mode;		/* dtls_mode_name(), or NULL */
	char		version[16];	/* "DTLSv1.2", "DTLSv0.9" (0x0100) */
	char		cipher[64];
	char		peer[SESSION_PEER_MAX];	/* the client's UDP address */
	enum session_dtls_state state;
};

/*
 * The group-policy timers that a session runs by, in seconds, 0 for
 * none. The reconnect window applies before the first CONNECT and
 * whenever the TLS connection is gone; lifecycle.c keeps the rest.
 */
struct session_timers {
	int		idle_timeout;
	int		session_timeout;	/* from se_started, fixed */
	int		reconnect_window;
	struct event	*deadline;	/* the idle or session timeout */
};

struct session {
	uint64_t	se_id;
	char		se_user[IPC_USER_MAX];
	size_t		se_tgroup;	/* index into config tgroups */
	char		se_group[CONFIG_NAME_MAX];
	size_t		se_pool;	/* index into config pools */
	uint32_t	se_addr;	/* leased address, host order */
	/*
	 * The pool's netmask when the session began. A client rejects a
	 * reconnect that brings another, so a reload and a restart keep it.
	 */
	uint32_t	se_netmask;	/* host order */
	/* The cookie is "" while a restored session waits for its client. */
	char		se_cookie[SESSION_COOKIE_TEXT];
	uint8_t		se_cookie_hash[SESSION_COOKIE_HASH_LEN];
	char		se_peer[SESSION_PEER_MAX];
	char		se_user_agent[128];
	struct cert_identity se_cert;	/* the login's client certificate */
	char		se_tls_version[16];	/* of the last tunnel, or "" */
	char		se_tls_cipher[64];
	time_t		se_started;	/* the first authentication */
	/* Set by the worker with an atomic store (lifecycle_is_activity). */
	time_t		se_last_activity;
	unsigned	se_reconnects;
	bool		se_connected;	/* it had a tunnel before */
	/*
	 * The tunnel lives on worker se_worker and only that worker may
	 * touch it; NULL while no client is attached. The session stays
	 * allocated until the worker reports the tunnel gone.
	 */
	struct tunnel	*se_tunnel;
	uint64_t	se_tunnel_id;	/* of se_tunnel or the last one */
	size_t		se_worker;
	bool		se_dying;	/* destroyed; waits for its tunnel */
	char		*se_end_reason;	/* while dying, for the last line */
	struct session_stats se_counted;	/* in sessions_ended already */
	bool		se_terminate;	/* send CSTP TERMINATE on close */
	/* The DTLS channel id of the tunnel, which the workers know. */
	uint8_t		se_dtls_id[SESSION_DTLS_ID_LEN];
	bool		se_has_dtls_id;
	struct event	*se_expire;	/* the reconnect window */
	struct session_timers se_timers;
	/*
	 * The tunnel's worker writes these while other threads read them.
	 * It changes se_stats only through counter_add and se_dtls only
	 * under session_dtls_lock. Status reads both by session_view_take.
	 */
	struct session_stats se_stats;
	struct session_dtls se_dtls;
	struct netproc	*se_np;
	struct session	*se_next_by_addr;
	struct session	*se_next_by_cookie;
	LIST_ENTRY(session) se_by_user;	/* same bucket, any user */
	TAILQ_ENTRY(session) se_entry;
};

TAILQ_HEAD(session_list, session);

struct sessions *sessions_new(struct netproc *np);
struct session_list *sessions_list(struct sessions *ss);
size_t	sessions_count(const struct sessions *ss);
size_t	sessions_count_group(const struct sessions *ss, size_t tgroup);

/* Create a session for a lease that the caller already holds. */
struct session *session_create(struct sessions *ss, const char *user,
	    size_t tgroup, size_t pool, uint32_t addr, const char *peer);

/* A session from the state file, for session_restore. */
struct session_saved {
	uint64_t	id;
	uint8_t		cookie_hash[SESSION_COOKIE_HASH_LEN];
	const char	*user;
	size_t		tgroup;
	size_t		pool;
	uint32_t	addr;		/* leased by the caller */
	uint32_t	netmask;	/* of the login; 0: the pool's now */
	time_t		started;	/* the first authentication */
	unsigned	reconnects;
	bool		connected;	/* it had a tunnel before */
	int		window;		/* seconds left for the client */
};

/*
 * Recreate a session after a restart, with its id, start time and
 * address. Its cookie is known only by its hash until session_set_cookie.
 * Unlike session_create, it is not reported to the parent, whose state
 * file has it already.
 */
struct session *session_restore(struct sessions *ss,
	    const struct session_saved *sv);

/* Give a restored session the cookie that its client presented. */
void	session_set_cookie(struct session *se, const char *cookie);

/* Give new sessions ids above id, which a restored session may have. */
void	sessions_skip_ids(struct sessions *ss, uint64_t id);

/* End the session: close its tunnel, release its lease, forget the cookie. */
void	session_destroy(struct session *se, const char *reason);

/*
 * Find the session of cookie, also one restored from the state file
 * that waits for its client; peer is the client's address for the log.
 */
struct session *session_find_cookie(struct sessions *ss, const char *cookie,
		    const char *peer);
struct session *session_find_addr(struct sessions *ss, uint32_t addr);

/*
 * Return the first session of the chain that contains user's sessions.
 * Follow se_by_user with LIST_NEXT and compare se_user, because other
 * users share the chain.
 */
struct session *sessions_user_chain(struct sessions *ss, const char *user);

/* A tunnel was attached to or detached from the session. */
void	session_attach(struct session *se, struct tunnel *t, uint64_t id);

/* Set the DTLS channel id of se's new tunnel, or NULL for none. */
void	session_set_dtls_id(struct session *se, const uint8_t *id);

/*
 * Take the report that tunnel id of se is closed. The client logged out
 * when logout is true; otherwise the session waits for a reconnect.
 */
void	session_tunnel_gone(struct session *se, uint64_t id, bool logout);

/*
 * Add each counter of st to sum. session_destroy adds an ending
 * session's counters to np->stats.sessions_ended, so totals over all
 * sessions never go down.
 */
void	session_stats_add(struct session_stats *sum,
	    const struct session_stats *st);

/* A copy of the session fields that status shows and workers change. */
struct session_view {
	struct session_stats stats;
	struct session_dtls dtls;
	time_t		last_activity;
};

void	session_view_take(const struct session *se, struct session_view *v);

/* Lock taken while a worker changes se_dtls, never on a packet path. */
void	session_dtls_lock(void);
void	session_dtls_unlock(void);

/* Record the TLS version and cipher of the tunnel just attached. */
void	session_set_tls(struct session *se, const char *version,
	    const char *cipher);

/* Log a line that names the session, user, group and peer. */
void	session_log(const struct session *se, int priority,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Log like session_log, with peer in place of the session's latest
 * peer: the address of one tunnel, which a reconnect does not change.
 * A NULL peer logs the session's latest peer.
 */
void	session_log_peer(const struct session *se, const char *peer,
	    int priority, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
