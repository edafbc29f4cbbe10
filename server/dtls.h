/*
 * DTLS on the listeners' UDP ports, next to the CSTP tunnel of each
 * session. One unconnected UDP socket per listener carries every client.
 * A ClientHello is routed to its session by its session id field, which
 * carries X-DTLS-Session-ID (or X-DTLS-App-ID in PSK-NEGOTIATE). Later
 * datagrams are routed by their source address. A source address that
 * changes (NAT rebinding) is adopted only after a record from it
 * authenticates.
 *
 * A channel is the DTLS side of one accepted CONNECT: the dialect, the
 * keys and the associations (handshakes) made with them. The tunnel owns
 * it and sends on it while it is up; otherwise packets go on CSTP.
 */
#ifndef HEADEND_DTLS_H
#define HEADEND_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/ssl.h>

#include "dtls_offer.h"

/* Bytes of the DTLS session id or app id that a channel is known by. */
#define DTLS_CHANNEL_ID_LEN	32

struct dtls;
struct dtls_channel;
struct evbuffer;
struct netproc;
struct netproc_stats;
struct session;
struct session_dtls;
struct session_stats;
struct tunnel;

/* Per-session DTLS settings from the group-policy and the CONNECT. */
struct dtls_channel_params {
	int		link_mtu;	/* outer path MTU */
	int		data_mtu;	/* X-DTLS-MTU: largest inner packet */
	int		dpd;		/* X-DTLS-DPD seconds, 0 for none */
	int		keepalive;	/* X-DTLS-Keepalive seconds */
	uint16_t	port;		/* X-DTLS-Port */
	bool		phone;		/* sends to DTLS_OFFER_PHONE_PORT */
};

/*
 * Set up the DTLS contexts and watch the UDP sockets, one per listener.
 * Fills np->dtls. Returns 0 or a negative errno.
 */
int	dtls_start(struct netproc *np, const int *udp_fds, size_t nfds);

/*
 * Free the contexts and stop watching the sockets, which stay open. Free
 * the channels first (with their tunnels).
 */
void	dtls_free(struct dtls *d);

/*
 * Return the record overhead that the data MTU leaves room for in
 * PSK-NEGOTIATE mode, whose suite is negotiated after CONNECT. When the
 * client's lists name an AEAD suite (aead), the server picks one, so it
 * is the largest AEAD overhead. Otherwise it is the largest of all the
 * suites the server accepts.
 */
int	dtls_psk_overhead(const struct dtls *d, bool aead);

/*
 * Make the channel for a CONNECT that chose a DTLS mode, on the control
 * thread, for the DTLS state d of the worker that will own the tunnel.
 * tls is the CSTP connection, which keys PSK-NEGOTIATE. Returns NULL on
 * failure.
 */
struct dtls_channel *dtls_channel_new(struct dtls *d, struct session *se,
	    const struct dtls_choice *choice, SSL *tls,
	    const struct dtls_channel_params *params);

/* Append the X-DTLS-* headers of the CONNECT reply. */
void	dtls_channel_reply_headers(const struct dtls_channel *ch,
	    struct evbuffer *b);

/*
 * Accept ClientHellos for the channel from now on. Call it on the owning
 * worker once the CONNECT reply is sent, so that no UDP peer is bound to
 * a session before. Returns 0 or -ENOMEM.
 */
int	dtls_channel_start(struct dtls_channel *ch, struct tunnel *t);

/* The id that the channel's ClientHellos carry. */
const uint8_t *dtls_channel_id(const struct dtls_channel *ch);

/*
 * On a worker: learn that channel id belongs to a tunnel of worker owner,
 * or forget it and the peers that used it.
 */
void	dtls_foreign_add(struct dtls *d, const uint8_t *id, size_t owner);
void	dtls_foreign_remove(struct dtls *d, const uint8_t *id);

/* On the owner: route a datagram that another worker handed over. */
void	dtls_receive_handover(struct netproc *np, const uint8_t *meta,
	    size_t meta_len, const uint8_t *dgram, size_t len);

/* Forget the channel and its associations. NULL is a no-op. */
void	dtls_channel_free(struct dtls_channel *ch);

/*
 * Send one inner packet on DTLS. Returns 0 when it was sent, or dropped
 * because the socket was full, as UDP may drop it. Returns -ENOTCONN
 * while DTLS is not up and another negative errno after a failed write,
 * and the caller then sends the packet on CSTP.
 */
/*
 * Hold the datagrams sent between dtls_cork and dtls_uncork, and send
 * each run of them to one peer with one system call (UDP GSO). The
 * caller uncorks before it returns to the event loop. A send that fails
 * then is counted as a drop, and the channel does not learn of it.
 */
void	dtls_cork(void);
void	dtls_uncork(void);

int	dtls_channel_send(struct dtls_channel *ch, const uint8_t *pkt,
	    size_t len);

/*
 * The client sent data on CSTP, which it does only while its DTLS is not
 * up: send on CSTP too until DTLS input resumes. NULL is a no-op.
 */
void	dtls_channel_cstp_data(struct dtls_channel *ch);

/* For status: "up", "down" or "never" (not up since the session began). */
const char *dtls_state_name(const struct session_dtls *sd);

/* Add mode, version, cipher and state to a status "dtls" object. */
void	dtls_session_json(const struct session_dtls *sd, json_object *o);

/* The bytes and packets that went on DTLS. */
json_object *dtls_channel_json(const struct session_stats *st);

/* The network process's DTLS handshake and drop counters. */
json_object *dtls_stats_json(const struct netproc_stats *s);

#endif
