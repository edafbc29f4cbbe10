/*
 * The CSTP tunnel: a TLS connection after a successful CONNECT. It has its
 * own read and write path instead of the bufferevent, because clients
 * expect every CSTP packet in exactly one TLS record: one SSL_write per
 * packet, never coalesced, never split.
 */
#ifndef HEADEND_TUNNEL_H
#define HEADEND_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct http_request;
struct tunnel;

/* Answer CONNECT /CSCOSSLC/tunnel; on success the conn becomes a tunnel. */
void	tunnel_connect(struct conn *c, const struct http_request *req);

/* Send one packet from the inside: on DTLS while it is up, else on CSTP. */
void	tunnel_send_packet(struct tunnel *t, const uint8_t *pkt, size_t len);

/*
 * Send a CSTP TERMINATE frame: the server ended the session, so the
 * client must not reconnect. On a write failure the tunnel is closed.
 */
void	tunnel_send_terminate(struct tunnel *t);

/*
 * Forward one packet from the client, received on CSTP or DTLS, to the
 * inside. pkt may be rewritten (TCP MSS clamping).
 */
void	tunnel_input_packet(struct tunnel *t, uint8_t *pkt, size_t len);

/* The tunnel's data MTU: the largest inner packet it carries. */
int	tunnel_data_mtu(const struct tunnel *t);

/* Close the TLS connection; the session stays for a reconnect. */
void	tunnel_close(struct tunnel *t, const char *reason);

#endif
