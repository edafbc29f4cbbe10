/*
 * The DTLS channel of one CONNECT, declared in dtls.h: which association
 * carries packets, which one is handshaking, when DTLS counts as up, and
 * what the payloads inside DTLS records mean.
 *
 * A new handshake never disturbs the established association: the client
 * may start one from a new address (or a forged ClientHello may arrive),
 * so the old association carries packets until the new one is up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cstp.h"
#include "dtls_impl.h"
#include "netproc.h"
#include "packet.h"
#include "session.h"
#include "tunnel.h"

/* The TLS exporter label and length of PSK-NEGOTIATE (openconnect). */
#define DTLS_PSK_LABEL		"EXPORTER-openconnect-psk"

/*
 * Handshakes a session may start in a burst, and seconds per further
 * one, so a client (or a forger) that keeps failing costs little CPU.
 */
#define DTLS_HELLO_BURST	5
#define DTLS_HELLO_REFILL	2

/* Failed handshakes logged per channel; later ones are only counted. */
#define DTLS_FAILURES_LOGGED	5

/* Seconds after CONNECT to check DTLS when no DPD or keepalive is set. */
#define DTLS_NOTICE_DEFAULT	30

static void	dtls_channel_tick_cb(evutil_socket_t fd, short events,
		    void *arg);
static void	dtls_channel_notice_cb(evutil_socket_t fd, short events,
		    void *arg);
static int	dtls_channel_dead_after(const struct dtls_channel *ch);
static int	dtls_channel_notice_after(const struct dtls_channel *ch);

static struct netproc *
dtls_channel_np(const struct dtls_channel *ch)
{
	return (ch->ch_dtls->d_np);
}

static int
dtls_channel_derive_psk(struct dtls_channel *ch, SSL *tls)
{
	/* use_context 0: "no context", which differs from an empty one. */
	if (SSL_export_keying_material(tls, ch->ch_key, DTLS_PSK_LEN,
	    DTLS_PSK_LABEL, strlen(DTLS_PSK_LABEL), NULL, 0, 0) != 1)
		return (-EIO);
	return (0);
}

/* Note the client address of the TLS connection, if it can be had. */
static void
dtls_channel_note_tls_peer(struct dtls_channel *ch, SSL *tls)
{
	struct dtls_peer *p = &ch->ch_tls_peer;
	int fd = tls != NULL ? SSL_get_fd(tls) : -1;

	p->len = sizeof(p->ss);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&p->ss,
	    &p->len) != 0)
		p->len = 0;
}

struct dtls_channel *
dtls_channel_new(struct dtls *d, struct session *se,
    const struct dtls_choice *choice, SSL *tls,
    const struct dtls_channel_params *params)
{
	struct dtls_channel *ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return (NULL);
	ch->ch_dtls = d;
	ch->ch_session = se;
	ch->ch_mode = choice->mode;
	ch->ch_suite = choice->suite;
	ch->ch_params = *params;
	ch->ch_hellos.tokens = DTLS_HELLO_BURST;
	ch->ch_hellos.at = time(NULL);
	ch->ch_hellos_elsewhere = ch->ch_hellos;
	dtls_channel_note_tls_peer(ch, tls);
	if (RAND_bytes(ch->ch_id, DTLS_ID_LEN) != 1)
		goto fail;
	if (ch->ch_mode == DTLS_MODE_PSK) {
		if (dtls_channel_derive_psk(ch, tls) != 0)
			goto fail;
	} else {
		memcpy(ch->ch_key, choice->master_secret, sizeof(ch->ch_key));
	}
	return (ch);
fail:
	dtls_channel_free(ch);
	return (NULL);
}

const uint8_t *
dtls_channel_id(const struct dtls_channel *ch)
{
	return (ch->ch_id);
}

void
dtls_channel_reply_headers(const struct dtls_channel *ch, struct evbuffer *b)
{
	const struct dtls_channel_params *p = &ch->ch_params;
	char id[2 * DTLS_ID_LEN + 1];
	size_t i;

	for (i = 0; i < DTLS_ID_LEN; i++)
		snprintf(id + 2 * i, 3, "%02X", ch->ch_id[i]);
	if (ch->ch_mode == DTLS_MODE_PSK)
		evbuffer_add_printf(b, "X-DTLS-App-ID: %s\r\n"
		    "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", id);
	else
		evbuffer_add_printf(b, "X-DTLS-Session-ID: %s\r\n%s: %s\r\n",
		    id, ch->ch_suite->header == DTLS_HEADER_DTLS12 ?
		    "X-DTLS12-CipherSuite" : "X-DTLS-CipherSuite",
		    ch->ch_suite->name);
	evbuffer_add_printf(b, "X-DTLS-Port: %u\r\nX-DTLS-DPD: %d\r\n"
	    "X-DTLS-Keepalive: %d\r\nX-DTLS-MTU: %d\r\n", p->port, p->dpd,
	    p->keepalive, p->data_mtu);
}

int
dtls_channel_start(struct dtls_channel *ch, struct tunnel *t)
{
	struct session_dtls *sd = &ch->ch_session->se_dtls;
	struct timeval notice = { dtls_channel_notice_after(ch), 0 };

	/* On the owner's thread: the timers belong to the owner's loop. */
	ch->ch_tick = event_new(ch->ch_dtls->d_np->base, -1, EV_PERSIST,
	    dtls_channel_tick_cb, ch);
	ch->ch_notice = evtimer_new(ch->ch_dtls->d_np->base,
	    dtls_channel_notice_cb, ch);
	if (ch->ch_tick == NULL || ch->ch_notice == NULL ||
	    evtimer_add(ch->ch_notice, &notice) != 0)
		return (-ENOMEM);
	ch->ch_tunnel = t;
	dtls_id_insert(ch->ch_dtls, ch);
	ch->ch_registered = true;
	session_dtls_lock();
	sd->mode = dtls_mode_name(ch->ch_mode);
	sd->version[0] = sd->cipher[0] = sd->peer[0] = '\0';
	session_dtls_unlock();
	return (0);
}

/* The session shows DTLS down; it showed up or down before. */
static void
dtls_channel_show_down(struct dtls_channel *ch)
{
	struct session_dtls *sd = &ch->ch_session->se_dtls;

	session_dtls_lock();
	if (sd->state == SESSION_DTLS_UP)
		sd->state = SESSION_DTLS_DOWN;
	session_dtls_unlock();
}

void
dtls_channel_free(struct dtls_channel *ch)
{
	if (ch == NULL)
		return;
	if (ch->ch_registered)
		dtls_id_remove(ch->ch_dtls, ch);
	if (ch->ch_pend != NULL)
		dtls_assoc_free(ch->ch_pend);
	if (ch->ch_cur != NULL)
		dtls_assoc_free(ch->ch_cur);
	if (ch->ch_tick != NULL)
		event_free(ch->ch_tick);
	if (ch->ch_notice != NULL)
		event_free(ch->ch_notice);
	dtls_channel_show_down(ch);
	OPENSSL_cleanse(ch->ch_key, sizeof(ch->ch_key));
	free(ch);
}

/* ---- up and down ---- */

/* The TCP peer of the channel's tunnel, or NULL before it starts. */
static const char *
dtls_channel_peer(const struct dtls_channel *ch)
{
	return (ch->ch_tunnel != NULL ? tunnel_peer(ch->ch_tunnel) : NULL);
}

static void
dtls_channel_deactivate(struct dtls_channel *ch, const char *why)
{
	if (!ch->ch_active)
		return;
	ch->ch_active = false;
	dtls_channel_show_down(ch);
	session_log_peer(ch->ch_session, dtls_channel_peer(ch), LOG_INFO,
	    "DTLS is down (%s); sending on CSTP until the client uses DTLS "
	    "again", why);
}

static void
dtls_channel_activate(struct dtls_channel *ch)
{
	ch->ch_active = true;
	session_dtls_lock();
	ch->ch_session->se_dtls.state = SESSION_DTLS_UP;
	session_dtls_unlock();
}

/* Make a the carrying association, replacing the previous one. */
static void
dtls_channel_promote(struct dtls_channel *ch, struct dtls_assoc *a)
{
	struct session_dtls *sd = &ch->ch_session->se_dtls;
	struct timeval tick = { 1, 0 };

	if (ch->ch_pend == a)
		ch->ch_pend = NULL;
	if (ch->ch_cur != NULL && ch->ch_cur != a)
		dtls_assoc_free(ch->ch_cur);
	ch->ch_cur = a;
	dtls_ip_insert(ch->ch_dtls, a);
	ch->ch_last_rx = ch->ch_last_dpd = time(NULL);
	dtls_channel_activate(ch);
	session_dtls_lock();
	dtls_assoc_describe(a, sd->version, sizeof(sd->version), sd->cipher,
	    sizeof(sd->cipher));
	dtls_peer_format(&a->a_peer, sd->peer, sizeof(sd->peer));
	session_dtls_unlock();
	counter_add(&dtls_channel_np(ch)->stats.dtls_handshakes, 1);
	evtimer_add(ch->ch_tick, &tick);
	session_log_peer(ch->ch_session, dtls_channel_peer(ch), LOG_INFO,
	    "DTLS up: %s %s (%s) with %s", sd->version, sd->cipher, sd->mode,
	    sd->peer);
}

/* Forget an association: a failed handshake or a closed channel. */
static void
dtls_channel_drop(struct dtls_channel *ch, struct dtls_assoc *a,
    const char *why)
{
	if (ch->ch_pend == a) {
		ch->ch_pend = NULL;
	} else if (ch->ch_cur == a) {
		ch->ch_cur = NULL;
		dtls_channel_deactivate(ch, why);
		evtimer_del(ch->ch_tick);
	}
	dtls_assoc_free(a);
}

void
dtls_channel_handshake_failed(struct dtls_channel *ch, struct dtls_assoc *a,
    const char *why)
{
	char peer[SESSION_PEER_MAX];

	counter_add(&dtls_channel_np(ch)->stats.dtls_handshake_failures, 1);
	if (ch->ch_failures_logged < DTLS_FAILURES_LOGGED) {
		dtls_peer_format(&a->a_peer, peer, sizeof(peer));
		session_log_peer(ch->ch_session, dtls_channel_peer(ch),
		    LOG_INFO, "DTLS handshake with %s failed: %s%s", peer,
		    why,
		    ++ch->ch_failures_logged == DTLS_FAILURES_LOGGED ?
		    "; further failures are only counted" : "");
	}
	dtls_channel_drop(ch, a, why);
}

/*
 * Act on what one datagram did to association a. A logout ends the
 * tunnel and frees ch, so callers must not touch ch or a after it.
 */
static void
dtls_channel_after_input(struct dtls_channel *ch, struct dtls_assoc *a,
    enum dtls_input r)
{
	if (a->a_dead && ch->ch_logout && ch->ch_tunnel != NULL) {
		tunnel_logout(ch->ch_tunnel,
		    "logged out by the client over DTLS");
		return;
	}
	if (a->a_dead) {
		dtls_channel_drop(ch, a, "the client sent DISCONNECT");
		return;
	}
	switch (r) {
	case DTLS_INPUT_ESTABLISHED:
		dtls_channel_promote(ch, a);
		break;
	case DTLS_INPUT_CLOSED:
		dtls_channel_drop(ch, a, "the client closed it");
		break;
	case DTLS_INPUT_FAILED:
		if (a == ch->ch_pend)
			dtls_channel_handshake_failed(ch, a,
			    "protocol error");
		else
			dtls_channel_drop(ch, a, "protocol error");
		break;
	default:
		break;
	}
}

static void
dtls_channel_feed(struct dtls_channel *ch, struct dtls_assoc *a,
    struct dtls_socket *s, const struct dtls_peer *from,
    const uint8_t *dgram, size_t len)
{
	dtls_channel_after_input(ch, a, dtls_assoc_input(a, s, from, dgram,
	    len));
}

/* ---- input from the router ---- */

static bool
dtls_channel_version_fits(const struct dtls_channel *ch, uint16_t version)
{
	if (ch->ch_mode == DTLS_MODE_LEGACY)
		return (version == DTLS_WIRE_VERSION_LEGACY);

	/* DTLS 1.2 clients may send their first record as DTLS 1.0. */
	return (version == DTLS_WIRE_VERSION_1_0 ||
	    version == DTLS_WIRE_VERSION_1_2);
}

static bool
dtls_hello_take_token(struct dtls_hello_bucket *b)
{
	time_t now = time(NULL);
	long earned = (long)(now - b->at) / DTLS_HELLO_REFILL;

	if (earned > 0) {
		b->tokens += (int)(earned > DTLS_HELLO_BURST ?
		    DTLS_HELLO_BURST : earned);
		if (b->tokens > DTLS_HELLO_BURST)
			b->tokens = DTLS_HELLO_BURST;
		b->at = now;
	}
	if (b->tokens == 0)
		return (false);
	b->tokens--;
	return (true);
}

/* Whether from is another address than the TLS connection's client. */
static bool
dtls_channel_elsewhere(const struct dtls_channel *ch,
    const struct dtls_peer *from)
{
	return (ch->ch_tls_peer.len > 0 &&
	    !dtls_peer_same_ip(&ch->ch_tls_peer, from));
}

/*
 * Take a token for a new handshake from from. A hello from elsewhere
 * never replaces a handshake that the client's own address started.
 */
static bool
dtls_channel_may_handshake(struct dtls_channel *ch,
    const struct dtls_peer *from)
{
	bool elsewhere = dtls_channel_elsewhere(ch, from);

	if (elsewhere && ch->ch_pend != NULL &&
	    !dtls_channel_elsewhere(ch, &ch->ch_pend->a_peer))
		return (false);
	return (dtls_hello_take_token(elsewhere ? &ch->ch_hellos_elsewhere :
	    &ch->ch_hellos));
}

/* A ClientHello that starts a handshake: a new association. */
static void
dtls_channel_new_handshake(struct dtls_channel *ch, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_assoc *a;

	ch->ch_hello_seen = true;
	if (!dtls_channel_may_handshake(ch, from)) {
		counter_add(
		    &dtls_channel_np(ch)->stats.dtls_hellos_rate_limited, 1);
		return;
	}
	if (ch->ch_pend != NULL) {
		counter_add(&dtls_channel_np(ch)->stats.
		    dtls_handshakes_superseded, 1);
		dtls_channel_drop(ch, ch->ch_pend, "superseded");
	}
	if ((a = dtls_assoc_new(ch, s, from)) == NULL)
		return;
	ch->ch_pend = a;
	dtls_channel_feed(ch, a, s, from, dgram, len);
}

/*
 * Offer a ClientHello to the association at its address: the handshaking
 * one, or an established legacy one. Returns true when it took the hello
 * as a retransmission. Only dtls_legacy can tell a new hello (the client
 * started over) from a late copy, so an established libssl association
 * is never offered one.
 */
static bool
dtls_channel_hello_known(struct dtls_channel *ch, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_assoc *a = NULL;
	enum dtls_input r;

	if (ch->ch_pend != NULL && dtls_peer_equal(&ch->ch_pend->a_peer, from))
		a = ch->ch_pend;
	else if (ch->ch_cur != NULL && ch->ch_cur->a_kind ==
	    DTLS_ASSOC_LEGACY && dtls_peer_equal(&ch->ch_cur->a_peer, from))
		a = ch->ch_cur;
	if (a == NULL)
		return (false);
	r = dtls_assoc_input(a, s, from, dgram, len);
	if (r == DTLS_INPUT_NEW_HELLO)
		return (false);
	dtls_channel_after_input(ch, a, r);
	return (true);
}

void
dtls_channel_hello(struct dtls_channel *ch, struct dtls_socket *s,
    const struct dtls_peer *from, const struct dtls_wire_hello *hello,
    const uint8_t *dgram, size_t len)
{
	if (!dtls_channel_version_fits(ch, hello->version)) {
		ch->ch_hello_wrong_version = true;
		counter_add(
		    &dtls_channel_np(ch)->stats.dtls_drops_malformed, 1);
		return;
	}
	if (dtls_channel_hello_known(ch, s, from, dgram, len))
		return;
	dtls_channel_new_handshake(ch, s, from, dgram, len);
}

/*
 * Feed a datagram from an address one of the channel's associations has.
 * Returns false when nothing in it was for the channel, so that another
 * session that the same address belongs to may try it.
 */
bool
dtls_channel_record(struct dtls_channel *ch, struct dtls_socket *s,
    const struct dtls_peer *from, const struct dtls_wire_record *rec,
    const uint8_t *dgram, size_t len)
{
	struct dtls_assoc *pend = ch->ch_pend, *cur = ch->ch_cur;
	bool at_pend = pend != NULL && dtls_peer_equal(&pend->a_peer, from);
	bool at_cur = cur != NULL && dtls_peer_equal(&cur->a_peer, from);
	bool handshake = rec->type == DTLS_WIRE_HANDSHAKE ||
	    rec->type == DTLS_WIRE_CHANGE_CIPHER_SPEC;
	struct dtls_assoc *a;
	enum dtls_input r;

	/*
	 * Both may share the address when the client starts over from the
	 * same port: handshake records go to the new association, the rest
	 * to the established one.
	 */
	if (at_pend && (handshake || !at_cur))
		a = pend;
	else if (at_cur)
		a = cur;
	else
		return (false);
	r = dtls_assoc_input(a, s, from, dgram, len);
	dtls_channel_after_input(ch, a, r);
	return (r != DTLS_INPUT_DROPPED);
}

bool
dtls_channel_try_rebind(struct dtls_channel *ch, struct dtls_socket *s,
    const struct dtls_peer *from, const uint8_t *dgram, size_t len)
{
	struct dtls_assoc *a = ch->ch_cur;
	enum dtls_input r;
	bool moved;

	if (a == NULL || !a->a_up)
		return (false);
	r = dtls_assoc_input(a, s, from, dgram, len);
	moved = dtls_peer_equal(&a->a_peer, from);

	/* Unauthenticated input changes nothing, unless libssl broke. */
	if (moved || r == DTLS_INPUT_FAILED)
		dtls_channel_after_input(ch, a, r);
	return (moved);
}

/* ---- records that authenticated ---- */

/* Adopt the new source address of a client behind a NAT that moved. */
static void
dtls_channel_rebind(struct dtls_channel *ch, struct dtls_assoc *a,
    struct dtls_socket *s, const struct dtls_peer *from)
{
	struct dtls *d = ch->ch_dtls;
	struct session_dtls *sd = &ch->ch_session->se_dtls;
	char old[SESSION_PEER_MAX];

	dtls_peer_format(&a->a_peer, old, sizeof(old));
	dtls_addr_remove(d, a);
	dtls_ip_remove(d, a);
	a->a_peer = *from;
	a->a_sock = s;
	dtls_addr_insert(d, a);
	if (a == ch->ch_cur) {
		dtls_ip_insert(d, a);
		session_dtls_lock();
		dtls_peer_format(from, sd->peer, sizeof(sd->peer));
		session_dtls_unlock();
	}
	counter_add(&d->d_np->stats.dtls_rebindings, 1);
	session_log_peer(ch->ch_session, dtls_channel_peer(ch), LOG_INFO,
	    "DTLS peer moved from %s to %s", old, sd->peer);
}

void
dtls_channel_authenticated(struct dtls_channel *ch, struct dtls_assoc *a,
    struct dtls_socket *s, const struct dtls_peer *from)
{
	ch->ch_last_rx = time(NULL);
	if (!dtls_peer_equal(&a->a_peer, from))
		dtls_channel_rebind(ch, a, s, from);
	if (a == ch->ch_cur && !ch->ch_active &&
	    ch->ch_last_rx - ch->ch_send_failed >= ch->ch_send_hold) {
		dtls_channel_activate(ch);
		session_log_peer(ch->ch_session, dtls_channel_peer(ch),
		    LOG_INFO, "DTLS carries packets again");
	}
}

/* Echo a DPD request with its own length: clients probe the MTU so. */
static void
dtls_channel_echo_dpd(struct dtls_assoc *a, const uint8_t *payload,
    size_t len)
{
	if (dtls_assoc_send(a, DTLS_PKT_DPD_RESP, payload, len, 0) ==
	    -EMSGSIZE)
		dtls_assoc_send(a, DTLS_PKT_DPD_RESP, NULL, 0, 0);
}

void
dtls_channel_payload(struct dtls_channel *ch, struct dtls_assoc *a,
    uint8_t *data, size_t len)
{
	struct session_stats *st = &ch->ch_session->se_stats;

	if (len == 0)
		return;
	switch (data[0]) {
	case DTLS_PKT_DATA:
		/* Count only what the tunnel accepts, as CSTP does. */
		if (ch->ch_tunnel != NULL &&
		    tunnel_input_packet(ch->ch_tunnel, data + 1, len - 1)) {
			counter_add(&st->dtls_packets_in, 1);
			counter_add(&st->dtls_bytes_in, len - 1);
		}
		break;
	case DTLS_PKT_DPD_REQ:
		dtls_channel_echo_dpd(a, data + 1, len - 1);
		break;
	case DTLS_PKT_DPD_RESP:
	case DTLS_PKT_KEEPALIVE:
		break;
	case DTLS_PKT_DISCONNECT:
		/* Reason 0xb0 is a logout, as on CSTP. Others end only DTLS. */
		a->a_dead = true;
		ch->ch_logout = len > 1 &&
		    data[1] == CSTP_DISCONNECT_USER_LOGOUT;
		break;
	default:
		/* Compressed (never agreed) and unknown types. */
		counter_add(&st->drops_malformed, 1);
		break;
	}
}

/* ---- output and liveness ---- */

int
dtls_channel_send(struct dtls_channel *ch, const uint8_t *pkt, size_t len)
{
	struct session_stats *st;
	int rc;

	if (ch == NULL || !ch->ch_active || ch->ch_cur == NULL)
		return (-ENOTCONN);

	/* Copy the DSCP, so voice marked EF stays EF across the network. */
	rc = dtls_assoc_send(ch->ch_cur, DTLS_PKT_DATA, pkt, len,
	    packet_ipv4_dscp(pkt, len) << 2);
	if (rc == 0) {
		st = &ch->ch_session->se_stats;
		counter_add(&st->dtls_packets_out, 1);
		counter_add(&st->dtls_bytes_out, len);
	} else if (rc != -EMSGSIZE) {
		dtls_channel_send_failed(ch, rc);
	}
	return (rc);
}

void
dtls_channel_send_failed(struct dtls_channel *ch, int rc)
{
	time_t now = time(NULL);
	char why[96];

	/* Such errors (a firewall, a route gone) tend to last a while. */
	if (ch->ch_send_failed != 0 &&
	    now - ch->ch_send_failed < 2 * ch->ch_send_hold)
		ch->ch_send_hold = ch->ch_send_hold * 2 > DTLS_SEND_RETRY_MAX ?
		    DTLS_SEND_RETRY_MAX : ch->ch_send_hold * 2;
	else
		ch->ch_send_hold = DTLS_SEND_RETRY;
	ch->ch_send_failed = now;
	snprintf(why, sizeof(why), "sending failed: %s; DTLS stays off for "
	    "at least %d s", strerror(-rc), ch->ch_send_hold);
	dtls_channel_deactivate(ch, why);
}

void
dtls_channel_cstp_data(struct dtls_channel *ch)
{
	if (ch != NULL)
		dtls_channel_deactivate(ch, "the client sends on CSTP");
}

/*
 * Seconds without an authenticated record before DTLS counts as dead.
 * With DPD it is two DPD intervals, because the client replies to our
 * DPD requests. Without DPD it is three keepalive intervals, and without
 * either, DTLS never times out.
 */
static int
dtls_channel_dead_after(const struct dtls_channel *ch)
{
	const struct dtls_channel_params *p = &ch->ch_params;

	if (p->dpd > 0)
		return (2 * p->dpd + 1);
	return (3 * p->keepalive);
}

static int
dtls_channel_notice_after(const struct dtls_channel *ch)
{
	int after = dtls_channel_dead_after(ch);

	/* Without DPD and keepalive, DTLS never counts as down. */
	return (after > 0 ? after : DTLS_NOTICE_DEFAULT);
}

/*
 * Log once that DTLS did not come up within the time that ends it after
 * a silence. Otherwise a session whose UDP is blocked runs on TLS alone
 * without a word in the log, and voice suffers from TCP's retransmits.
 */
static void
dtls_channel_notice_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_channel *ch = arg;
	int after = dtls_channel_notice_after(ch), port = ch->ch_params.port;
	bool never;

	(void)fd;
	(void)events;
	event_free(ch->ch_notice);
	ch->ch_notice = NULL;
	session_dtls_lock();
	never = ch->ch_session->se_dtls.state == SESSION_DTLS_NEVER;
	session_dtls_unlock();
	if (!never)
		return;

	if (ch->ch_params.phone)
		port = DTLS_OFFER_PHONE_PORT;
	if (!ch->ch_hello_seen && ch->ch_hello_wrong_version)
		session_log_peer(ch->ch_session, dtls_channel_peer(ch),
		    LOG_INFO, "DTLS did not come up within %d seconds of "
		    "CONNECT: the client's handshakes had another DTLS "
		    "version than the one its CONNECT chose, and were dropped "
		    "(handshakes.dtls.drops.malformed in show stats), so the "
		    "tunnel runs on TLS only", after);
	else if (!ch->ch_hello_seen)
		session_log_peer(ch->ch_session, dtls_channel_peer(ch),
		    LOG_INFO, "no DTLS handshake from the client within %d "
		    "seconds of CONNECT, so the tunnel runs on TLS only: its "
		    "UDP datagrams to port %d do not arrive; allow UDP port "
		    "%d from clients to the headend", after, port, port);
	else
		session_log_peer(ch->ch_session, dtls_channel_peer(ch),
		    LOG_INFO, "DTLS did not come up within %d seconds of "
		    "CONNECT although the client sent handshakes, so the "
		    "tunnel runs on TLS only: see the handshake failures "
		    "logged before, and handshakes.dtls.drops.send_error in "
		    "show stats when replies could not be sent; allow UDP "
		    "port %d both ways", after, port);
}

static void
dtls_channel_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dtls_channel *ch = arg;
	int dpd = ch->ch_params.dpd, dead = dtls_channel_dead_after(ch);
	time_t now = time(NULL), silent = now - ch->ch_last_rx;
	char why[64];
	int rc;

	(void)fd;
	(void)events;
	if (!ch->ch_active || ch->ch_cur == NULL)
		return;
	if (dead > 0 && silent >= dead) {
		snprintf(why, sizeof(why), "nothing received for %lld "
		    "seconds", (long long)silent);
		dtls_channel_deactivate(ch, why);
		return;
	}
	if (dpd <= 0 || silent < dpd ||
	    now - ch->ch_last_dpd < (dpd > 1 ? dpd / 2 : 1))
		return;
	ch->ch_last_dpd = now;
	rc = dtls_assoc_send(ch->ch_cur, DTLS_PKT_DPD_REQ, NULL, 0, 0);
	if (rc != 0) {
		snprintf(why, sizeof(why), "sending DPD failed: %s",
		    strerror(-rc));
		dtls_channel_deactivate(ch, why);
	}
}
