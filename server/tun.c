/* The tun device declared in tun.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "addrmap.h"
#include "dtls.h"
#include "gro.h"
#include "ipfrag.h"
#include "log.h"
#include "netproc.h"
#include "packet.h"
#include "poolroute.h"
#include "session.h"
#include "tun.h"
#include "tunnel.h"
#include "worker.h"

#define TUN_READ_BATCH	64	/* packets per wakeup, for fairness */
#define TUN_BATCH_PACKETS	64	/* packets from clients per write batch */
#define TUN_BATCH_BYTES		(256 * 1024)

static __thread uint8_t tun_buf[GRO_VNET_HDR_LEN + 65536];

static void
tun_sockaddr(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
}

static int
tun_configure(int sock, const struct config_tun *t)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	tun_sockaddr(&ifr.ifr_addr, ntohl(t->address.s_addr));
	if (ioctl(sock, SIOCSIFADDR, &ifr) != 0)
		return (-errno);
	tun_sockaddr(&ifr.ifr_netmask, 0xffffffffu);
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) != 0)
		return (-errno);
	ifr.ifr_mtu = t->mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) != 0)
		return (-errno);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
		return (-errno);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)
		return (-errno);
	return (0);
}

/* Add (SIOCADDRT) or delete (SIOCDELRT) the route of one block. */
static int
tun_route_block(int sock, unsigned long request, const char *dev,
    const struct poolroute_block *b)
{
	struct rtentry rt;
	uint32_t mask = b->prefix == 0 ? 0 : 0xffffffffu << (32 - b->prefix);

	memset(&rt, 0, sizeof(rt));
	tun_sockaddr(&rt.rt_dst, b->net);
	tun_sockaddr(&rt.rt_genmask, mask);
	rt.rt_flags = RTF_UP;
	rt.rt_dev = (char *)dev;
	if (ioctl(sock, request, &rt) != 0)
		return (-errno);
	return (0);
}

static int
tun_route_pools(int sock, const struct config *cfg)
{
	struct poolroute_block blocks[POOLROUTE_SPLIT_MAX];
	size_t i, j, n;
	int rc;

	for (i = 0; i < cfg->npools; i++) {
		n = poolroute_pool_blocks(&cfg->pools[i], blocks);
		for (j = 0; j < n; j++) {
			rc = tun_route_block(sock, SIOCADDRT, cfg->tun.name,
			    &blocks[j]);
			if (rc != 0 && rc != -EEXIST)
				return (rc);
		}
	}
	return (0);
}

int
tun_route_delete(const char *dev, uint32_t net, int prefix)
{
	struct poolroute_block b = { net, prefix };
	int sock, rc;

	if ((sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return (-errno);
	rc = tun_route_block(sock, SIOCDELRT, dev, &b);
	close(sock);
	return (rc);
}

int
tun_route_add_pools(const struct config *cfg)
{
	int sock, rc;

	if ((sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return (-errno);
	rc = tun_route_pools(sock, cfg);
	close(sock);
	return (rc);
}

/* Open one queue of the device, which the first TUNSETIFF creates. */
static int
tun_open_queue(const struct config *cfg, short flags, char *err,
    size_t errlen)
{
	struct ifreq ifr;
	int fd, rc;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "open /dev/net/tun failed: %s",
		    strerror(-rc));
		return (rc);
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->tun.name);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		rc = -errno;
		if (rc == -EBUSY && (flags & IFF_TUN_EXCL))
			snprintf(err, errlen, "tun device %s already exists, "
			    "so another headend or another program uses it: "
			    "stop that one, or set tun.name to a name that no "
			    "interface has", cfg->tun.name);
		else
			snprintf(err, errlen, "TUNSETIFF %s failed: %s",
			    cfg->tun.name, strerror(-rc));
		close(fd);
		return (rc);
	}
	return (fd);
}

static void
tun_close_queues(int *fds, size_t nqueues)
{
	size_t i;

	for (i = 0; i < nqueues; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * Open the device's queues. The first must create the device, so that a
 * device another process has open is rejected, not joined. The others
 * join the device that the first created.
 */
static int
tun_open_queues(const struct config *cfg, size_t nqueues, int *fds,
    char *err, size_t errlen)
{
	/* The virtio-net header lets one write carry merged segments. */
	short flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	size_t i;
	int fd;

	/*
	 * NOTE: without a steering program, the kernel moves a flow to the
	 * queue of the thread that last wrote a packet of it. Packets of
	 * the flow still in a handover ring then arrive after newer ones.
	 */
	if (nqueues > 1)
		flags |= IFF_MULTI_QUEUE;
	for (i = 0; i < nqueues; i++) {
		/*
		 * Joining a device that exists would take over the address
		 * and routes of the process that has it.
		 */
		fd = tun_open_queue(cfg, i == 0 ? flags | IFF_TUN_EXCL : flags,
		    err, errlen);
		if (fd < 0) {
			tun_close_queues(fds, i);
			return (fd);
		}
		fds[i] = fd;
	}
	return (0);
}

int
tun_create(const struct config *cfg, size_t nqueues, int *fds, char *err,
    size_t errlen)
{
	int sock, rc;

	if (nqueues < 1 || nqueues > CONFIG_MAX_WORKERS) {
		snprintf(err, errlen, "invalid number of queues %zu for %s: "
		    "use 1 to %d", nqueues, cfg->tun.name, CONFIG_MAX_WORKERS);
		return (-EINVAL);
	}
	if ((rc = tun_open_queues(cfg, nqueues, fds, err, errlen)) != 0)
		return (rc);

	/*
	 * Let the kernel hand over large TCP/IPv4 packets and partial
	 * checksums, so that traffic to clients crosses its stack once
	 * per 64 KiB. Without this the kernel simply does the work itself.
	 * The setting belongs to the device, so the first queue sets it.
	 */
	if (ioctl(fds[0], TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) != 0)
		log_warnx("TUNSETOFFLOAD on %s failed, packets to clients "
		    "are cut up by the kernel: %s", cfg->tun.name,
		    strerror(errno));
	if ((sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket to configure %s failed: %s",
		    cfg->tun.name, strerror(-rc));
		tun_close_queues(fds, nqueues);
		return (rc);
	}
	if ((rc = tun_configure(sock, &cfg->tun)) != 0 ||
	    (rc = tun_route_pools(sock, cfg)) != 0) {
		snprintf(err, errlen, "configuring %s failed: %s",
		    cfg->tun.name, strerror(-rc));
		close(sock);
		tun_close_queues(fds, nqueues);
		return (rc);
	}
	close(sock);
	return (0);
}

/*
 * Packets from clients wait here until the event loop has run every
 * callback that was ready, then go to the device together, so that
 * gro_plan can merge the segments of a TCP flow into one write.
 */
struct tun_batch {
	uint8_t			 buf[TUN_BATCH_BYTES];
	size_t			 used;
	struct gro_packet	 pkts[TUN_BATCH_PACKETS];
	struct gro_write	 writes[TUN_BATCH_PACKETS];
	size_t			 n;
	struct event		*flush;
};

/* Write one planned run: header, head packet, then each payload. */
static void
tun_write_run(struct netproc *np, const struct gro_write *w,
    const struct gro_packet *pkts)
{
	struct iovec iov[2 + TUN_BATCH_PACKETS];
	uint8_t vnet[GRO_VNET_HDR_LEN];
	size_t i, niov = 0;

	gro_vnet_hdr_put(&w->hdr, vnet);
	iov[niov++] = (struct iovec){ vnet, sizeof(vnet) };
	iov[niov++] = (struct iovec){ pkts[w->head].data, pkts[w->head].len };
	for (i = pkts[w->head].next; i != GRO_END; i = pkts[i].next)
		iov[niov++] = (struct iovec){ pkts[i].data + pkts[i].payload_off,
		    pkts[i].len - pkts[i].payload_off };
	if (writev(np->tun_fd, iov, (int)niov) < 0) {
		/* Log the first failed packet and about every 1000th after. */
		if (counter_add(&np->stats.tun_drops_write, 1) % 1000 == 0)
			log_warnx("write of %zu packet(s) to the tun device "
			    "failed: %s", w->count, strerror(errno));
		counter_add(&np->stats.tun_drops_write, w->count - 1);
	}
	if (w->count > 1)
		counter_add(&np->stats.tun_merged_segments, w->count);
}

static void
tun_flush(struct netproc *np)
{
	struct tun_batch *b = np->tun_batch;
	size_t i, nwrites;

	nwrites = gro_plan(b->pkts, b->n, b->writes);
	for (i = 0; i < nwrites; i++)
		tun_write_run(np, &b->writes[i], b->pkts);
	counter_add(&np->stats.tun_writes, nwrites);
	b->n = 0;
	b->used = 0;
}

static void
tun_flush_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	tun_flush(arg);
}

void
tun_write(struct netproc *np, const uint8_t *pkt, size_t len)
{
	struct tun_batch *b = np->tun_batch;

	if (len > sizeof(b->buf))
		return;
	if (b->n == TUN_BATCH_PACKETS || b->used + len > sizeof(b->buf))
		tun_flush(np);
	if (b->n == 0)
		event_active(b->flush, EV_WRITE, 0);
	memcpy(b->buf + b->used, pkt, len);
	b->pkts[b->n].data = b->buf + b->used;
	b->pkts[b->n].len = len;
	b->used += len;
	b->n++;
}

/*
 * Reply to a too-big packet with ICMP fragmentation-needed, sent from the
 * packet's destination (the client's address). The kernel drops a packet
 * that enters through tun with one of its own addresses as source, so the
 * tun address cannot be used.
 */
static void
tun_reject_too_big(struct netproc *np, struct session *se,
    const uint8_t *pkt, size_t len, uint32_t dst, int mtu)
{
	uint8_t icmp[576];
	size_t n;

	counter_add(&se->se_stats.drops_too_big, 1);
	counter_add(&np->stats.tun_drops_too_big, 1);
	n = packet_icmp_frag_needed(pkt, len, dst, (uint16_t)mtu, icmp,
	    sizeof(icmp));
	if (n > 0)
		tun_write(np, icmp, n);
}

/*
 * The control thread keeps every session, so it can tell a session that
 * has no tunnel from no session at all; the other workers cannot.
 */
static void
tun_drop_unrouted(struct netproc *np, uint32_t dst)
{
	struct session *se = NULL;

	if (np->sessions != NULL)
		se = session_find_addr(np->sessions, dst);
	if (se != NULL)
		counter_add(&se->se_stats.drops_no_tunnel, 1);
	else
		counter_add(&np->stats.tun_drops_no_session, 1);
}

/* The destination of the fragments of one packet. */
struct tun_fragment_target {
	struct netproc	*np;
	uint32_t	 dst;		/* host order */
};

/*
 * Sending a fragment may close the tunnel (a TLS write that fails), so
 * the route is looked up again for each one.
 */
static void
tun_send_fragment(void *arg, uint8_t *frag, size_t len)
{
	struct tun_fragment_target *to = arg;
	struct addrmap_entry *e = worker_route_find(to->np, to->dst);

	if (e != NULL && e->tunnel != NULL)
		tunnel_send_packet(e->tunnel, frag, len);
}

/*
 * A packet that allows fragmentation is cut to the client's data MTU, as
 * a router on the path would. The kernel does not, because the device's
 * MTU (tun.mtu) caps every client's data MTU, so it is never smaller.
 */
static void
tun_fragment(struct netproc *np, uint32_t dst, struct session *se,
    const uint8_t *pkt, size_t len, int mtu)
{
	static __thread uint8_t frag[65536];
	struct tun_fragment_target to = { np, dst };

	if (ipfrag_split(pkt, len, (size_t)mtu, frag, sizeof(frag),
	    tun_send_fragment, &to) > 0) {
		counter_add(&np->stats.tun_fragmented, 1);
		return;
	}
	counter_add(&se->se_stats.drops_too_big, 1);
	counter_add(&np->stats.tun_drops_too_big, 1);
}

static void
tun_forward(struct netproc *np, uint8_t *pkt, size_t len)
{
	struct addrmap_entry *e;
	struct session *se;
	uint32_t src, dst;
	int mtu;

	if (!packet_ipv4_addrs(pkt, len, &src, &dst))
		return;
	e = worker_route_find(np, ntohl(dst));
	if (e == NULL || e->tunnel == NULL) {
		tun_drop_unrouted(np, ntohl(dst));
		return;
	}
	se = tunnel_session(e->tunnel);

	/*
	 * The sender's policy was checked as the packet came in. The
	 * receiver's counts too: a group that forbids packets between
	 * clients gets none, also from a group that allows them.
	 */
	if (!tunnel_client_to_client(e->tunnel) &&
	    worker_route_find(np, ntohl(src)) != NULL) {
		counter_add(&se->se_stats.drops_client_to_client, 1);
		return;
	}
	mtu = tunnel_data_mtu(e->tunnel);
	if (len > (size_t)mtu && ipfrag_dont_fragment(pkt, len)) {
		tun_reject_too_big(np, se, pkt, len, dst, mtu);
		return;
	}
	if (len > (size_t)mtu) {
		tun_fragment(np, ntohl(dst), se, pkt, len, mtu);
		return;
	}
	packet_clamp_mss(pkt, len, (uint16_t)(mtu - 40));
	tunnel_send_packet(e->tunnel, pkt, len);
}

static void
tun_forward_segment(void *arg, uint8_t *seg, size_t len)
{
	tun_forward(arg, seg, len);
}

/*
 * The device may hand over a TCP/IPv4 packet of up to 64 KiB, as
 * tun_create allowed with TUNSETOFFLOAD, and packets whose checksum is
 * only partly computed. Both are finished here, so that a client gets
 * the segments and checksums it would have got from a router.
 */
static void
tun_receive(struct netproc *np, uint8_t *buf, size_t n)
{
	static __thread uint8_t segment[65536];
	struct gro_vnet_hdr hdr;
	uint8_t *pkt = buf + GRO_VNET_HDR_LEN;
	size_t len;
	int nseg;

	if (n <= GRO_VNET_HDR_LEN)
		return;
	len = n - GRO_VNET_HDR_LEN;
	gro_vnet_hdr_get(buf, &hdr);
	if (hdr.gso_type == GRO_GSO_TCPV4) {
		nseg = gro_split(pkt, len, &hdr, segment, sizeof(segment),
		    tun_forward_segment, np);
		if (nseg < 0)
			counter_add(&np->stats.tun_drops_offload, 1);
		else
			counter_add(&np->stats.tun_split_segments,
			    (uint64_t)nseg);
		return;
	}
	if (hdr.gso_type != GRO_GSO_NONE || ((hdr.flags & GRO_F_NEEDS_CSUM) &&
	    gro_complete_csum(pkt, len, &hdr) != 0)) {
		counter_add(&np->stats.tun_drops_offload, 1);
		return;
	}
	tun_forward(np, pkt, len);
}

/*
 * The kernel picks a queue by flow, not by client, so a read may be for
 * a tunnel of another worker. It goes there whole, before a large TCP
 * packet is cut up, so that the owner does the cutting.
 */
static bool
tun_hand_over(struct netproc *np, const uint8_t *buf, size_t n)
{
	struct addrmap_entry *e;
	uint32_t src, dst;

	/* With one worker every tunnel is local: skip the second lookup. */
	if (workers_count(np) == 1)
		return (false);
	if (n <= GRO_VNET_HDR_LEN ||
	    !packet_ipv4_addrs(buf + GRO_VNET_HDR_LEN, n - GRO_VNET_HDR_LEN,
	    &src, &dst))
		return (false);
	e = worker_route_find(np, ntohl(dst));
	if (e == NULL || e->owner == worker_index(np))
		return (false);
	worker_handover(np, e->owner, WORKER_PACKET_TUN, NULL, 0, buf, n);
	return (true);
}

void
tun_receive_handover(struct netproc *np, uint8_t *buf, size_t n)
{
	tun_receive(np, buf, n);
}

static void
tun_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netproc *np = arg;
	ssize_t n;
	int i;

	(void)events;
	dtls_cork();
	tunnel_cork();
	for (i = 0; i < TUN_READ_BATCH; i++) {
		n = read(fd, tun_buf, sizeof(tun_buf));
		if (n <= 0)
			break;
		if (!tun_hand_over(np, tun_buf, (size_t)n))
			tun_receive(np, tun_buf, (size_t)n);
	}
	tunnel_uncork();
	dtls_uncork();
	worker_kick(np);
}

int
tun_start(struct netproc *np)
{
	struct tun_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (-ENOMEM);
	np->tun_batch = b;
	b->flush = event_new(np->base, -1, 0, tun_flush_cb, np);
	evutil_make_socket_nonblocking(np->tun_fd);
	np->tun_event = event_new(np->base, np->tun_fd, EV_READ | EV_PERSIST,
	    tun_read_cb, np);
	if (np->tun_event == NULL || b->flush == NULL)
		return (-ENOMEM);
	return (event_add(np->tun_event, NULL) == 0 ? 0 : -EIO);
}
