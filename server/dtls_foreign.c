/*
 * The DTLS channels of tunnels on other workers. The kernel gives a
 * datagram to the worker of the client's source address, which is the
 * tunnel's owner unless the client's DTLS comes from another address
 * than its TLS connection. For that case every worker stores the channel
 * ids of the others, hands a ClientHello for one to its owner, and
 * remembers the peer so that its later datagrams follow.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtls.h"
#include "dtls_impl.h"
#include "log.h"
#include "netproc.h"
#include "worker.h"

/* The metadata of a handed-over datagram. */
struct dtls_handover {
	uint32_t	listener;	/* index of the socket it came on */
	struct dtls_peer from;
};

static size_t
dtls_foreign_bucket_of_id(const uint8_t *id)
{
	return (dtls_bucket_of_id(id) & (DTLS_FOREIGN_BUCKETS - 1));
}

static size_t
dtls_foreign_bucket_of_peer(const struct dtls_peer *p)
{
	return (dtls_bucket_of_peer(p, true) & (DTLS_FOREIGN_BUCKETS - 1));
}

static struct dtls_foreign_id *
dtls_foreign_find_id(struct dtls *d, const uint8_t *id)
{
	struct dtls_foreign_id *f;

	f = d->d_foreign_ids[dtls_foreign_bucket_of_id(id)];
	while (f != NULL && memcmp(f->id, id, DTLS_ID_LEN) != 0)
		f = f->next;
	return (f);
}

static struct dtls_foreign_peer *
dtls_foreign_find_peer(struct dtls *d, const struct dtls_peer *peer)
{
	struct dtls_foreign_peer *p;

	p = d->d_foreign_peers[dtls_foreign_bucket_of_peer(peer)];
	while (p != NULL && !dtls_peer_equal(&p->peer, peer))
		p = p->next_by_peer;
	return (p);
}

void
dtls_foreign_add(struct dtls *d, const uint8_t *id, size_t owner)
{
	struct dtls_foreign_id *f;
	size_t b;

	if ((f = dtls_foreign_find_id(d, id)) != NULL) {
		f->owner = owner;
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warnx("out of memory for a DTLS id of worker %zu; its "
		    "client's DTLS from other addresses is dropped", owner);
		return;
	}
	memcpy(f->id, id, DTLS_ID_LEN);
	f->owner = owner;
	b = dtls_foreign_bucket_of_id(id);
	f->next = d->d_foreign_ids[b];
	d->d_foreign_ids[b] = f;
}

static void
dtls_foreign_unlink_peer(struct dtls *d, struct dtls_foreign_peer *p)
{
	struct dtls_foreign_peer **pp;

	pp = &d->d_foreign_peers[dtls_foreign_bucket_of_peer(&p->peer)];
	while (*pp != NULL && *pp != p)
		pp = &(*pp)->next_by_peer;
	if (*pp == p)
		*pp = p->next_by_peer;
}

void
dtls_foreign_remove(struct dtls *d, const uint8_t *id)
{
	struct dtls_foreign_id **pp = &d->d_foreign_ids[
	    dtls_foreign_bucket_of_id(id)];
	struct dtls_foreign_id *f;
	struct dtls_foreign_peer *p;

	while (*pp != NULL && memcmp((*pp)->id, id, DTLS_ID_LEN) != 0)
		pp = &(*pp)->next;
	if ((f = *pp) == NULL)
		return;
	*pp = f->next;
	while ((p = f->peers) != NULL) {
		f->peers = p->next_of_id;
		dtls_foreign_unlink_peer(d, p);
		free(p);
	}
	free(f);
}

/* Seconds on a clock that a change of the system time does not move. */
static time_t
dtls_foreign_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* Forget peer p, which follows the channel id p->fid. */
static void
dtls_foreign_drop_peer(struct dtls *d, struct dtls_foreign_peer *p)
{
	struct dtls_foreign_peer **pp = &p->fid->peers;

	while (*pp != NULL && *pp != p)
		pp = &(*pp)->next_of_id;
	if (*pp == p) {
		*pp = p->next_of_id;
		p->fid->npeers--;
	}
	dtls_foreign_unlink_peer(d, p);
	free(p);
}

/*
 * Make room for a new peer of f by forgetting the one quiet for longest.
 * The app id travels in clear, so anyone who captures it can send hellos
 * with it from many addresses. A peer that sent a datagram within the
 * last DTLS_FOREIGN_QUIET seconds stays, so such hellos cannot push out
 * the client's own peer while it sends. Returns whether there is room.
 */
static bool
dtls_foreign_make_room(struct dtls *d, struct dtls_foreign_id *f,
    time_t now)
{
	struct dtls_foreign_peer *p, *quietest = NULL;

	if (f->npeers < DTLS_FOREIGN_PEERS_MAX)
		return (true);
	for (p = f->peers; p != NULL; p = p->next_of_id) {
		if (quietest == NULL || p->last_seen < quietest->last_seen)
			quietest = p;
	}
	if (quietest == NULL || now - quietest->last_seen < DTLS_FOREIGN_QUIET)
		return (false);
	dtls_foreign_drop_peer(d, quietest);
	return (true);
}

/* Send later datagrams from peer to the owner of f too, if there is room. */
static void
dtls_foreign_follow(struct dtls *d, struct dtls_foreign_id *f,
    const struct dtls_peer *peer)
{
	struct dtls_foreign_peer *p = dtls_foreign_find_peer(d, peer);
	time_t now = dtls_foreign_now();
	size_t b;

	if (p != NULL && p->fid == f) {
		p->last_seen = now;
		return;
	}

	/* A hello for another id moves the peer: its client started over. */
	if (p != NULL)
		dtls_foreign_drop_peer(d, p);
	if (!dtls_foreign_make_room(d, f, now) ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return;
	p->peer = *peer;
	p->last_seen = now;
	p->fid = f;
	p->next_of_id = f->peers;
	f->peers = p;
	f->npeers++;
	b = dtls_foreign_bucket_of_peer(peer);
	p->next_by_peer = d->d_foreign_peers[b];
	d->d_foreign_peers[b] = p;
}

static void
dtls_foreign_hand_over(struct dtls *d, struct dtls_socket *s, size_t owner,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_handover h;

	memset(&h, 0, sizeof(h));
	h.listener = (uint32_t)(s - d->d_socks);
	h.from = *from;
	worker_handover(d->d_np, owner, WORKER_PACKET_DTLS, &h, sizeof(h),
	    dgram, len);
}

bool
dtls_foreign_hello(struct dtls *d, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *id, size_t id_len,
    const uint8_t *dgram, size_t len)
{
	struct dtls_foreign_id *f;

	if (id_len != DTLS_ID_LEN || (f = dtls_foreign_find_id(d, id)) == NULL)
		return (false);
	dtls_foreign_follow(d, f, from);
	dtls_foreign_hand_over(d, s, f->owner, from, dgram, len);
	return (true);
}

bool
dtls_foreign_record(struct dtls *d, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_foreign_peer *p = dtls_foreign_find_peer(d, from);

	if (p == NULL)
		return (false);
	p->last_seen = dtls_foreign_now();
	dtls_foreign_hand_over(d, s, p->fid->owner, from, dgram, len);
	return (true);
}

void
dtls_receive_handover(struct netproc *np, const uint8_t *meta,
    size_t meta_len, const uint8_t *dgram, size_t len)
{
	struct dtls *d = np->dtls;
	struct dtls_handover h;

	if (meta_len != sizeof(h))
		return;
	memcpy(&h, meta, sizeof(h));
	if (h.listener >= d->d_nsocks)
		return;
	dtls_route(d, &d->d_socks[h.listener], &h.from, dgram, len, false);
}
