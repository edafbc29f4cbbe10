/*
 * The voice-like stream and the plain-network modes. A voice packet is
 * an IPv4/UDP datagram of VOICE_PACKET_LEN bytes. Its payload carries a
 * magic number, the client id, a sequence number and the monotonic send
 * time. The UDP echo server returns the payload, and the round trip is
 * the receive time less the send time, both read in this process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cstp.h"
#include "loadgen.h"
#include "packet.h"

#define VOICE_UDP_LEN		(VOICE_PACKET_LEN - 20)
#define VOICE_PAYLOAD_LEN	(VOICE_UDP_LEN - 8)
#define VOICE_DSCP_EF		0xb8	/* DSCP 46 in the TOS byte */
#define VOICE_PORT_BASE		16384	/* RTP ports, as phones use */
#define PROBE_INTERVAL_US	1000

struct voice {
	struct event	*begin;		/* one-shot: starts the timer */
	struct event	*timer;		/* every VOICE_INTERVAL_US */
	int		fd;		/* direct mode: the UDP socket */
	struct event	*rx;		/* direct mode: its read event */
	uint32_t	seq;
};

/* The start of every voice payload; the rest is zero padding. */
struct voice_stamp {
	uint32_t	magic;
	uint32_t	client;
	uint32_t	seq;
	uint32_t	pad;
	uint64_t	sent_ns;
};

static void
voice_stamp_fill(uint8_t *payload, const struct client *c)
{
	struct voice_stamp st = {
		.magic = htonl(VOICE_MAGIC),
		.client = c->id,
		.seq = c->voice->seq,
		.sent_ns = now_ns(),
	};

	memset(payload, 0, VOICE_PAYLOAD_LEN);
	memcpy(payload, &st, sizeof(st));
}

/* Record the round trip of a returned payload; false if it is not ours. */
static bool
voice_stamp_check(struct loadgen *lg, const uint8_t *payload, size_t len)
{
	struct voice_stamp st;
	uint64_t now = now_ns();

	if (len < sizeof(st))
		return (false);
	memcpy(&st, payload, sizeof(st));
	if (st.magic != htonl(VOICE_MAGIC) || st.sent_ns > now)
		return (false);
	lg->voice_received++;
	samples_add(&lg->rtts, now - st.sent_ns);
	return (true);
}

/* Build the IPv4/UDP packet from the leased address to the echo server. */
static void
voice_build(const struct client *c, uint8_t pkt[VOICE_PACKET_LEN])
{
	const struct sockaddr_in *t = &c->lg->opt.target;
	uint16_t sport = htons((uint16_t)(VOICE_PORT_BASE + 2 * (c->id %
	    8192)));
	uint16_t word;

	memset(pkt, 0, 28);
	pkt[0] = 0x45;
	pkt[1] = VOICE_DSCP_EF;
	word = htons(VOICE_PACKET_LEN);
	memcpy(pkt + 2, &word, 2);
	word = htons((uint16_t)c->voice->seq);
	memcpy(pkt + 4, &word, 2);
	pkt[6] = 0x40;		/* don't fragment */
	pkt[8] = 64;		/* TTL */
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, &c->addr, 4);
	memcpy(pkt + 16, &t->sin_addr, 4);
	word = htons(packet_checksum(pkt, 20));
	memcpy(pkt + 10, &word, 2);
	memcpy(pkt + 20, &sport, 2);
	memcpy(pkt + 22, &t->sin_port, 2);
	word = htons(VOICE_UDP_LEN);
	memcpy(pkt + 24, &word, 2);
	/* A UDP checksum of zero means "none", which IPv4 allows. */
	voice_stamp_fill(pkt + 28, c);
}

static void
voice_tunnel_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client *c = arg;
	uint8_t pkt[VOICE_PACKET_LEN];

	(void)fd;
	(void)events;
	if (c->state != CS_UP)
		return;
	voice_build(c, pkt);
	c->voice->seq++;
	c->lg->voice_sent++;
	client_send_packet(c, pkt, sizeof(pkt));
}

static void
voice_begin_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client *c = arg;
	struct timeval tv = { 0, VOICE_INTERVAL_US };

	if (event_add(c->voice->timer, &tv) == 0)
		event_active(c->voice->timer, EV_TIMEOUT, 0);
	(void)fd;
	(void)events;
}

/*
 * Start the periodic sender after a phase that depends on the client id,
 * so that the streams of many sessions interleave instead of sending in
 * bursts every 20 ms.
 */
static int
voice_timer_start(struct client *c, event_callback_fn cb)
{
	struct timeval phase = { 0, (c->id * 997) % VOICE_INTERVAL_US };

	c->voice->timer = event_new(c->lg->base, -1, EV_PERSIST, cb, c);
	c->voice->begin = evtimer_new(c->lg->base, voice_begin_cb, c);
	if (c->voice->timer == NULL || c->voice->begin == NULL)
		return (-ENOMEM);
	return (evtimer_add(c->voice->begin, &phase));
}

int
voice_start(struct client *c)
{
	if ((c->voice = calloc(1, sizeof(*c->voice))) == NULL)
		return (-ENOMEM);
	c->voice->fd = -1;
	return (voice_timer_start(c, voice_tunnel_cb));
}

/* Stop sending but keep counting replies still in flight. */
void
voice_pause(struct client *c)
{
	if (c->voice == NULL)
		return;
	if (c->voice->begin != NULL)
		event_del(c->voice->begin);
	if (c->voice->timer != NULL)
		event_del(c->voice->timer);
}

void
voice_stop(struct client *c)
{
	if (c->voice == NULL)
		return;
	if (c->voice->begin != NULL)
		event_free(c->voice->begin);
	if (c->voice->timer != NULL)
		event_free(c->voice->timer);
	if (c->voice->rx != NULL)
		event_free(c->voice->rx);
	if (c->voice->fd >= 0)
		close(c->voice->fd);
	free(c->voice);
	c->voice = NULL;
}

/* A data packet arrived: take the UDP payload of an echoed packet. */
void
voice_receive(struct client *c, const uint8_t *pkt, size_t len)
{
	size_t ihl;

	if (len < 28 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_UDP) {
		c->lg->voice_bad++;
		return;
	}
	ihl = (size_t)(pkt[0] & 15) * 4;
	if (len < ihl + 8 || !voice_stamp_check(c->lg, pkt + ihl + 8,
	    len - ihl - 8))
		c->lg->voice_bad++;
}

/* ---- direct mode: the same stream without the VPN ---------------------- */

static void
direct_send_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client *c = arg;
	uint8_t payload[VOICE_PAYLOAD_LEN];

	(void)fd;
	(void)events;
	voice_stamp_fill(payload, c);
	c->voice->seq++;
	if (send(c->voice->fd, payload, sizeof(payload), 0) ==
	    (ssize_t)sizeof(payload))
		c->lg->voice_sent++;
}

static void
direct_recv_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client *c = arg;
	uint8_t buf[2048];
	ssize_t n;

	(void)events;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (!voice_stamp_check(c->lg, buf, (size_t)n))
			c->lg->voice_bad++;
	}
}

static int
direct_socket(const struct loadgen *lg, unsigned i)
{
	const struct options *o = &lg->opt;
	struct sockaddr_in src = { .sin_family = AF_INET };
	int tos = VOICE_DSCP_EF, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-errno);
	setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	if (o->nsources > 0)
		src.sin_addr = o->sources[i % o->nsources];
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (const struct sockaddr *)&o->target,
	    sizeof(o->target)) != 0) {
		int err = errno;

		close(fd);
		return (-err);
	}
	return (fd);
}

static int
direct_start_one(struct loadgen *lg, struct client *c, unsigned i)
{
	int fd;

	c->lg = lg;
	c->id = i;
	if ((c->voice = calloc(1, sizeof(*c->voice))) == NULL)
		return (-ENOMEM);
	if ((fd = direct_socket(lg, i)) < 0)
		return (fd);
	c->voice->fd = fd;
	c->voice->rx = event_new(lg->base, fd, EV_READ | EV_PERSIST,
	    direct_recv_cb, c);
	if (c->voice->rx == NULL || event_add(c->voice->rx, NULL) != 0)
		return (-ENOMEM);
	c->state = CS_UP;
	return (voice_timer_start(c, direct_send_cb));
}

static void
direct_stop_cb(evutil_socket_t fd, short events, void *arg)
{
	struct loadgen *lg = arg;
	unsigned i;

	(void)fd;
	(void)events;
	for (i = 0; i < lg->started; i++) {
		struct voice *v = lg->clients[i].voice;

		if (v != NULL && v->timer != NULL) {
			event_free(v->begin);
			event_free(v->timer);
			v->begin = v->timer = NULL;
		}
	}
	if (!lg->stopping) {
		struct timeval drain = { 1, 0 };

		lg->stopping = true;
		event_base_once(lg->base, -1, EV_TIMEOUT, direct_stop_cb, lg,
		    &drain);
		return;
	}
	event_base_loopexit(lg->base, NULL);
}

/*
 * Send the voice stream from --voice-sessions plain UDP sockets (default
 * --count) for --hold seconds: the baseline that tunnel latency is
 * compared with.
 */
int
direct_run(struct loadgen *lg)
{
	unsigned n = lg->opt.voice_sessions, i;
	struct timeval hold;
	int rc;

	lg->clients = calloc(n, sizeof(*lg->clients));
	if (lg->clients == NULL)
		return (-ENOMEM);
	for (i = 0; i < n; i++) {
		if ((rc = direct_start_one(lg, &lg->clients[i], i)) != 0) {
			fprintf(stderr, "loadgen: direct stream %u: %s\n", i,
			    strerror(-rc));
			return (rc);
		}
		lg->started++;
		lg->up++;
	}
	lg->voice_running = true;
	hold.tv_sec = (time_t)lg->opt.hold;
	hold.tv_usec = (suseconds_t)((lg->opt.hold - (double)hold.tv_sec) *
	    1e6);
	event_base_once(lg->base, -1, EV_TIMEOUT, direct_stop_cb, lg, &hold);
	event_base_dispatch(lg->base);
	lg->all_set_ns = lg->start_ns;
	return (0);
}

/* ---- probe mode: time to the first answered ping ----------------------- */

struct probe {
	struct loadgen	*lg;
	int		fd;
	uint16_t	ident;
	uint16_t	seq;
	struct event	*send_ev;
	struct event	*recv_ev;
};

static void
probe_send_cb(evutil_socket_t fd, short events, void *arg)
{
	struct probe *p = arg;
	struct icmphdr icmp = { .type = ICMP_ECHO };
	uint16_t sum;

	(void)events;
	icmp.un.echo.id = htons(p->ident);
	icmp.un.echo.sequence = htons(++p->seq);
	sum = htons(packet_checksum(&icmp, sizeof(icmp)));
	icmp.checksum = sum;
	/* Before the tunnel is up, the host is unreachable: keep trying. */
	sendto(fd, &icmp, sizeof(icmp), 0,
	    (const struct sockaddr *)&p->lg->opt.target,
	    sizeof(p->lg->opt.target));
	p->lg->probe_sent++;
}

static void
probe_recv_cb(evutil_socket_t fd, short events, void *arg)
{
	struct probe *p = arg;
	uint8_t buf[1500];
	struct icmphdr icmp;
	struct timespec ts;
	ssize_t n;
	size_t ihl;

	(void)events;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		ihl = (size_t)(buf[0] & 15) * 4;
		if ((size_t)n < ihl + sizeof(icmp))
			continue;
		memcpy(&icmp, buf + ihl, sizeof(icmp));
		if (icmp.type != ICMP_ECHOREPLY ||
		    ntohs(icmp.un.echo.id) != p->ident)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		p->lg->probe_reply_at = (double)ts.tv_sec +
		    (double)ts.tv_nsec / 1e9;
		p->lg->up = 1;
		event_base_loopexit(p->lg->base, NULL);
		return;
	}
}

/*
 * Ping --target every millisecond until the first echo reply, and record
 * its wall-clock time, so that a script can measure how long a VPN
 * client takes from its start to the first ping answered. Ends after
 * --max-time seconds at the latest.
 */
int
probe_run(struct loadgen *lg)
{
	struct timeval every = { 0, PROBE_INTERVAL_US };
	struct timeval max = { (time_t)lg->opt.max_time, 0 };
	struct probe p = { .lg = lg, .ident = (uint16_t)getpid() };

	p.fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ICMP);
	if (p.fd < 0) {
		fprintf(stderr, "loadgen: cannot open a raw ICMP socket: %s\n",
		    strerror(errno));
		return (-errno);
	}
	p.send_ev = event_new(lg->base, p.fd, EV_PERSIST, probe_send_cb, &p);
	p.recv_ev = event_new(lg->base, p.fd, EV_READ | EV_PERSIST,
	    probe_recv_cb, &p);
	if (p.send_ev == NULL || p.recv_ev == NULL)
		return (-ENOMEM);
	event_add(p.send_ev, &every);
	event_add(p.recv_ev, NULL);
	event_base_loopexit(lg->base, &max);
	event_active(p.send_ev, EV_TIMEOUT, 0);
	event_base_dispatch(lg->base);
	event_free(p.send_ev);
	event_free(p.recv_ev);
	close(p.fd);
	return (0);
}
