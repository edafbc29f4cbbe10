/* The CSTP tunnel declared in tunnel.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "addrmap.h"
#include "conn.h"
#include "cstp.h"
#include "drain.h"
#include "dtls.h"
#include "evbio.h"
#include "http.h"
#include "lifecycle.h"
#include "log.h"
#include "netproc.h"
#include "packet.h"
#include "pool.h"
#include "session.h"
#include "tls.h"
#include "tun.h"
#include "tunnel.h"
#include "worker.h"

#define TUNNEL_FRAME_MAX	(CSTP_HEADER_LEN + 65535)
/*
 * Bytes of TLS records waiting for the socket. A client that stops
 * reading, or sends large DPD requests that need echoes, must not make
 * a tunnel hold more. Later packets are dropped, as a full router would.
 */
#define TUNNEL_QUEUE_BYTES_MAX	(256 * 1024)

/*
 * Control frames (TERMINATE, DPD and keepalive replies) may use this
 * much more, so that a queue full of data still takes them.
 */
#define TUNNEL_QUEUE_CONTROL_EXTRA	(16 * 1024)

/* Bytes held while corked, before they go to the socket anyway. */
#define TUNNEL_CORK_BYTES	(64 * 1024)
#define TUNNEL_MTU_MIN		576	/* RFC 791 minimum datagram size */

#define TUNNEL_IPV4_UDP		(20 + 8)

_Static_assert(SESSION_DTLS_ID_LEN == DTLS_CHANNEL_ID_LEN,
    "a session stores the DTLS channel id whole");

/* The decisions of tunnel_connect for a new tunnel. */
struct tunnel_plan {
	size_t		owner;		/* worker index */
	int		mtu;		/* data MTU */
	int		link_mtu;
	int		dpd;
	bool		client_to_client;
};

struct tunnel {
	struct netproc	*t_np;		/* of the owning worker */
	struct session	*t_session;
	uint64_t	t_id;		/* unique in the process */
	SSL		*t_ssl;
	int		t_fd;
	char		t_peer[SESSION_PEER_MAX];
	struct event	*t_read;
	struct event	*t_read_more;	/* records left after a full turn */
	struct event	*t_write;
	struct event	*t_timer;
	uint8_t		*t_partial;	/* a frame split across reads */
	size_t		t_partial_len;
	/* TLS records not yet written to the socket (evbio.h). */
	struct evbuffer	*t_out;
	bool		t_out_held;	/* in tunnel_held, for the uncork */
	LIST_ENTRY(tunnel) t_held_entry;
	time_t		t_last_rx;
	int		t_data_mtu;
	int		t_dpd;
	struct dtls_channel *t_dtls;	/* NULL without DTLS */
	bool		t_client_to_client;	/* the policy allows it */
	uint8_t		*t_reply;	/* CONNECT reply, until sent */
	size_t		t_reply_len;
};

/*
 * Records read per wakeup, as the DTLS and tun paths read at most 64
 * packets: one client that sends without pause must not hold up the
 * other tunnels of its worker.
 */
#define TUNNEL_READS_PER_WAKEUP	64

/* One read or one frame at a time on each worker thread. */
static __thread uint8_t tunnel_scratch[TUNNEL_FRAME_MAX];

/*
 * Per thread: between tunnel_cork and tunnel_uncork, the tunnels with
 * records to write. tunnel_uncork writes each with one writev().
 */
static __thread bool tunnel_corked;
static __thread LIST_HEAD(, tunnel) tunnel_held;

/* Numbers tunnels on the control thread, the only one that makes them. */
static uint64_t tunnel_last_id;

static void	tunnel_read_cb(evutil_socket_t fd, short events, void *arg);
static void	tunnel_write_cb(evutil_socket_t fd, short events, void *arg);
static void	tunnel_timer_cb(evutil_socket_t fd, short events, void *arg);

struct session *
tunnel_session(const struct tunnel *t)
{
	return (t->t_session);
}

const char *
tunnel_peer(const struct tunnel *t)
{
	return (t->t_peer);
}

int
tunnel_data_mtu(const struct tunnel *t)
{
	return (t->t_data_mtu);
}

bool
tunnel_client_to_client(const struct tunnel *t)
{
	return (t->t_client_to_client);
}

/*
 * Write close_notify behind the queued records and hand the socket to a
 * drain, which writes what the socket could not take yet and closes it
 * once the client has closed too. So the client gets no record cut short
 * and no reset.
 */
static void
tunnel_shutdown(struct tunnel *t)
{
	const struct session *se = t->t_session;
	char label[DRAIN_LABEL_MAX];

	SSL_shutdown(t->t_ssl);
	SSL_free(t->t_ssl);
	t->t_ssl = NULL;
	if (t->t_out == NULL || t->t_fd < 0)
		return;
	if (evbio_flush(t->t_out, t->t_fd) != 0)
		return;

	snprintf(label, sizeof(label), "session=%llu user=%s group=%s "
	    "peer=%s", (unsigned long long)se->se_id, se->se_user,
	    se->se_group, t->t_peer);
	drain_start(t->t_np->base, t->t_fd, t->t_out, label);
	t->t_fd = -1;
	t->t_out = NULL;
}

static void
tunnel_free(struct tunnel *t)
{
	dtls_channel_free(t->t_dtls);
	if (t->t_out_held)
		LIST_REMOVE(t, t_held_entry);
	if (t->t_read != NULL)
		event_free(t->t_read);
	if (t->t_read_more != NULL)
		event_free(t->t_read_more);
	if (t->t_write != NULL)
		event_free(t->t_write);
	if (t->t_timer != NULL)
		event_free(t->t_timer);
	if (t->t_ssl != NULL)
		tunnel_shutdown(t);
	if (t->t_out != NULL)
		evbuffer_free(t->t_out);
	if (t->t_fd >= 0)
		close(t->t_fd);
	free(t->t_partial);
	free(t->t_reply);
	free(t);
}

/*
 * Free the tunnel on its worker and report it to the control thread,
 * which detaches the session, or ends it when the client logged out.
 */
static void
tunnel_end(struct tunnel *t, const char *reason, bool logout)
{
	struct session *se = t->t_session;
	struct netproc *np = t->t_np;
	struct addrmap_entry *e = worker_route_find(np, se->se_addr);
	uint64_t id = t->t_id;

	session_log_peer(se, t->t_peer, LOG_INFO, "tunnel closed: %s", reason);
	if (e != NULL && e->tunnel == t)
		e->tunnel = NULL;
	tunnel_free(t);

	/*
	 * The shutdown of a broken connection queues an error, which the
	 * thread's next SSL call of another session would take as its own.
	 */
	ERR_clear_error();
	worker_tunnel_gone(np, se, id, logout);
}

void
tunnel_close(struct tunnel *t, const char *reason)
{
	tunnel_end(t, reason, false);
}

void
tunnel_logout(struct tunnel *t, const char *reason)
{
	tunnel_end(t, reason, true);
}

/*
 * Write the held records to the socket. What it cannot take waits for
 * EV_WRITE. Returns -EPIPE when a failed write closed and freed t.
 */
static int
tunnel_push(struct tunnel *t)
{
	char reason[128];
	int rc;

	if ((rc = evbio_flush(t->t_out, t->t_fd)) != 0) {
		/* Usually the client's reset: "Connection reset by peer". */
		snprintf(reason, sizeof(reason), "TLS write failed: %s",
		    strerror(-rc));
		tunnel_close(t, reason);
		return (-EPIPE);
	}
	if (evbuffer_get_length(t->t_out) > 0)
		event_add(t->t_write, NULL);
	else
		event_del(t->t_write);
	return (0);
}

/*
 * Write the held records now, or at tunnel_uncork while corked. A cork
 * may last for dozens of 64 KiB reads from the tun device, so once
 * TUNNEL_CORK_BYTES wait, they go to the socket anyway. Otherwise the
 * queue limit would count bytes that the socket had room for.
 */
static int
tunnel_push_soon(struct tunnel *t)
{
	if (!tunnel_corked ||
	    evbuffer_get_length(t->t_out) >= TUNNEL_CORK_BYTES)
		return (tunnel_push(t));
	if (!t->t_out_held) {
		LIST_INSERT_HEAD(&tunnel_held, t, t_held_entry);
		t->t_out_held = true;
	}
	return (0);
}

/*
 * Send bytes as one TLS record, behind the records held before. Returns
 * -ENOBUFS when more than limit bytes would wait for the socket (the
 * bytes are dropped), or -EPIPE when a failed write closed and freed the
 * tunnel.
 */
static int
tunnel_write(struct tunnel *t, const uint8_t *data, size_t len,
    size_t limit)
{
	if (evbuffer_get_length(t->t_out) + len > limit)
		return (-ENOBUFS);

	/*
	 * The write goes to memory, so it fails only on a libssl error or
	 * when memory runs out. DTLS on this worker may have left errors in
	 * the thread's queue.
	 */
	tls_errors_clear();
	if (SSL_write(t->t_ssl, data, (int)len) != (int)len) {
		tunnel_close(t, "TLS write failed");
		return (-EPIPE);
	}
	return (tunnel_push_soon(t));
}

void
tunnel_cork(void)
{
	tunnel_corked = true;
}

void
tunnel_uncork(void)
{
	struct tunnel *t;

	tunnel_corked = false;
	while ((t = LIST_FIRST(&tunnel_held)) != NULL) {
		LIST_REMOVE(t, t_held_entry);
		t->t_out_held = false;
		tunnel_push(t);
	}
}

static int
tunnel_send_frame(struct tunnel *t, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	/* Per thread: every worker builds frames at the same time. */
	static __thread uint8_t frame[TUNNEL_FRAME_MAX];
	size_t limit = TUNNEL_QUEUE_BYTES_MAX;
	int rc;

	if (type != CSTP_DATA)
		limit += TUNNEL_QUEUE_CONTROL_EXTRA;
	cstp_header_write(frame, type, (uint16_t)len);
	if (len > 0)	/* a DPD request may come with no payload */
		memcpy(frame + CSTP_HEADER_LEN, payload, len);
	rc = tunnel_write(t, frame, CSTP_HEADER_LEN + len, limit);

	/* The counter is of packets lost, not of DPD replies to a flood. */
	if (rc == -ENOBUFS && type == CSTP_DATA)
		counter_add(&t->t_session->se_stats.drops_queue_full, 1);
	return (rc);
}

/* Returns -EPIPE when a failed write closed and freed the tunnel. */
static int
tunnel_send_terminate(struct tunnel *t)
{
	return (tunnel_send_frame(t, CSTP_TERMINATE, (const uint8_t *)"",
	    0));
}

void
tunnel_send_packet(struct tunnel *t, const uint8_t *pkt, size_t len)
{
	struct session_stats *st = &t->t_session->se_stats;

	if (dtls_channel_send(t->t_dtls, pkt, len) == 0 ||
	    tunnel_send_frame(t, CSTP_DATA, pkt, len) == 0) {
		counter_add(&st->packets_out, 1);
		counter_add(&st->bytes_out, len);
	}
}

static void
tunnel_write_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	tunnel_push(arg);
}

bool
tunnel_input_packet(struct tunnel *t, uint8_t *pkt, size_t len)
{
	struct session *se = t->t_session;
	struct netproc *np = t->t_np;
	uint32_t src, dst;

	if (!packet_ipv4_addrs(pkt, len, &src, &dst)) {
		/* Every openconnect client sends some IPv6 of its own. */
		counter_add(len > 0 && pkt[0] >> 4 == 6 ?
		    &se->se_stats.drops_ipv6 : &se->se_stats.drops_malformed,
		    1);
		return (false);
	}
	if (ntohl(src) != se->se_addr) {
		if (counter_add(&se->se_stats.drops_spoofed, 1) == 0)
			session_log_peer(se, t->t_peer, LOG_INFO, "dropping "
			    "packets whose source is not the leased address");
		return (false);
	}
	if (!t->t_client_to_client &&
	    worker_route_find(np, ntohl(dst)) != NULL) {
		counter_add(&se->se_stats.drops_client_to_client, 1);
		return (false);
	}
	packet_clamp_mss(pkt, len, (uint16_t)(t->t_data_mtu - 40));
	counter_add(&se->se_stats.packets_in, 1);
	counter_add(&se->se_stats.bytes_in, len);
	lifecycle_mark(se, pkt, len);
	tun_write(np, pkt, len);
	return (true);
}

/*
 * Only reason 0xb0, a user's logout, ends the session. The
 * others, such as 0x91 (reconnecting), and a DISCONNECT without a reason
 * leave the session waiting for the client as after a lost connection,
 * so a client that meant to come back keeps its address. The session's
 * timers still end it if it does not.
 */
static void
tunnel_disconnect(struct tunnel *t, const uint8_t *payload, size_t len)
{
	char why[64];

	if (len > 0 && payload[0] == CSTP_DISCONNECT_USER_LOGOUT) {
		tunnel_logout(t, "logged out by the client");
		return;
	}
	if (len > 0 && payload[0] == CSTP_DISCONNECT_RECONNECTING)
		snprintf(why, sizeof(why), "client is reconnecting");
	else if (len > 0)
		snprintf(why, sizeof(why), "client disconnected with reason "
		    "0x%02x", payload[0]);
	else
		snprintf(why, sizeof(why), "client disconnected without a "
		    "reason");
	tunnel_close(t, why);
}

/* Returns 0 to go on reading, -1 when the tunnel is gone. */
static int
tunnel_handle_frame(struct tunnel *t, enum cstp_type type, uint8_t *payload,
    size_t len)
{
	t->t_last_rx = time(NULL);
	switch (type) {
	case CSTP_DATA:
		dtls_channel_cstp_data(t->t_dtls);
		tunnel_input_packet(t, payload, len);
		return (0);
	case CSTP_DPD_REQ:
		/* Clients probe the MTU with DPD: echo the same length. */
		return (tunnel_send_frame(t, CSTP_DPD_RESP, payload, len) ==
		    -EPIPE ? -1 : 0);
	case CSTP_DPD_RESP:
	case CSTP_KEEPALIVE:
		return (0);
	case CSTP_DISCONNECT:
		tunnel_disconnect(t, payload, len);
		return (-1);
	default:
		session_log_peer(t->t_session, t->t_peer, LOG_INFO,
		    "unexpected CSTP %s packet", cstp_type_name(type));
		tunnel_close(t, "protocol error");
		return (-1);
	}
}

/* Complete the split frame with the first bytes of data. */
static int
tunnel_feed_partial(struct tunnel *t, const uint8_t **data, size_t *len)
{
	enum cstp_type type;
	size_t plen, need, take;
	int rc;

	need = CSTP_HEADER_LEN;
	if (t->t_partial_len >= CSTP_HEADER_LEN) {
		rc = cstp_frame_parse(t->t_partial, t->t_partial_len, &type,
		    &plen);
		need = CSTP_HEADER_LEN + plen;
	}
	take = need - t->t_partial_len < *len ? need - t->t_partial_len : *len;
	memcpy(t->t_partial + t->t_partial_len, *data, take);
	t->t_partial_len += take;
	*data += take;
	*len -= take;
	if (t->t_partial_len < CSTP_HEADER_LEN)
		return (0);
	rc = cstp_frame_parse(t->t_partial, t->t_partial_len, &type, &plen);
	if (rc < 0) {
		tunnel_close(t, "malformed CSTP header");
		return (-1);
	}
	if (rc == 0)
		return (*len > 0 ? tunnel_feed_partial(t, data, len) : 0);
	t->t_partial_len = 0;
	return (tunnel_handle_frame(t, type, t->t_partial + CSTP_HEADER_LEN,
	    plen));
}

/* Parse the CSTP byte stream; returns -1 when the tunnel is gone. */
static int
tunnel_feed(struct tunnel *t, uint8_t *data, size_t len)
{
	enum cstp_type type;
	size_t plen;
	int rc;

	if (t->t_partial_len > 0 &&
	    tunnel_feed_partial(t, (const uint8_t **)&data, &len) != 0)
		return (-1);
	while (len > 0 && t->t_partial_len == 0) {
		rc = cstp_frame_parse(data, len, &type, &plen);
		if (rc < 0) {
			tunnel_close(t, "malformed CSTP header");
			return (-1);
		}
		if (rc == 0)
			break;
		if (tunnel_handle_frame(t, type, data + CSTP_HEADER_LEN,
		    plen) != 0)
			return (-1);
		data += rc;
		len -= (size_t)rc;
	}
	if (len == 0)
		return (0);
	if (t->t_partial == NULL &&
	    (t->t_partial = malloc(TUNNEL_FRAME_MAX)) == NULL) {
		tunnel_close(t, "out of memory");
		return (-1);
	}
	memcpy(t->t_partial + t->t_partial_len, data, len);
	t->t_partial_len += len;
	return (0);
}

static void
tunnel_read_cb(evutil_socket_t fd, short events, void *arg)
{
	static const struct timeval now = { 0, 0 };
	struct tunnel *t = arg;
	int n, err, reads = 0;

	(void)fd;
	(void)events;
	for (;;) {
		if (reads++ == TUNNEL_READS_PER_WAKEUP) {
			/* Bytes that libssl read ahead wake no poll. */
			if (SSL_has_pending(t->t_ssl))
				evtimer_add(t->t_read_more, &now);
			break;
		}
		tls_errors_clear();
		n = SSL_read(t->t_ssl, tunnel_scratch, sizeof(tunnel_scratch));
		if (n > 0) {
			if (tunnel_feed(t, tunnel_scratch, (size_t)n) != 0)
				return;
			continue;
		}
		err = SSL_get_error(t->t_ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			break;
		tunnel_close(t, err == SSL_ERROR_ZERO_RETURN ?
		    "client closed the TLS connection" :
		    "TLS connection lost");
		return;
	}
	/* Reading may have written, such as a TLS 1.3 key update. */
	if (evbuffer_get_length(t->t_out) > 0)
		tunnel_push_soon(t);
}

static void
tunnel_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct tunnel *t = arg;
	time_t silent = time(NULL) - t->t_last_rx;

	(void)fd;
	(void)events;
	if (silent >= 3 * t->t_dpd) {
		tunnel_close(t, "dead peer: nothing received for 3 DPD "
		    "intervals");
		return;
	}
	if (silent >= t->t_dpd)
		tunnel_send_frame(t, CSTP_DPD_REQ, NULL, 0);
}

/* Parse a decimal header value within [min, max]; def when absent/bad. */
static int
tunnel_header_int(const struct http_request *req, const char *name, int min,
    int max, int def)
{
	const char *v = http_request_header(req, name);
	char *end;
	long n;

	if (v == NULL)
		return (def);
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return (def);
	if (n < min)
		return (min);
	return (n > max ? max : (int)n);
}

/*
 * The data MTU, sent as both X-CSTP-MTU and X-DTLS-MTU. It is the outer
 * link MTU (the listener's, lowered to the client's X-CSTP-Base-MTU) less
 * IPv4, UDP, the DTLS record overhead of the chosen mode and the record's
 * type byte. It is never above the policy's data-mtu or the tun MTU, and
 * never below 576. Clients that send no X-CSTP-Base-MTU (phones) state
 * their tunnel MTU in X-CSTP-MTU instead, which then caps the result.
 */
static int
tunnel_compute_mtu(const struct conn *c, const struct http_request *req,
    const struct config_policy *pol, int overhead, int *link_mtu)
{
	const struct config *cfg = c->c_np->cfg;
	int link = cfg->listeners[c->c_listener].link_mtu;
	int min_link = TUNNEL_MTU_MIN + TUNNEL_IPV4_UDP + overhead + 1;
	int mtu;

	/* Nonsense values are clamped, so the data MTU fits in the link. */
	if (http_request_header(req, "X-CSTP-Base-MTU") != NULL)
		link = tunnel_header_int(req, "X-CSTP-Base-MTU",
		    min_link < link ? min_link : link, link, link);
	mtu = link - TUNNEL_IPV4_UDP - overhead - 1;
	if (http_request_header(req, "X-CSTP-Base-MTU") == NULL)
		mtu = tunnel_header_int(req, "X-CSTP-MTU", TUNNEL_MTU_MIN,
		    mtu, mtu);
	if (mtu > pol->data_mtu)
		mtu = pol->data_mtu;
	if (mtu > cfg->tun.mtu)
		mtu = cfg->tun.mtu;
	if (mtu < TUNNEL_MTU_MIN)
		mtu = TUNNEL_MTU_MIN;
	*link_mtu = link;
	return (mtu);
}

static void
tunnel_header_addr(struct evbuffer *b, const char *name, uint32_t addr)
{
	char text[INET_ADDRSTRLEN];
	struct in_addr in = { htonl(addr) };

	inet_ntop(AF_INET, &in, text, sizeof(text));
	evbuffer_add_printf(b, "%s: %s\r\n", name, text);
}

static void
tunnel_header_timer(struct evbuffer *b, const char *name, int seconds)
{
	if (seconds == CONFIG_TIMEOUT_NONE)
		evbuffer_add_printf(b, "%s: none\r\n", name);
	else
		evbuffer_add_printf(b, "%s: %d\r\n", name, seconds);
}

/*
 * The session's timers. The session timeout is the time left, so a
 * client that reconnects gets the same end time. With new-tunnel rekey
 * the client reconnects with its cookie after the rekey time. The
 * reconnect window is how long the session waits after a connection loss.
 */
static void
tunnel_header_lifetime(struct evbuffer *b, const struct session *se,
    const struct config_policy *pol)
{
	tunnel_header_timer(b, "X-CSTP-Idle-Timeout",
	    se->se_timers.idle_timeout);
	tunnel_header_timer(b, "X-CSTP-Session-Timeout",
	    lifecycle_session_left(se, time(NULL)));
	evbuffer_add_printf(b, "X-CSTP-Disconnected-Timeout: %d\r\n",
	    se->se_timers.reconnect_window);
	if (pol->rekey_time > 0)
		evbuffer_add_printf(b, "X-CSTP-Rekey-Time: %d\r\n"
		    "X-CSTP-Rekey-Method: new-tunnel\r\n", pol->rekey_time);
	else
		evbuffer_add_printf(b, "X-CSTP-Rekey-Method: none\r\n");
}

static void
tunnel_header_routes(struct evbuffer *b, const struct config_policy *pol)
{
	const char *name;
	size_t i;

	if (pol->split == SPLIT_TUNNEL_ALL) {
		evbuffer_add_printf(b, "X-CSTP-Tunnel-All-DNS: true\r\n");
		return;
	}
	evbuffer_add_printf(b, "X-CSTP-Tunnel-All-DNS: false\r\n");
	name = pol->split == SPLIT_INCLUDE ? "X-CSTP-Split-Include" :
	    "X-CSTP-Split-Exclude";
	for (i = 0; i < pol->nroutes; i++) {
		char net[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
		struct in_addr n = { htonl(pol->routes[i].network) };
		struct in_addr m = {
		    htonl(pool_prefix_mask(pol->routes[i].prefix)) };

		inet_ntop(AF_INET, &n, net, sizeof(net));
		inet_ntop(AF_INET, &m, mask, sizeof(mask));
		evbuffer_add_printf(b, "%s: %s/%s\r\n", name, net, mask);
	}
}

static void
tunnel_build_reply(struct evbuffer *b, const struct session *se,
    const struct config *cfg, int mtu, int link_mtu)
{
	const struct config_tgroup *tg = &cfg->tgroups[se->se_tgroup];
	const struct config_policy *pol = &cfg->policies[tg->policy];
	size_t i;

	evbuffer_add_printf(b, "HTTP/1.1 200 CONNECTED\r\n"
	    "X-CSTP-Version: 1\r\nX-CSTP-Server-Name: headend\r\n");
	tunnel_header_addr(b, "X-CSTP-Address", se->se_addr);
	tunnel_header_addr(b, "X-CSTP-Netmask", se->se_netmask);
	for (i = 0; i < pol->ndns; i++)
		tunnel_header_addr(b, "X-CSTP-DNS", ntohl(pol->dns[i].s_addr));
	if (pol->default_domain[0] != '\0')
		evbuffer_add_printf(b, "X-CSTP-Default-Domain: %s\r\n",
		    pol->default_domain);
	tunnel_header_routes(b, pol);
	evbuffer_add_printf(b, "X-CSTP-Keepalive: %d\r\nX-CSTP-DPD: %d\r\n",
	    pol->keepalive, pol->dpd);
	tunnel_header_lifetime(b, se, pol);
	evbuffer_add_printf(b, "X-CSTP-Keep: true\r\n"
	    "X-CSTP-MTU: %d\r\nX-CSTP-Base-MTU: %d\r\n", mtu, link_mtu);

	/*
	 * AnyConnect's policy settings: disconnect when the smartcard is
	 * removed, TCP keepalive on, and the license accepted.
	 */
	evbuffer_add_printf(b, "X-CSTP-Smartcard-Removal-Disconnect: true\r\n"
	    "X-CSTP-TCP-Keepalive: true\r\nX-CSTP-License: accept\r\n");
}

static struct tunnel *
tunnel_new(struct netproc *np, struct session *se, int dpd)
{
	struct tunnel *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->t_np = np;
	t->t_session = se;
	t->t_fd = -1;
	t->t_dpd = dpd;
	t->t_last_rx = time(NULL);
	return (t);
}

static int
tunnel_start_events(struct tunnel *t)
{
	struct timeval tv = { t->t_dpd, 0 };

	if ((t->t_out = evbuffer_new()) == NULL ||
	    evbio_attach(t->t_ssl, t->t_out) != 0)
		return (-ENOMEM);
	t->t_read = event_new(t->t_np->base, t->t_fd, EV_READ | EV_PERSIST,
	    tunnel_read_cb, t);
	t->t_read_more = evtimer_new(t->t_np->base, tunnel_read_cb, t);
	t->t_write = event_new(t->t_np->base, t->t_fd, EV_WRITE | EV_PERSIST,
	    tunnel_write_cb, t);
	if (t->t_read == NULL || t->t_read_more == NULL || t->t_write == NULL)
		return (-ENOMEM);
	event_add(t->t_read, NULL);
	if (t->t_dpd <= 0)
		return (0);
	t->t_timer = event_new(t->t_np->base, -1, EV_PERSIST,
	    tunnel_timer_cb, t);
	if (t->t_timer == NULL)
		return (-ENOMEM);
	event_add(t->t_timer, &tv);
	return (0);
}

static struct session *
tunnel_find_session(struct conn *c, const struct http_request *req)
{
	const char *hdr = http_request_header(req, "Cookie");
	char cookie[SESSION_COOKIE_TEXT + 1];
	struct session *se = NULL;

	if (strcmp(req->path, "/CSCOSSLC/tunnel") != 0) {
		conn_log(c, LOG_INFO, "CONNECT to unknown target %s",
		    req->path);
		conn_respond(c, 404, "Not Found", NULL, NULL, NULL, 0, true);
		return (NULL);
	}
	if (hdr != NULL &&
	    http_cookie_get(hdr, "webvpn", cookie, sizeof(cookie)))
		se = session_find_cookie(c->c_np->sessions, cookie, c->c_peer);
	if (se == NULL) {
		conn_log_limited(c, LOG_INFO, "CONNECT with a missing, "
		    "expired or unknown cookie");
		conn_respond(c, 401, "Cookie is not acceptable", NULL, NULL,
		    NULL, 0, true);
	}
	return (se);
}

/* Copy what the worker needs to send the reply and to start. */
static int
tunnel_prepare(struct tunnel *t, struct conn *c, struct evbuffer *reply,
    int mtu, struct dtls_channel *ch)
{
	size_t len = evbuffer_get_length(reply);

	t->t_dtls = ch;
	if ((t->t_reply = malloc(len)) == NULL ||
	    evbuffer_copyout(reply, t->t_reply, len) != (ev_ssize_t)len)
		return (-ENOMEM);
	t->t_reply_len = len;
	t->t_data_mtu = mtu;
	t->t_id = ++tunnel_last_id;
	snprintf(t->t_peer, sizeof(t->t_peer), "%s", c->c_peer);
	return (0);
}

/*
 * Make the connection the session's tunnel and hand it to worker owner,
 * which sends the reply and starts the DTLS channel ch (may be NULL).
 * From here on only the owner touches the SSL object and the socket.
 */
static void
tunnel_attach(struct conn *c, struct session *se, struct evbuffer *reply,
    const struct tunnel_plan *plan, struct dtls_channel *ch)
{
	struct netproc *np = c->c_np;
	struct tunnel *t;

	t = tunnel_new(workers_netproc(np, plan->owner), se, plan->dpd);
	if (t == NULL || tunnel_prepare(t, c, reply, plan->mtu, ch) != 0) {
		if (t != NULL)
			tunnel_free(t);
		else
			dtls_channel_free(ch);
		conn_close(c);
		return;
	}
	t->t_client_to_client = plan->client_to_client;
	snprintf(se->se_peer, sizeof(se->se_peer), "%s", c->c_peer);
	conn_detach(c, &t->t_ssl, &t->t_fd);
	SSL_clear_mode(t->t_ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);

	/*
	 * Clients send one packet per TLS record; reading ahead takes many
	 * records per read() instead of a header and a body for each one.
	 */
	SSL_set_read_ahead(t->t_ssl, 1);
	if (se->se_tunnel != NULL)
		worker_close_tunnel(se, "replaced by a new connection", false);
	session_set_dtls_id(se, NULL);
	/* Every CONNECT after the first is a reconnect, across restarts too. */
	if (se->se_connected)
		se->se_reconnects++;
	se->se_connected = true;
	se->se_worker = plan->owner;
	if (ch != NULL)
		session_set_dtls_id(se, dtls_channel_id(ch));
	session_attach(se, t, t->t_id);
	session_set_tls(se, SSL_get_version(t->t_ssl),
	    SSL_get_cipher(t->t_ssl));
	worker_route(np, se->se_addr, (int)plan->owner);
	worker_adopt(np, plan->owner, t);
}

/* Start a tunnel that the control thread handed to this worker. */
void
tunnel_adopt(struct netproc *np, struct tunnel *t)
{
	struct session *se = t->t_session;
	struct addrmap_entry *e = worker_route_find(np, se->se_addr);
	int rc;

	if (e == NULL || e->owner != worker_index(np)) {
		tunnel_close(t, "the session's address moved away");
		return;
	}
	e->tunnel = t;
	if (tunnel_start_events(t) != 0) {
		tunnel_close(t, "out of memory");
		return;
	}
	rc = tunnel_write(t, t->t_reply, t->t_reply_len,
	    TUNNEL_QUEUE_BYTES_MAX);
	if (rc == -EPIPE)
		return;
	if (rc != 0) {
		tunnel_close(t, "out of memory for the CONNECT reply");
		return;
	}
	free(t->t_reply);
	t->t_reply = NULL;
	if (t->t_dtls == NULL) {
		session_dtls_lock();
		se->se_dtls.mode = dtls_mode_name(DTLS_MODE_NONE);
		session_dtls_unlock();
	} else if (dtls_channel_start(t->t_dtls, t) != 0) {
		tunnel_close(t, "out of memory");
		return;
	}
	session_log_peer(se, t->t_peer, LOG_INFO, "tunnel up on worker %zu: "
	    "%s %s, data MTU %d, DTLS %s", worker_index(np),
	    SSL_get_version(t->t_ssl), SSL_get_cipher(t->t_ssl),
	    t->t_data_mtu, se->se_dtls.mode);
}

void
tunnel_set_policy(struct netproc *np, struct session *se, uint32_t addr,
    uint64_t id, bool client_to_client)
{
	struct addrmap_entry *e = worker_route_find(np, addr);
	struct tunnel *t = e != NULL ? e->tunnel : NULL;

	if (t != NULL && t->t_id == id && t->t_session == se)
		t->t_client_to_client = client_to_client;
}

void
tunnel_close_request(struct netproc *np, struct session *se, uint32_t addr,
    uint64_t id, const char *reason, bool terminate)
{
	struct addrmap_entry *e = worker_route_find(np, addr);
	struct tunnel *t = e != NULL ? e->tunnel : NULL;

	/* Closed already: its own report is on the way to the control. */
	if (t == NULL || t->t_id != id || t->t_session != se)
		return;
	if (terminate && tunnel_send_terminate(t) == -EPIPE)
		return;
	tunnel_close(t, reason);
}

/* Describe the request's DTLS offer and the CSTP suite for selection. */
static void
tunnel_dtls_offer(const struct conn *c, const struct http_request *req,
    struct dtls_offer *o)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(c->c_ssl);
	const EVP_MD *md;

	memset(o, 0, sizeof(*o));
	o->ciphers = http_request_header(req, "X-DTLS-CipherSuite");
	o->ciphers12 = http_request_header(req, "X-DTLS12-CipherSuite");
	o->master_secret = http_request_header(req, "X-DTLS-Master-Secret");
	o->user_agent = http_request_header(req, "User-Agent");
	if (cipher == NULL)
		return;
	o->tls_cipher = SSL_CIPHER_get_name(cipher);
	o->tls_cipher_nid = SSL_CIPHER_get_cipher_nid(cipher);
	if (!SSL_CIPHER_is_aead(cipher))
		o->tls_hash_nid = SSL_CIPHER_get_digest_nid(cipher);
	else if ((md = SSL_CIPHER_get_handshake_digest(cipher)) != NULL)
		o->tls_hash_nid = EVP_MD_get_type(md);
}

/*
 * The DTLS record overhead that the data MTU leaves room for. A tunnel
 * without DTLS has no datagram to fit: TCP cuts the TLS stream to the
 * path, so only the IPv4 and UDP allowance of the formula remains.
 */
static int
tunnel_dtls_overhead(const struct netproc *np,
    const struct dtls_choice *choice)
{
	switch (choice->mode) {
	case DTLS_MODE_PSK:
		return (dtls_psk_overhead(np->dtls, choice->psk_aead));
	case DTLS_MODE_RESUME:
	case DTLS_MODE_LEGACY:
		return (choice->suite->overhead);
	default:
		return (0);
	}
}

static struct dtls_channel *
tunnel_dtls_channel(struct conn *c, struct session *se,
    const struct dtls_offer *offer, const struct dtls_choice *choice,
    const struct config_policy *pol, const struct tunnel_plan *plan)
{
	const struct config_listener *l =
	    &c->c_np->cfg->listeners[c->c_listener];
	struct dtls_channel_params p = { .link_mtu = plan->link_mtu,
	    .data_mtu = plan->mtu, .dpd = pol->dpd,
	    .keepalive = pol->keepalive, .port = l->udp_port,
	    .phone = dtls_offer_is_phone(offer->user_agent) };
	struct netproc *owner = workers_netproc(c->c_np, plan->owner);
	struct dtls_channel *ch;

	ch = dtls_channel_new(owner->dtls, se, choice, c->c_ssl, &p);
	if (ch == NULL)
		session_log_peer(se, c->c_peer, LOG_WARNING, "no DTLS: "
		    "setting up the DTLS channel failed");
	return (ch);
}

/*
 * The worker that owns the tunnel: the one whose UDP socket gets the
 * client's datagrams. A session keeps its worker while a tunnel is up,
 * so that a replaced tunnel closes before the new one starts there.
 */
static size_t
tunnel_owner(const struct conn *c, const struct session *se)
{
	if (se->se_tunnel != NULL)
		return (se->se_worker);
	return (workers_steer(c->c_np, c->c_addr));
}

void
tunnel_connect(struct conn *c, const struct http_request *req)
{
	const struct config *cfg = c->c_np->cfg;
	const struct config_policy *pol;
	struct dtls_channel *ch = NULL;
	struct tunnel_plan plan;
	struct dtls_choice choice;
	struct dtls_offer offer;
	struct evbuffer *reply;
	struct session *se;

	if ((se = tunnel_find_session(c, req)) == NULL)
		return;
	pol = &cfg->policies[cfg->tgroups[se->se_tgroup].policy];
	lifecycle_refresh(se, pol);
	tunnel_dtls_offer(c, req, &offer);
	if (dtls_offer_select(&offer, pol->dtls, &choice) == DTLS_MODE_NONE)
		session_log_peer(se, c->c_peer, LOG_INFO, "no DTLS, the "
		    "tunnel runs on CSTP only: %s", choice.reason);
	plan.owner = tunnel_owner(c, se);
	plan.dpd = pol->dpd;
	plan.client_to_client = pol->client_to_client;
	plan.mtu = tunnel_compute_mtu(c, req, pol,
	    tunnel_dtls_overhead(c->c_np, &choice), &plan.link_mtu);
	if (choice.mode != DTLS_MODE_NONE)
		ch = tunnel_dtls_channel(c, se, &offer, &choice, pol, &plan);
	OPENSSL_cleanse(choice.master_secret, sizeof(choice.master_secret));
	if ((reply = evbuffer_new()) == NULL) {
		dtls_channel_free(ch);
		conn_close(c);
		return;
	}
	tunnel_build_reply(reply, se, cfg, plan.mtu, plan.link_mtu);
	if (ch != NULL)
		dtls_channel_reply_headers(ch, reply);
	evbuffer_add(reply, "\r\n", 2);
	tunnel_attach(c, se, reply, &plan, ch);
	evbuffer_free(reply);
}
