/*
 * Server side of Cisco's pre-standard DTLS (record version 0x0100, which
 * OpenSSL calls DTLS1_BAD_VER and GnuTLS DTLS0.9), built on libcrypto
 * because libssl can only be a client of this version.
 *
 * Old AnyConnect clients and Cisco IP phones run it as a resumption of a
 * session that never had a full handshake. The master secret is the 48
 * bytes the client sent in X-DTLS-Master-Secret, and the session id is the
 * 32 bytes the server sent in X-DTLS-Session-ID. This module only ever
 * resumes, with AES128-SHA or AES256-SHA.
 *
 * The module does no I/O and never logs. The caller feeds each received
 * datagram to dtls_legacy_input(), sends the datagram it gets back, and
 * logs the returned codes and the counters of dtls_legacy_get_stats().
 * An association is not thread-safe; use each one from one thread.
 */
#ifndef HEADEND_DTLS_LEGACY_H
#define HEADEND_DTLS_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_LEGACY_VERSION		0x0100	/* sent as 0x01 0x00 */
#define DTLS_LEGACY_MASTER_SECRET_LEN	48
#define DTLS_LEGACY_SESSION_ID_LEN	32
#define DTLS_LEGACY_RECORD_HEADER_LEN	13

/* Size of the server flight (ServerHello, ChangeCipherSpec, Finished). */
#define DTLS_LEGACY_FLIGHT_LEN		188

/* Largest application payload in one record (TLS plaintext limit). */
#define DTLS_LEGACY_PAYLOAD_MAX		16384

/* Flight sends, first one included, before retransmission gives up. */
#define DTLS_LEGACY_FLIGHT_SENDS_MAX	8

enum dtls_legacy_suite {
	DTLS_LEGACY_AES128_SHA = 0x002F,
	DTLS_LEGACY_AES256_SHA = 0x0035,
};

/* Non-negative results of dtls_legacy_input(). */
enum dtls_legacy_result {
	DTLS_LEGACY_OK = 0,		/* nothing the caller must act on */
	DTLS_LEGACY_ESTABLISHED = 1,	/* handshake finished just now */

	/*
	 * A valid ClientHello for this session that is not a retransmission
	 * of the one this association replied to, so the client started a
	 * new handshake. Create a new association with the same secrets,
	 * feed it this datagram, and keep this one until the new one is up.
	 */
	DTLS_LEGACY_CLIENT_HELLO = 2,

	/* The client sent an authenticated close_notify or fatal alert. */
	DTLS_LEGACY_CLOSED = 3,
};

/*
 * Event counters. Each dropped datagram increments exactly one dropped_*
 * counter: the one for the first record that failed.
 */
struct dtls_legacy_stats {
	uint64_t	records_accepted;
	uint64_t	app_records;	/* delivered to on_app */
	uint64_t	flights_sent;	/* first send and resends */
	uint64_t	dropped_malformed;	/* bad framing or length */
	uint64_t	dropped_hello;	/* wrong version, id or suite */
	uint64_t	dropped_auth;	/* bad MAC, padding or Finished */
	uint64_t	dropped_replay;	/* duplicate or too old */
	uint64_t	dropped_state;	/* invalid in the current state */
};

struct dtls_legacy;

/*
 * Create an association waiting for a ClientHello. Returns NULL with
 * errno EINVAL for an unknown suite or ENOMEM.
 */
struct dtls_legacy *
dtls_legacy_new(const uint8_t master_secret[DTLS_LEGACY_MASTER_SECRET_LEN],
		const uint8_t session_id[DTLS_LEGACY_SESSION_ID_LEN],
		enum dtls_legacy_suite suite);

/* Zeroise the secrets and keys and free the association. NULL is a no-op. */
void
dtls_legacy_free(struct dtls_legacy *d);

/*
 * Check whether a datagram starts with a version 0x0100 ClientHello in
 * epoch 0 that carries a 32-byte session id, and copy that id. Reads
 * nothing beyond len.
 */
bool
dtls_legacy_peek_client_hello(const uint8_t *dgram, size_t len,
			      uint8_t session_id[DTLS_LEGACY_SESSION_ID_LEN]);

/*
 * Read the content type, version and epoch of the first record header in
 * a datagram, for any DTLS version. Returns 0, or -EBADMSG when the
 * datagram is shorter than a record header.
 */
int
dtls_legacy_peek_record(const uint8_t *dgram, size_t len, uint8_t *type,
			uint16_t *version, uint16_t *epoch);

typedef void dtls_legacy_app_fn(void *arg, const uint8_t *data, size_t len);

/*
 * Process one received datagram, which may contain several records.
 *
 * When the datagram requires a reply, the server flight is written to out
 * and *out_len is set to its length. Otherwise *out_len is 0. out_size
 * must be at least DTLS_LEGACY_FLIGHT_LEN. Each authenticated application
 * record is passed to on_app (may be NULL), which must not free d.
 *
 * Returns an enum dtls_legacy_result; when one datagram causes several
 * events, the last one is returned. Returns -EBADMSG when the datagram was
 * dropped: malformed, not authentic, replayed, or not acceptable in the
 * current state. A dropped datagram changes nothing except the counters,
 * so a datagram from an unknown address can be tried against an
 * association to detect a NAT rebinding. Other negative values are local
 * failures: -EINVAL (out_size too small), -ENOMEM, -EIO (libcrypto).
 */
int
dtls_legacy_input(struct dtls_legacy *d, const uint8_t *dgram, size_t len,
		  uint8_t *out, size_t *out_len, size_t out_size,
		  dtls_legacy_app_fn *on_app, void *arg);

/*
 * Encrypt one application payload into one datagram. payload and out may
 * overlap. Returns the datagram length, or -ENOTCONN before the handshake
 * finished or after close, -EMSGSIZE when len exceeds
 * DTLS_LEGACY_PAYLOAD_MAX or the record does not fit out_size, -EOVERFLOW
 * when the 48-bit sequence number is used up, -EIO.
 */
int
dtls_legacy_encrypt(struct dtls_legacy *d, const uint8_t *payload,
		    size_t len, uint8_t *out, size_t out_size);

/*
 * Copy the cached server flight to out for the caller's retransmission
 * timer. Returns 0 with *out_len set, 0 with *out_len 0 once established,
 * -ENOTCONN before any reply to a ClientHello or after close, -ETIMEDOUT
 * after DTLS_LEGACY_FLIGHT_SENDS_MAX sends, -EINVAL when out_size is too
 * small. Repeated ClientHellos share the same send budget.
 */
int
dtls_legacy_retransmit(struct dtls_legacy *d, uint8_t *out, size_t *out_len,
		       size_t out_size);

bool
dtls_legacy_established(const struct dtls_legacy *d);

void
dtls_legacy_get_stats(const struct dtls_legacy *d,
		      struct dtls_legacy_stats *stats);

/*
 * Return the maximum bytes a record adds to a payload: header 13,
 * explicit IV 16, MAC 20, padding up to 16.
 */
size_t
dtls_legacy_overhead(enum dtls_legacy_suite suite);

#endif
