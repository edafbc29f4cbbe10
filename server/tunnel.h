/*
 * The CSTP tunnel: a TLS connection after a successful CONNECT. It has its
 * own read and write path instead of the bufferevent, because clients
 * expect every CSTP packet in exactly one TLS record: one SSL_write per
 * packet, never coalesced, never split.
 */
#ifndef HEADEND_TUNNEL_H
#define HEADEND_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct http_request;
struct netproc;
struct session;
struct tunnel;

/*
 * Handle CONNECT /CSCOSSLC/tunnel on the control thread; on success the
 * conn becomes a tunnel on the worker that will own it.
 */
void	tunnel_connect(struct conn *c, const struct http_request *req);

/* On the owning worker: send the CONNECT reply and start the tunnel. */
void	tunnel_adopt(struct netproc *np, struct tunnel *t);

/* On the owning worker: apply a reloaded client-to-client switch. */
void	tunnel_set_policy(struct netproc *np, struct session *se,
	    uint32_t addr, uint64_t id, bool client_to_client);

/*
 * On the owning worker: close tunnel id of se, found by the session's
 * address, after a CSTP TERMINATE frame when terminate is true (the
 * server ended the session, so the client must not reconnect). A tunnel
 * that closed already is left alone.
 */
void	tunnel_close_request(struct netproc *np, struct session *se,
	    uint32_t addr, uint64_t id, const char *reason, bool terminate);

/* Send one packet from the inside: on DTLS while it is up, else on CSTP. */
void	tunnel_send_packet(struct tunnel *t, const uint8_t *pkt, size_t len);

/*
 * Hold the TLS records written between tunnel_cork and tunnel_uncork on
 * this thread, and write each tunnel's with one writev() at the uncork.
 * The caller uncorks before it returns to the event loop.
 */
void	tunnel_cork(void);
void	tunnel_uncork(void);

/*
 * Forward one packet from the client, received on CSTP or DTLS, to the
 * inside. pkt may be rewritten (TCP MSS clamping). Returns false when
 * the packet was dropped (and counted as a drop).
 */
bool	tunnel_input_packet(struct tunnel *t, uint8_t *pkt, size_t len);

/* The session the tunnel carries. */
struct session *tunnel_session(const struct tunnel *t);

/* The client's TCP address and port, as it was when the tunnel started. */
const char	*tunnel_peer(const struct tunnel *t);

/* The tunnel's data MTU: the largest inner packet it carries. */
int	tunnel_data_mtu(const struct tunnel *t);

/* Whether the tunnel's group-policy allows packets between clients. */
bool	tunnel_client_to_client(const struct tunnel *t);

/*
 * Close the TLS connection on the owning worker and report it to the
 * control thread; the session stays for a reconnect.
 */
void	tunnel_close(struct tunnel *t, const char *reason);

/* Close the connection as tunnel_close does, and end the session. */
void	tunnel_logout(struct tunnel *t, const char *reason);

#endif
