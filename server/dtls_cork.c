/*
 * The cork declared in dtls.h. The tun device hands over up to 64 KiB
 * of one TCP flow at once, which becomes dozens of DTLS records to one
 * client. Sent one by one, each costs a system call and a pass through
 * the stack. The cork collects them and sends each run with UDP GSO.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "dtls.h"
#include "dtls_impl.h"
#include "log.h"
#include "netproc.h"

#define DTLS_CORK_SEGMENTS	64	/* the kernel's UDP_MAX_SEGMENTS */
#define DTLS_CORK_BYTES		65000	/* below the IPv4 datagram limit */
/*
 * Seconds without GSO after the kernel rejected it. The reason may be
 * one client's route (an IPsec path, a device without checksum offload),
 * so GSO is tried again later rather than given up for every client.
 */
#define DTLS_CORK_NO_GSO_TIME	60

struct dtls_cork_state {
	bool			 on;
	time_t			 no_gso_until;	/* GSO rejected: try again then */
	bool			 gso_logged;
	struct dtls_socket	*sock;
	struct dtls_peer	 peer;
	int			 tos;
	size_t			 segment;	/* size of all but the last */
	size_t			 count;
	size_t			 used;
	bool			 full;		/* a short datagram came */
	uint8_t			 buf[DTLS_CORK_BYTES];
};

static __thread struct dtls_cork_state dtls_cork_state;

static bool
dtls_cork_same_peer(const struct dtls_peer *a, const struct dtls_peer *b)
{
	return (a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0 &&
	    a->has_local4 == b->has_local4 && a->has_local6 == b->has_local6 &&
	    memcmp(&a->local4, &b->local4, sizeof(a->local4)) == 0 &&
	    memcmp(&a->local6, &b->local6, sizeof(a->local6)) == 0);
}

/*
 * Send the held datagrams one by one, as without GSO. Returns how many
 * failed, and the error of the last failure in *rc.
 */
static size_t
dtls_cork_send_each(struct dtls_cork_state *c, int *rc)
{
	size_t off, len, failed = 0;
	int err;

	for (off = 0; off < c->used; off += len) {
		len = c->used - off < c->segment ? c->used - off : c->segment;
		err = dtls_socket_sendmsg(c->sock, &c->peer, c->buf + off, len,
		    c->tos, 0);
		if (err != 0) {
			*rc = err;
			failed++;
		}
	}
	return (failed);
}

static void
dtls_cork_flush(struct dtls_cork_state *c)
{
	bool no_gso = c->no_gso_until > time(NULL);
	size_t failed = 0;
	int rc = 0;

	if (c->count == 0)
		return;
	if (c->count > 1 && !no_gso) {
		rc = dtls_socket_sendmsg(c->sock, &c->peer, c->buf, c->used,
		    c->tos, (uint16_t)c->segment);
		if (rc == -EOPNOTSUPP) {
			if (!c->gso_logged)
				log_info("the kernel rejected UDP GSO; sending "
				    "DTLS datagrams one by one, and trying "
				    "GSO again every %d s",
				    DTLS_CORK_NO_GSO_TIME);
			c->gso_logged = true;
			c->no_gso_until = time(NULL) + DTLS_CORK_NO_GSO_TIME;
			no_gso = true;
		} else if (rc != 0 && rc != -EMSGSIZE) {
			failed = c->count;
		}
	}
	if (c->count == 1 || no_gso || rc == -EMSGSIZE)
		failed = dtls_cork_send_each(c, &rc);
	if (failed > 0) {
		log_debug("sending %zu of %zu DTLS datagram(s) failed: %s",
		    failed, c->count, strerror(-rc));

		/* The datagrams came from the peer's channel: it falls back. */
		dtls_send_failed(c->sock->s_dtls, &c->peer, rc);
	}
	c->count = 0;
	c->used = 0;
	c->full = false;
}

/* Whether a datagram of len bytes may join the held run. */
static bool
dtls_cork_fits(const struct dtls_cork_state *c, struct dtls_socket *s,
    const struct dtls_peer *peer, size_t len, int tos)
{
	return (c->sock == s && c->tos == tos && !c->full &&
	    len <= c->segment && c->used + len <= sizeof(c->buf) &&
	    c->count < DTLS_CORK_SEGMENTS &&
	    dtls_cork_same_peer(&c->peer, peer));
}

bool
dtls_cork_add(struct dtls_socket *s, const struct dtls_peer *peer,
    const void *data, size_t len, int tos)
{
	struct dtls_cork_state *c = &dtls_cork_state;

	if (!c->on || len == 0 || len > sizeof(c->buf))
		return (false);
	if (c->count > 0 && !dtls_cork_fits(c, s, peer, len, tos))
		dtls_cork_flush(c);
	if (c->count == 0) {
		c->sock = s;
		c->peer = *peer;
		c->tos = tos;
		c->segment = len;
	}
	memcpy(c->buf + c->used, data, len);
	c->used += len;
	c->count++;
	if (len < c->segment)
		c->full = true;
	return (true);
}

void
dtls_cork(void)
{
	dtls_cork_state.on = true;
}

void
dtls_uncork(void)
{
	dtls_cork_flush(&dtls_cork_state);
	dtls_cork_state.on = false;
}
