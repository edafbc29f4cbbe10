/*
 * DTLS sockets and datagram routing, declared in dtls.h.
 *
 * Three tables route a datagram. A ClientHello is looked up by its id
 * (the 32-byte X-DTLS-Session-ID or X-DTLS-App-ID), which leads to a
 * channel. Other datagrams are looked up by their client address, which
 * leads to an association. When that fails, the client's IP address
 * leads to the established associations that may have moved to a new
 * port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "dtls.h"
#include "dtls_impl.h"
#include "hash.h"
#include "log.h"
#include "netproc.h"
#include "worker.h"
#include "session.h"

#define DTLS_RECV_BATCH		64	/* receive buffers per readiness event */
#define DTLS_SOCKET_BUFFER	(4 * 1024 * 1024)

/*
 * Associations tried for one datagram from an unknown port. The bound
 * keeps garbage aimed at a busy NAT address cheap. With more sessions
 * behind one address, a client whose port changed may have to wait for
 * its own DPD and start a new handshake.
 */
#define DTLS_REBIND_CANDIDATES	8

/* Sessions tried for one datagram from an address that several share. */
#define DTLS_ADDR_SHARED	4

/* Our ids are random, so their first bytes are well mixed. */
size_t
dtls_bucket_of_id(const uint8_t *id)
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	return (h & (DTLS_BUCKETS - 1));
}

size_t
dtls_bucket_of_peer(const struct dtls_peer *p, bool with_port)
{
	const void *addr = NULL, *port = NULL;
	size_t addr_len = 0;

	if (p->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&p->ss;

		addr = &sin->sin_addr;
		addr_len = sizeof(sin->sin_addr);
		port = &sin->sin_port;
	} else if (p->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&p->ss;

		addr = &sin6->sin6_addr;
		addr_len = sizeof(sin6->sin6_addr);
		port = &sin6->sin6_port;
	}
	if (addr == NULL)
		return (0);
	return (hash_pair(addr, addr_len, port, with_port ? 2 : 0) &
	    (DTLS_BUCKETS - 1));
}

bool
dtls_peer_same_ip(const struct dtls_peer *a, const struct dtls_peer *b)
{
	const struct sockaddr_in *a4 = (const void *)&a->ss;
	const struct sockaddr_in *b4 = (const void *)&b->ss;
	const struct sockaddr_in6 *a6 = (const void *)&a->ss;
	const struct sockaddr_in6 *b6 = (const void *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return (false);
	if (a->ss.ss_family == AF_INET)
		return (a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	if (a->ss.ss_family == AF_INET6)
		return (memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0);
	return (false);
}

bool
dtls_peer_equal(const struct dtls_peer *a, const struct dtls_peer *b)
{
	if (!dtls_peer_same_ip(a, b))
		return (false);
	if (a->ss.ss_family == AF_INET)
		return (((const struct sockaddr_in *)&a->ss)->sin_port ==
		    ((const struct sockaddr_in *)&b->ss)->sin_port);
	return (((const struct sockaddr_in6 *)&a->ss)->sin6_port ==
	    ((const struct sockaddr_in6 *)&b->ss)->sin6_port);
}

void
dtls_peer_format(const struct dtls_peer *p, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (p->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&p->ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (p->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&p->ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "unknown");
	}
}

/* ---- tables ---- */

void
dtls_id_insert(struct dtls *d, struct dtls_channel *ch)
{
	size_t b = dtls_bucket_of_id(ch->ch_id);

	ch->ch_next_by_id = d->d_by_id[b];
	d->d_by_id[b] = ch;
}

void
dtls_id_remove(struct dtls *d, struct dtls_channel *ch)
{
	struct dtls_channel **pp = &d->d_by_id[dtls_bucket_of_id(ch->ch_id)];

	while (*pp != NULL && *pp != ch)
		pp = &(*pp)->ch_next_by_id;
	if (*pp == ch)
		*pp = ch->ch_next_by_id;
	ch->ch_next_by_id = NULL;
}

static struct dtls_channel *
dtls_id_find(struct dtls *d, const uint8_t *id, size_t len)
{
	struct dtls_channel *ch;

	if (len != DTLS_ID_LEN)
		return (NULL);
	ch = d->d_by_id[dtls_bucket_of_id(id)];
	for (; ch != NULL; ch = ch->ch_next_by_id) {
		if (memcmp(ch->ch_id, id, DTLS_ID_LEN) == 0)
			return (ch);
	}
	return (NULL);
}

void
dtls_addr_insert(struct dtls *d, struct dtls_assoc *a)
{
	size_t b = dtls_bucket_of_peer(&a->a_peer, true);

	a->a_next_by_addr = d->d_by_addr[b];
	d->d_by_addr[b] = a;
}

void
dtls_addr_remove(struct dtls *d, struct dtls_assoc *a)
{
	struct dtls_assoc **pp;

	pp = &d->d_by_addr[dtls_bucket_of_peer(&a->a_peer, true)];
	while (*pp != NULL && *pp != a)
		pp = &(*pp)->a_next_by_addr;
	if (*pp == a)
		*pp = a->a_next_by_addr;
	a->a_next_by_addr = NULL;
}

/*
 * Find the channels with an association at peer. Usually there is one;
 * a NAT that gave a dead client's address to a new one makes two.
 */
static size_t
dtls_addr_channels(struct dtls *d, const struct dtls_peer *peer,
    struct dtls_channel **out, size_t max)
{
	struct dtls_assoc *a = d->d_by_addr[dtls_bucket_of_peer(peer, true)];
	size_t n = 0, i;

	for (; a != NULL && n < max; a = a->a_next_by_addr) {
		if (!dtls_peer_equal(&a->a_peer, peer))
			continue;
		for (i = 0; i < n && out[i] != a->a_ch; i++)
			continue;
		if (i == n)
			out[n++] = a->a_ch;
	}
	return (n);
}

void
dtls_ip_insert(struct dtls *d, struct dtls_assoc *a)
{
	size_t b = dtls_bucket_of_peer(&a->a_peer, false);

	if (a->a_in_ip_index)
		return;
	a->a_next_by_ip = d->d_by_ip[b];
	d->d_by_ip[b] = a;
	a->a_in_ip_index = true;
}

void
dtls_ip_remove(struct dtls *d, struct dtls_assoc *a)
{
	struct dtls_assoc **pp;

	if (!a->a_in_ip_index)
		return;
	pp = &d->d_by_ip[dtls_bucket_of_peer(&a->a_peer, false)];
	while (*pp != NULL && *pp != a)
		pp = &(*pp)->a_next_by_ip;
	if (*pp == a)
		*pp = a->a_next_by_ip;
	a->a_next_by_ip = NULL;
	a->a_in_ip_index = false;
}

/* ---- sending ---- */

/* Ancillary data of one datagram: TOS or traffic class, and PKTINFO. */
union dtls_control {
	struct cmsghdr	align;
	char		buf[CMSG_SPACE(sizeof(int)) +
			    CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(uint16_t))];
};

/* Append one control message to msg, whose buffer has room for it. */
static void
dtls_control_add(struct msghdr *msg, int level, int type, const void *data,
    size_t len)
{
	struct cmsghdr *cm = (struct cmsghdr *)((char *)msg->msg_control +
	    msg->msg_controllen);

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	msg->msg_controllen += CMSG_SPACE(len);
}

/*
 * Set the TOS byte (IPv4) or traffic class (IPv6) of one datagram, and
 * its source address: the one the client sent to, which on a host with
 * several addresses need not be the one routing would pick.
 */
static void
dtls_control_build(struct msghdr *msg, union dtls_control *control,
    const struct dtls_peer *peer, int tos)
{
	struct in6_pktinfo pi6 = { .ipi6_addr = peer->local6 };
	struct in_pktinfo pi = { .ipi_spec_dst = peer->local4 };
	bool v6 = peer->ss.ss_family == AF_INET6;

	memset(control, 0, sizeof(*control));
	msg->msg_control = control->buf;
	msg->msg_controllen = 0;
	if (tos != 0)
		dtls_control_add(msg, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    v6 ? IPV6_TCLASS : IP_TOS, &tos, sizeof(tos));
	if (v6 && peer->has_local6)
		dtls_control_add(msg, IPPROTO_IPV6, IPV6_PKTINFO, &pi6,
		    sizeof(pi6));
	else if (!v6 && peer->has_local4)
		dtls_control_add(msg, IPPROTO_IP, IP_PKTINFO, &pi,
		    sizeof(pi));
	if (msg->msg_controllen == 0)
		msg->msg_control = NULL;
}

int
dtls_socket_sendmsg(struct dtls_socket *s, const struct dtls_peer *peer,
    const void *data, size_t len, int tos, uint16_t gso_size)
{
	union dtls_control control;
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = { .msg_name = (void *)&peer->ss,
	    .msg_namelen = peer->len, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t datagrams;
	int rc;

	dtls_control_build(&msg, &control, peer, tos);
	if (gso_size > 0) {
		if (msg.msg_control == NULL)
			msg.msg_control = control.buf;
		dtls_control_add(&msg, SOL_UDP, UDP_SEGMENT, &gso_size,
		    sizeof(gso_size));
	}
	if (sendmsg(s->s_fd, &msg, 0) >= 0)
		return (0);
	if (gso_size > 0 && (errno == EIO || errno == EINVAL ||
	    errno == ENOPROTOOPT))
		return (-EOPNOTSUPP);

	/*
	 * A segment above the path MTU: GSO cannot fragment, but a single
	 * datagram is fragmented by the kernel, so the caller sends each.
	 */
	if (gso_size > 0 && errno == EMSGSIZE)
		return (-EMSGSIZE);

	/* Like a router, drop what does not fit now; UDP may lose it. */
	rc = -errno;
	datagrams = gso_size > 0 ? (len + gso_size - 1) / gso_size : 1;
	if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -ENOBUFS ||
	    rc == -EINTR || rc == -EMSGSIZE) {
		counter_add(&s->s_dtls->d_np->stats.dtls_send_drops,
		    datagrams);
		return (0);
	}

	/* A firewall rule or a lost route: the caller falls back to CSTP. */
	counter_add(&s->s_dtls->d_np->stats.dtls_send_errors, datagrams);
	return (rc);
}

void
dtls_send_failed(struct dtls *d, const struct dtls_peer *peer, int rc)
{
	struct dtls_channel *chs[DTLS_ADDR_SHARED];
	size_t n, i;

	n = dtls_addr_channels(d, peer, chs, DTLS_ADDR_SHARED);
	for (i = 0; i < n; i++) {
		if (chs[i]->ch_cur != NULL &&
		    dtls_peer_equal(&chs[i]->ch_cur->a_peer, peer))
			dtls_channel_send_failed(chs[i], rc);
	}
}

int
dtls_socket_send(struct dtls_socket *s, const struct dtls_peer *peer,
    const void *data, size_t len, int tos)
{
	if (dtls_cork_add(s, peer, data, len, tos))
		return (0);
	return (dtls_socket_sendmsg(s, peer, data, len, tos, 0));
}

/* ---- routing ---- */

/*
 * Try a datagram from an address that no association has on the
 * associations at the same IP address, because the client may have moved.
 */
static void
dtls_route_unknown(struct dtls *d, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_assoc *a, *next;
	int tried = 0;

	a = d->d_by_ip[dtls_bucket_of_peer(from, false)];
	for (; a != NULL && tried < DTLS_REBIND_CANDIDATES; a = next) {
		next = a->a_next_by_ip;
		if (!dtls_peer_same_ip(&a->a_peer, from))
			continue;
		tried++;

		/* A success moves a in the tables: stop walking them. */
		if (dtls_channel_try_rebind(a->a_ch, s, from, dgram, len))
			return;
	}
	counter_add(&d->d_np->stats.dtls_drops_unknown_peer, 1);
}

void
dtls_route(struct dtls *d, struct dtls_socket *s, const struct dtls_peer *from,
    const uint8_t *dgram, size_t len, bool local)
{
	struct dtls_channel *ch, *known[DTLS_ADDR_SHARED];
	struct dtls_wire_record rec;
	struct dtls_wire_hello hello;
	const uint8_t *id;
	size_t id_len, n, i;

	if (!dtls_wire_peek_record(dgram, len, &rec) ||
	    !dtls_wire_version_known(rec.version)) {
		counter_add(&d->d_np->stats.dtls_drops_malformed, 1);
		return;
	}
	if (dtls_wire_peek_hello(dgram, len, &hello)) {
		if (!dtls_wire_hello_id(&hello, &id, &id_len)) {
			counter_add(&d->d_np->stats.dtls_drops_unknown_id, 1);
			return;
		}
		if ((ch = dtls_id_find(d, id, id_len)) == NULL) {
			if (!local || !dtls_foreign_hello(d, s, from, id,
			    id_len, dgram, len))
				counter_add(
				    &d->d_np->stats.dtls_drops_unknown_id, 1);
			return;
		}
		dtls_channel_hello(ch, s, from, &hello, dgram, len);
		return;
	}
	n = dtls_addr_channels(d, from, known, DTLS_ADDR_SHARED);
	for (i = 0; i < n; i++) {
		if (dtls_channel_record(known[i], s, from, &rec, dgram, len))
			return;
	}
	if (n == 0 && local && dtls_foreign_record(d, s, from, dgram, len))
		return;
	if (n == 0 && rec.epoch > 0)
		dtls_route_unknown(d, s, from, dgram, len);
	else if (n > 0)
		counter_add(&d->d_np->stats.dtls_drops_rejected, 1);
	else
		counter_add(&d->d_np->stats.dtls_drops_unknown_peer, 1);
}

/*
 * Note the local address that a datagram was sent to. Returns the size
 * of the datagrams that UDP GRO merged into this buffer, or 0 when it
 * contains one datagram.
 */
static size_t
dtls_read_control(struct msghdr *msg, struct dtls_peer *from)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct cmsghdr *cm;
	int segment = 0;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			from->local4 = pi.ipi_addr;
			from->has_local4 = true;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			from->local6 = pi6.ipi6_addr;
			from->has_local6 = true;
		} else if (cm->cmsg_level == SOL_UDP &&
		    cm->cmsg_type == UDP_GRO) {
			memcpy(&segment, CMSG_DATA(cm), sizeof(segment));
		}
	}
	return (segment > 0 ? (size_t)segment : 0);
}

/*
 * Route each datagram of a buffer that UDP GRO filled: all but the last
 * are segment bytes long, and all come from the same peer.
 */
static void
dtls_route_segments(struct dtls_socket *s, const struct dtls_peer *from,
    const uint8_t *buf, size_t len, size_t segment)
{
	size_t off, n;

	if (segment == 0)
		segment = len;
	else
		counter_add(&s->s_dtls->d_np->stats.dtls_gro_datagrams,
		    (len + segment - 1) / segment);
	for (off = 0; off < len; off += n) {
		n = len - off < segment ? len - off : segment;
		dtls_route(s->s_dtls, s, from, buf + off, n, true);
	}
}

/*
 * One recvmmsg() call fills these slots, so a burst of datagrams costs
 * one system call per DTLS_MMSG_SLOTS. A slot fits the largest buffer
 * that UDP GRO fills with the datagrams of one peer, so GRO never cuts
 * one short. Only the pages that datagrams reach are ever touched.
 */
#define DTLS_MMSG_SLOTS		16
#define DTLS_SLOT_SIZE		DTLS_DATAGRAM_MAX

struct dtls_rx_batch {
	uint8_t			bufs[DTLS_MMSG_SLOTS][DTLS_SLOT_SIZE];
	struct mmsghdr		msgs[DTLS_MMSG_SLOTS];
	struct iovec		iovs[DTLS_MMSG_SLOTS];
	union dtls_control	controls[DTLS_MMSG_SLOTS];
	struct dtls_peer	froms[DTLS_MMSG_SLOTS];
};

static __thread struct dtls_rx_batch dtls_rx;

static void
dtls_rx_prepare(struct dtls_rx_batch *b)
{
	struct msghdr *msg;
	int i;

	memset(b->froms, 0, sizeof(b->froms));
	for (i = 0; i < DTLS_MMSG_SLOTS; i++) {
		b->iovs[i] = (struct iovec){ b->bufs[i], DTLS_SLOT_SIZE };
		msg = &b->msgs[i].msg_hdr;
		msg->msg_name = &b->froms[i].ss;
		msg->msg_namelen = sizeof(b->froms[i].ss);
		msg->msg_iov = &b->iovs[i];
		msg->msg_iovlen = 1;
		msg->msg_control = b->controls[i].buf;
		msg->msg_controllen = sizeof(b->controls[i].buf);
		msg->msg_flags = 0;
	}
}

static void
dtls_read_batches(int fd, struct dtls_socket *s)
{
	struct dtls_rx_batch *b = &dtls_rx;
	struct dtls_peer *from;
	size_t segment;
	int i, n, round;

	for (round = 0; round < DTLS_RECV_BATCH / DTLS_MMSG_SLOTS; round++) {
		dtls_rx_prepare(b);
		n = recvmmsg(fd, b->msgs, DTLS_MMSG_SLOTS, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			from = &b->froms[i];
			from->len = b->msgs[i].msg_hdr.msg_namelen;
			if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				counter_add(&s->s_dtls->d_np->
				    stats.dtls_drops_malformed, 1);
				continue;
			}
			segment = dtls_read_control(&b->msgs[i].msg_hdr,
			    from);
			dtls_route_segments(s, from, b->bufs[i],
			    b->msgs[i].msg_len, segment);
		}
		if (n < DTLS_MMSG_SLOTS)
			return;
	}
}

static void
dtls_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_socket *s = arg;

	(void)events;
	dtls_read_batches(fd, s);

	/* Wake the owners of datagrams that dtls_foreign handed over. */
	worker_kick(s->s_dtls->d_np);
}

/* ---- start ---- */

static int
dtls_watch_socket(struct dtls *d, struct dtls_socket *s, int fd)
{
	int size = DTLS_SOCKET_BUFFER, on = 1;

	s->s_dtls = d;
	s->s_fd = fd;
	evutil_make_socket_nonblocking(fd);

	/* Best effort: the kernel caps the size at net.core.*mem_max. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

	/* Only the option of the socket's own family succeeds. */
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));

	/*
	 * Best effort: with UDP GRO, the kernel hands a run of datagrams
	 * from one peer over as one buffer, which saves its per-datagram
	 * work. A kernel without UDP GRO gives single datagrams.
	 */
	setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
	s->s_event = event_new(d->d_np->base, fd, EV_READ | EV_PERSIST,
	    dtls_read_cb, s);
	if (s->s_event == NULL || event_add(s->s_event, NULL) != 0)
		return (-ENOMEM);
	return (0);
}

int
dtls_start(struct netproc *np, const int *udp_fds, size_t nfds)
{
	struct dtls *d;
	size_t i;
	int rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (-ENOMEM);
	d->d_np = np;
	if ((rc = dtls_assoc_ssl_setup(d)) != 0)
		return (rc);
	for (i = 0; i < nfds && i < CONFIG_MAX_LISTENERS; i++) {
		if ((rc = dtls_watch_socket(d, &d->d_socks[i],
		    udp_fds[i])) != 0)
			return (rc);
		d->d_nsocks++;
	}
	np->dtls = d;
	return (0);
}

void
dtls_free(struct dtls *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->d_nsocks; i++)
		event_free(d->d_socks[i].s_event);
	SSL_CTX_free(d->d_psk_ctx);
	SSL_CTX_free(d->d_resume_ctx);
	BIO_meth_free(d->d_bio_method);
	free(d);
}

int
dtls_psk_overhead(const struct dtls *d, bool aead)
{
	return (aead ? d->d_psk_overhead_aead : d->d_psk_overhead_any);
}

/* ---- status ---- */

const char *
dtls_state_name(const struct session_dtls *sd)
{
	switch (sd->state) {
	case SESSION_DTLS_UP:
		return ("up");
	case SESSION_DTLS_DOWN:
		return ("down");
	default:
		return ("never");
	}
}

static void
dtls_json_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* An empty string is null: not known yet. */
static void
dtls_json_string(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v == NULL || v[0] == '\0' ? NULL :
	    json_object_new_string(v));
}

void
dtls_session_json(const struct session_dtls *sd, json_object *o)
{
	dtls_json_string(o, "mode", sd->mode);
	dtls_json_string(o, "version", sd->version);
	dtls_json_string(o, "cipher", sd->cipher);
	dtls_json_string(o, "state", dtls_state_name(sd));
}

json_object *
dtls_channel_json(const struct session_stats *st)
{
	json_object *o = json_object_new_object();

	dtls_json_u64(o, "bytes_in", st->dtls_bytes_in);
	dtls_json_u64(o, "bytes_out", st->dtls_bytes_out);
	dtls_json_u64(o, "packets_in", st->dtls_packets_in);
	dtls_json_u64(o, "packets_out", st->dtls_packets_out);
	return (o);
}

json_object *
dtls_stats_json(const struct netproc_stats *s)
{
	json_object *o = json_object_new_object();
	json_object *drops = json_object_new_object();

	dtls_json_u64(o, "succeeded", s->dtls_handshakes);
	dtls_json_u64(o, "failed", s->dtls_handshake_failures);
	dtls_json_u64(o, "superseded", s->dtls_handshakes_superseded);
	dtls_json_u64(o, "rebindings", s->dtls_rebindings);
	dtls_json_u64(o, "hellos_rate_limited", s->dtls_hellos_rate_limited);
	dtls_json_u64(o, "gro_datagrams", s->dtls_gro_datagrams);
	dtls_json_u64(drops, "unknown_id", s->dtls_drops_unknown_id);
	dtls_json_u64(drops, "unknown_peer", s->dtls_drops_unknown_peer);
	dtls_json_u64(drops, "malformed", s->dtls_drops_malformed);
	dtls_json_u64(drops, "rejected", s->dtls_drops_rejected);
	dtls_json_u64(drops, "socket_full", s->dtls_send_drops);
	dtls_json_u64(drops, "send_error", s->dtls_send_errors);
	json_object_object_add(o, "drops", drops);
	return (o);
}
