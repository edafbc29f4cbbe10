/*
 * Internals shared by four files. dtls.c has the sockets, routing
 * tables and contexts. dtls_channel.c has the per-session state, the
 * payloads and liveness. dtls_assoc.c has one handshake and its record
 * layer, on libssl or on common/dtls_legacy. dtls_foreign.c finds the
 * worker of another worker's channel. Each worker has its own struct
 * dtls, used only on its own thread.
 */
#ifndef HEADEND_DTLS_IMPL_H
#define HEADEND_DTLS_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "config.h"
#include "dtls.h"
#include "dtls_legacy.h"
#include "dtls_offer.h"
#include "dtls_wire.h"

#define DTLS_ID_LEN		DTLS_CHANNEL_ID_LEN
#define DTLS_FOREIGN_BUCKETS	4096	/* power of two */
#define DTLS_FOREIGN_PEERS_MAX	4	/* followed peers per channel id */
#define DTLS_FOREIGN_QUIET	10	/* seconds before a peer is replaced */
#define DTLS_PSK_LEN		32
#define DTLS_BUCKETS		16384	/* power of two */
#define DTLS_DATAGRAM_MAX	65535
/*
 * Seconds after a failed send before the client's records bring DTLS
 * back. Each failure soon after the previous one doubles the wait, up to
 * DTLS_SEND_RETRY_MAX, so a lasting fault costs few packets and lines.
 */
#define DTLS_SEND_RETRY		10
#define DTLS_SEND_RETRY_MAX	320

/* Payload types inside DTLS records: the CSTP type byte. */
#define DTLS_PKT_DATA		0x00
#define DTLS_PKT_DPD_REQ	0x03
#define DTLS_PKT_DPD_RESP	0x04
#define DTLS_PKT_DISCONNECT	0x05
#define DTLS_PKT_KEEPALIVE	0x07

/* A client's address, and ours that it sent to (replies leave from it). */
struct dtls_peer {
	struct sockaddr_storage ss;
	socklen_t	len;
	struct in_addr	local4;		/* from IP_PKTINFO */
	struct in6_addr	local6;		/* from IPV6_PKTINFO */
	bool		has_local4;
	bool		has_local6;
};

struct dtls_socket {
	struct dtls	*s_dtls;
	int		s_fd;
	struct event	*s_event;
};

enum dtls_assoc_kind {
	DTLS_ASSOC_SSL,		/* PSK-NEGOTIATE and DTLS 1.2 resumption */
	DTLS_ASSOC_LEGACY,	/* version 0x0100 */
};

/* The result of one datagram fed to an association. */
enum dtls_input {
	DTLS_INPUT_DROPPED,	/* nothing in it authenticated */
	DTLS_INPUT_OK,
	DTLS_INPUT_ESTABLISHED,	/* the handshake finished */
	DTLS_INPUT_NEW_HELLO,	/* legacy: the client started over */
	DTLS_INPUT_CLOSED,	/* the client closed the association */
	DTLS_INPUT_FAILED,	/* fatal error; free the association */
};

/* One DTLS handshake attempt from one client address, and its keys. */
struct dtls_assoc {
	struct dtls_channel *a_ch;
	struct dtls_socket *a_sock;	/* the socket it answers from */
	struct dtls_peer a_peer;
	enum dtls_assoc_kind a_kind;
	SSL		*a_ssl;
	BIO		*a_rbio;	/* memory BIO: one datagram at a time */
	struct dtls_legacy *a_legacy;
	bool		a_up;
	bool		a_dead;		/* free it once its input is done */
	/*
	 * Largest record plaintext that fits one datagram of the link, set
	 * when the handshake is done. 0 means no limit (legacy DTLS).
	 */
	size_t		a_plain_max;
	size_t		a_record_min;	/* shortest protected record body */
	int		a_tos;		/* TOS of the next datagram sent */
	int		a_send_error;	/* hard sendmsg error, as -errno */
	struct event	*a_timer;	/* handshake retransmission */
	struct timeval	a_legacy_wait;	/* next legacy retransmission */
	time_t		a_started;
	struct dtls_assoc *a_next_by_addr;
	struct dtls_assoc *a_next_by_ip;
	bool		a_in_ip_index;
};

/* A token bucket of ClientHellos that may start a handshake. */
struct dtls_hello_bucket {
	int		tokens;
	time_t		at;		/* last refill */
};

struct dtls_channel {
	struct dtls	*ch_dtls;
	struct session	*ch_session;
	struct tunnel	*ch_tunnel;	/* NULL until started */
	enum dtls_mode	ch_mode;
	const struct dtls_suite *ch_suite;	/* NULL in PSK mode */
	uint8_t		ch_id[DTLS_ID_LEN];
	uint8_t		ch_key[DTLS_OFFER_SECRET_LEN];	/* or the PSK */
	struct dtls_channel_params ch_params;
	struct dtls_assoc *ch_cur;	/* established, carries packets */
	struct dtls_assoc *ch_pend;	/* handshaking */
	bool		ch_active;	/* send on DTLS */
	bool		ch_registered;	/* in the id table */
	time_t		ch_last_rx;	/* last authenticated record */
	time_t		ch_last_dpd;	/* last DPD request we sent */
	time_t		ch_send_failed;	/* last failed send, or 0 */
	int		ch_send_hold;	/* seconds DTLS stays down after it */
	struct event	*ch_tick;	/* liveness check while up */
	struct event	*ch_notice;	/* checks once that DTLS came up */
	bool		ch_hello_seen;	/* a ClientHello arrived */
	bool		ch_hello_wrong_version;	/* one of another version */
	bool		ch_logout;	/* DISCONNECT 0xb0 came over DTLS */
	/*
	 * Handshakes allowed now: from the address of the client's TLS
	 * connection, and from any other, so that forgers elsewhere who saw
	 * the id cannot use up the client's own allowance.
	 */
	struct dtls_peer ch_tls_peer;	/* len 0 when unknown */
	struct dtls_hello_bucket ch_hellos;
	struct dtls_hello_bucket ch_hellos_elsewhere;
	unsigned	ch_failures_logged;
	struct dtls_channel *ch_next_by_id;
};

/* A peer whose ClientHello went to the owner of fid, and goes on to. */
struct dtls_foreign_peer {
	struct dtls_peer peer;
	time_t		last_seen;	/* its last datagram, monotonic */
	struct dtls_foreign_id *fid;
	struct dtls_foreign_peer *next_by_peer;
	struct dtls_foreign_peer *next_of_id;
};

/* The channel id of a tunnel on another worker. */
struct dtls_foreign_id {
	uint8_t		id[DTLS_ID_LEN];
	size_t		owner;		/* worker index */
	struct dtls_foreign_id *next;
	struct dtls_foreign_peer *peers;	/* newest first */
	size_t		npeers;
};

struct dtls {
	struct netproc	*d_np;
	SSL_CTX		*d_psk_ctx;
	SSL_CTX		*d_resume_ctx;
	BIO_METHOD	*d_bio_method;
	int		d_ex_index;	/* SSL ex_data slot: the assoc */
	int		d_psk_overhead_aead;	/* see dtls_psk_overhead */
	int		d_psk_overhead_any;
	struct dtls_socket d_socks[CONFIG_MAX_LISTENERS];
	size_t		d_nsocks;
	struct dtls_channel *d_by_id[DTLS_BUCKETS];
	struct dtls_assoc *d_by_addr[DTLS_BUCKETS];
	struct dtls_assoc *d_by_ip[DTLS_BUCKETS];	/* ch_cur only */
	struct dtls_foreign_id *d_foreign_ids[DTLS_FOREIGN_BUCKETS];
	struct dtls_foreign_peer *d_foreign_peers[DTLS_FOREIGN_BUCKETS];
};

/* dtls.c: routing tables and sending. */
size_t	dtls_bucket_of_id(const uint8_t *id);
size_t	dtls_bucket_of_peer(const struct dtls_peer *p, bool with_port);

/*
 * Route one datagram that arrived on s from a client. local is false
 * for one that another worker handed over, which never goes back.
 */
void	dtls_route(struct dtls *d, struct dtls_socket *s,
	    const struct dtls_peer *from, const uint8_t *dgram, size_t len,
	    bool local);
void	dtls_id_insert(struct dtls *d, struct dtls_channel *ch);
void	dtls_id_remove(struct dtls *d, struct dtls_channel *ch);
void	dtls_addr_insert(struct dtls *d, struct dtls_assoc *a);
void	dtls_addr_remove(struct dtls *d, struct dtls_assoc *a);
void	dtls_ip_insert(struct dtls *d, struct dtls_assoc *a);
void	dtls_ip_remove(struct dtls *d, struct dtls_assoc *a);
bool	dtls_peer_equal(const struct dtls_peer *a, const struct dtls_peer *b);
bool	dtls_peer_same_ip(const struct dtls_peer *a,
	    const struct dtls_peer *b);
void	dtls_peer_format(const struct dtls_peer *p, char *buf, size_t len);
int	dtls_socket_send(struct dtls_socket *s, const struct dtls_peer *peer,
	    const void *data, size_t len, int tos);

/*
 * Send len bytes as one datagram, or with gso_size > 0 as datagrams of
 * gso_size bytes, the last one shorter (UDP GSO). Returns 0 when sent
 * or dropped like a full queue drops, -EOPNOTSUPP when the kernel
 * rejects GSO, -EMSGSIZE when a GSO segment exceeds the path MTU, or
 * -errno.
 */
int	dtls_socket_sendmsg(struct dtls_socket *s, const struct dtls_peer *peer,
	    const void *data, size_t len, int tos, uint16_t gso_size);

/*
 * Make the channels whose association sends to peer fall back to CSTP,
 * because sending to it failed with rc (-errno), as a flush of the cork
 * reports.
 */
void	dtls_send_failed(struct dtls *d, const struct dtls_peer *peer,
	    int rc);

/* dtls_cork.c: take the datagram into the cork if it is on. */
bool	dtls_cork_add(struct dtls_socket *s, const struct dtls_peer *peer,
	    const void *data, size_t len, int tos);

/* dtls_assoc.c */
struct dtls_assoc *dtls_assoc_new(struct dtls_channel *ch,
	    struct dtls_socket *s, const struct dtls_peer *peer);
void	dtls_assoc_free(struct dtls_assoc *a);
enum dtls_input dtls_assoc_input(struct dtls_assoc *a,
	    struct dtls_socket *s, const struct dtls_peer *from,
	    const uint8_t *dgram, size_t len);
int	dtls_assoc_send(struct dtls_assoc *a, uint8_t type,
	    const uint8_t *payload, size_t len, int tos);
void	dtls_assoc_describe(const struct dtls_assoc *a, char *version,
	    size_t vlen, char *cipher, size_t clen);
int	dtls_assoc_ssl_setup(struct dtls *d);

/* dtls_channel.c: called by the association code. */
/* Fall back to CSTP after a send that failed with rc (-errno). */
void	dtls_channel_send_failed(struct dtls_channel *ch, int rc);
void	dtls_channel_authenticated(struct dtls_channel *ch,
	    struct dtls_assoc *a, struct dtls_socket *s,
	    const struct dtls_peer *from);
void	dtls_channel_payload(struct dtls_channel *ch, struct dtls_assoc *a,
	    uint8_t *data, size_t len);
void	dtls_channel_handshake_failed(struct dtls_channel *ch,
	    struct dtls_assoc *a, const char *why);

/* dtls_channel.c: called by the router in dtls.c. */
void	dtls_channel_hello(struct dtls_channel *ch, struct dtls_socket *s,
	    const struct dtls_peer *from, const struct dtls_wire_hello *hello,
	    const uint8_t *dgram, size_t len);
bool	dtls_channel_record(struct dtls_channel *ch, struct dtls_socket *s,
	    const struct dtls_peer *from, const struct dtls_wire_record *rec,
	    const uint8_t *dgram, size_t len);
bool	dtls_channel_try_rebind(struct dtls_channel *ch,
	    struct dtls_socket *s, const struct dtls_peer *from,
	    const uint8_t *dgram, size_t len);

/* dtls_foreign.c: channels of tunnels on other workers. */

/*
 * Hand a ClientHello for the channel id of another worker's tunnel to
 * it, and follow its peer. Returns false when no worker has the id.
 */
bool	dtls_foreign_hello(struct dtls *d, struct dtls_socket *s,
	    const struct dtls_peer *from, const uint8_t *id, size_t id_len,
	    const uint8_t *dgram, size_t len);

/* Hand a datagram from a followed peer over; false for other peers. */
bool	dtls_foreign_record(struct dtls *d, struct dtls_socket *s,
	    const struct dtls_peer *from, const uint8_t *dgram, size_t len);

#endif
