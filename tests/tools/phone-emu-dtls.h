/*
 * The DTLS client of phone-emu: a UDP socket and an OpenSSL DTLS client
 * that resumes a session made by hand from the CONNECT exchange, then
 * carries one packet per record behind a 1-byte type (the CSTP type
 * values). It is a header of static functions because the Makefile
 * builds each C file in tests/tools as a tool of its own, and only
 * phone-emu.c includes it.
 *
 * Cisco's pre-standard DTLS (version 0x0100, OpenSSL's DTLS1_BAD_VER)
 * and DTLS 1.2 resumption use the same recipe. The session's master
 * secret is the one sent in X-DTLS-Master-Secret, and its id is the
 * server's X-DTLS-Session-ID. Its cipher is the one the caller chooses,
 * which for a phone is its TLS suite. OpenSSL then sends a ClientHello
 * that requests to resume exactly that session.
 */
#ifndef PHONE_EMU_DTLS_H
#define PHONE_EMU_DTLS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cstp.h"

#define EMU_DTLS_SECRET_LEN	48
#define EMU_DTLS_ID_LEN		32
/* Largest datagram on a 1500-byte Ethernet path: less IPv4 and UDP. */
#define EMU_DTLS_LINK_MTU	(1500 - 20 - 8)

/* What the handshake needs, taken from the CONNECT request and reply. */
struct emu_dtls_params {
	struct in_addr	addr;		/* the server */
	uint16_t	port;		/* UDP */
	int		version;	/* DTLS1_BAD_VER or DTLS1_2_VERSION */
	uint16_t	session_cipher;	/* IANA id of the resumed suite */
	const char	*offer;		/* OpenSSL list for the ClientHello */
	uint8_t		secret[EMU_DTLS_SECRET_LEN];
	uint8_t		session_id[EMU_DTLS_ID_LEN];
	int		timeout_ms;	/* for the whole handshake */
};

/* One DTLS association on a connected UDP socket. */
struct emu_dtls {
	int		fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
};

static void
emu_dtls_close(struct emu_dtls *d)
{
	SSL_free(d->ssl);
	SSL_CTX_free(d->ctx);
	if (d->fd >= 0)
		close(d->fd);
	d->ssl = NULL;
	d->ctx = NULL;
	d->fd = -1;
}

/* Copy OpenSSL's reason for the last failure, else fallback, to err. */
static void
emu_dtls_error(char *err, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(err, len, "%s", reason != NULL ? reason : fallback);
	ERR_clear_error();
}

static int
emu_dtls_socket(struct emu_dtls *d, const struct emu_dtls_params *p,
    char *err, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr = p->addr;
	sin.sin_port = htons(p->port);
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->fd < 0 ||
	    connect(d->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		snprintf(err, len, "UDP socket to port %u failed: %s",
		    p->port, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * A client context for one version. Encrypt-then-MAC and the extended
 * master secret stay off because the made-up session has neither, and
 * the 0x0100 dialect needs security level 0 for its SHA-1 era suites.
 */
static int
emu_dtls_ctx_new(struct emu_dtls *d, const struct emu_dtls_params *p)
{
	char list[512];

	d->ctx = SSL_CTX_new(DTLS_client_method());
	if (d->ctx == NULL ||
	    SSL_CTX_set_min_proto_version(d->ctx, p->version) != 1 ||
	    SSL_CTX_set_max_proto_version(d->ctx, p->version) != 1)
		return (-1);
	SSL_CTX_set_options(d->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC |
	    SSL_OP_NO_EXTENDED_MASTER_SECRET | SSL_OP_LEGACY_SERVER_CONNECT |
	    SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
	SSL_CTX_set_read_ahead(d->ctx, 1);
	snprintf(list, sizeof(list), "%s%s", p->offer,
	    p->version == DTLS1_BAD_VER ? ":@SECLEVEL=0" : "");
	return (SSL_CTX_set_cipher_list(d->ctx, list) == 1 ? 0 : -1);
}

/* Attach the session that the CONNECT exchange describes. */
static int
emu_dtls_set_session(struct emu_dtls *d, const struct emu_dtls_params *p)
{
	unsigned char id[2] = { (unsigned char)(p->session_cipher >> 8),
	    (unsigned char)p->session_cipher };
	const SSL_CIPHER *c = SSL_CIPHER_find(d->ssl, id);
	SSL_SESSION *s;
	int ok;

	if (c == NULL || (s = SSL_SESSION_new()) == NULL)
		return (-1);
	ok = SSL_SESSION_set_protocol_version(s, p->version) == 1 &&
	    SSL_SESSION_set1_master_key(s, p->secret, sizeof(p->secret)) ==
	    1 && SSL_SESSION_set1_id(s, p->session_id,
	    sizeof(p->session_id)) == 1 && SSL_SESSION_set_cipher(s, c) == 1;
	SSL_SESSION_set_time(s, (long)time(NULL));
	SSL_SESSION_set_timeout(s, 300);
	ok = ok && SSL_set_session(d->ssl, s) == 1;
	SSL_SESSION_free(s);
	return (ok ? 0 : -1);
}

static int
emu_dtls_ssl_new(struct emu_dtls *d, const struct emu_dtls_params *p)
{
	BIO_ADDR *peer = BIO_ADDR_new();
	uint16_t port = htons(p->port);
	BIO *bio;

	if (peer == NULL || (d->ssl = SSL_new(d->ctx)) == NULL ||
	    (bio = BIO_new_dgram(d->fd, BIO_NOCLOSE)) == NULL) {
		BIO_ADDR_free(peer);
		return (-1);
	}
	SSL_set_bio(d->ssl, bio, bio);
	if (BIO_ADDR_rawmake(peer, AF_INET, &p->addr, sizeof(p->addr),
	    port) != 1 || BIO_ctrl_set_connected(bio, peer) != 1) {
		BIO_ADDR_free(peer);
		return (-1);
	}
	BIO_ADDR_free(peer);
	SSL_set_mtu(d->ssl, EMU_DTLS_LINK_MTU);
	SSL_set_connect_state(d->ssl);
	return (emu_dtls_set_session(d, p));
}

static int
emu_dtls_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((int)((deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000));
}

/*
 * Wait for the socket or for OpenSSL's retransmission timer, whichever
 * comes first. Returns false once the handshake deadline has passed.
 */
static bool
emu_dtls_wait(struct emu_dtls *d, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
	struct timeval tv;
	int left = emu_dtls_ms_left(deadline), wait = left;

	if (left <= 0)
		return (false);
	if (DTLSv1_get_timeout(d->ssl, &tv) == 1 &&
	    tv.tv_sec * 1000 + tv.tv_usec / 1000 < wait)
		wait = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
	if (poll(&pfd, 1, wait) == 0)
		DTLSv1_handle_timeout(d->ssl);
	return (true);
}

/*
 * Run the handshake to its end. A server that replies with a full
 * handshake instead of resuming is rejected, as openconnect rejects it,
 * because only a resumption proves that it has the master secret.
 */
static int
emu_dtls_handshake(struct emu_dtls *d, int timeout_ms, char *err,
    size_t len)
{
	struct timespec deadline;
	int rc, e;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	for (;;) {
		errno = 0;
		rc = SSL_do_handshake(d->ssl);
		if (rc == 1)
			break;
		e = SSL_get_error(d->ssl, rc);
		if (e == SSL_ERROR_SYSCALL && errno != 0) {
			snprintf(err, len, "%s", strerror(errno));
			return (-1);
		}
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			emu_dtls_error(err, len, "handshake failed");
			return (-1);
		}
		if (!emu_dtls_wait(d, &deadline)) {
			snprintf(err, len, "no answer within %d ms",
			    timeout_ms);
			return (-1);
		}
	}
	if (SSL_session_reused(d->ssl) != 1) {
		snprintf(err, len, "the server did a full handshake instead "
		    "of resuming the session");
		return (-1);
	}
	return (0);
}

/*
 * Open the association. On failure nothing stays open, and err contains
 * the reason: OpenSSL's, such as "old session cipher not returned",
 * when there is one.
 */
static int
emu_dtls_open(struct emu_dtls *d, const struct emu_dtls_params *p,
    char *err, size_t len)
{
	d->fd = -1;
	d->ctx = NULL;
	d->ssl = NULL;
	ERR_clear_error();
	if (emu_dtls_socket(d, p, err, len) != 0)
		goto fail;
	if (emu_dtls_ctx_new(d, p) != 0 || emu_dtls_ssl_new(d, p) != 0) {
		emu_dtls_error(err, len, "setting up the DTLS client failed");
		goto fail;
	}
	if (emu_dtls_handshake(d, p->timeout_ms, err, len) != 0)
		goto fail;
	return (0);
fail:
	emu_dtls_close(d);
	return (-1);
}

/* Send one record: the type byte, then the payload. */
static int
emu_dtls_send(struct emu_dtls *d, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	uint8_t rec[1 + CSTP_PAYLOAD_MAX];

	if (len > CSTP_PAYLOAD_MAX)
		return (-1);
	rec[0] = (uint8_t)type;
	if (len > 0)
		memcpy(rec + 1, payload, len);
	return (SSL_write(d->ssl, rec, (int)(len + 1)) == (int)(len + 1) ?
	    0 : -1);
}

/* Capture one record in mem and return its length, or 0. */
static size_t
emu_dtls_capture(struct emu_dtls *d, BIO *mem, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	size_t before = BIO_ctrl_pending(mem);

	if (emu_dtls_send(d, type, payload, len) != 0)
		return (0);
	return (BIO_ctrl_pending(mem) - before);
}

/* Send the count records in buf as one UDP GSO datagram. */
static int
emu_dtls_send_gso(struct emu_dtls *d, const char *buf, size_t len,
    uint16_t segment)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(uint16_t))];
	} control;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(segment));
	memcpy(CMSG_DATA(cm), &segment, sizeof(segment));
	return (sendmsg(d->fd, &msg, 0) == (ssize_t)len ? 0 : -1);
}

/*
 * Send count DATA records of equal length as one UDP GSO datagram, so
 * that the server's socket receives them merged, as UDP GRO merges a
 * run of a client's datagrams. The records go to a memory BIO first.
 * Returns 0, or -1 when a record could not be built or sent.
 */
static int
emu_dtls_send_burst(struct emu_dtls *d, const uint8_t *packets,
    size_t len, int count)
{
	BIO *wire = SSL_get_wbio(d->ssl), *mem = BIO_new(BIO_s_mem());
	size_t segment = 0, n;
	char *data;
	long total;
	int i, rc = -1;

	if (mem == NULL || !BIO_up_ref(wire)) {
		BIO_free(mem);
		return (-1);
	}
	SSL_set0_wbio(d->ssl, mem);
	for (i = 0; i < count; i++) {
		n = emu_dtls_capture(d, mem, CSTP_DATA, packets + i * len,
		    len);
		if (n == 0 || (segment != 0 && n != segment))
			break;
		segment = n;
	}
	total = BIO_get_mem_data(mem, &data);
	if (i == count && total > 0)
		rc = emu_dtls_send_gso(d, data, (size_t)total,
		    (uint16_t)segment);
	SSL_set0_wbio(d->ssl, wire);
	return (rc);
}

/*
 * Read one record without waiting. Returns its length (type byte
 * included), 0 when none is waiting, or -1 when the association failed,
 * with the reason in err. Records that fail authentication never get
 * here, because OpenSSL drops them.
 */
static int
emu_dtls_recv(struct emu_dtls *d, uint8_t *buf, size_t size, char *err,
    size_t len)
{
	int n;

	errno = 0;
	n = SSL_read(d->ssl, buf, (int)size);
	if (n > 0)
		return (n);
	switch (SSL_get_error(d->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return (0);
	case SSL_ERROR_ZERO_RETURN:
		snprintf(err, len, "the server closed the association");
		return (-1);
	case SSL_ERROR_SYSCALL:
		snprintf(err, len, "%s", errno != 0 ? strerror(errno) :
		    "socket error");
		ERR_clear_error();
		return (-1);
	default:
		emu_dtls_error(err, len, "read failed");
		return (-1);
	}
}

#endif
