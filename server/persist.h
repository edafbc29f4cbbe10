/*
 * The network process's side of the state file. It reports each
 * session's login, attach, detach and end to the parent, which keeps the
 * journal, and a new network process restores the sessions that the
 * parent hands over at start.
 *
 * A restored session keeps its address leased and waits for its client
 * for the rest of its reconnect window (the whole window when a client
 * was connected at the restart). Only the SHA-256 of its cookie
 * survives, so the first CONNECT whose cookie hashes to it claims the
 * session and its address, without a new login.
 */
#ifndef HEADEND_PERSIST_H
#define HEADEND_PERSIST_H

struct netproc;
struct session;

/*
 * Wait for the parent's first message on fd, take the login handle key
 * from it and restore its sessions. Call once the pools exist and before
 * serving. Exits when the parent sends no valid start message.
 */
void	persist_start(struct netproc *np, int fd);

/* Report a login, an attach or detach, or the end of a session. */
void	persist_session_up(struct session *se);
void	persist_session_update(struct session *se);
void	persist_session_down(struct session *se);

/*
 * Find the restored session whose cookie hash is the SHA-256 of cookie,
 * give it the cookie and return it. Returns NULL when there is none.
 * peer is the address of the client, for the log line.
 */
struct session *persist_claim(struct netproc *np, const char *cookie,
		    const char *peer);

/*
 * End every session with a TERMINATE message for its client and exit,
 * for a stop that logs everyone off.
 */
void	persist_logoff_all(struct netproc *np) __attribute__((noreturn));

#endif
