/*
 * Peeks at DTLS datagrams before any association exists. They read the
 * record header, and the session id of a ClientHello, which names the VPN
 * session (X-DTLS-Session-ID, or X-DTLS-App-ID in PSK-NEGOTIATE). They
 * work for DTLS 1.0 (0xfeff), DTLS 1.2 (0xfefd) and Cisco's pre-standard
 * version 0x0100, do no I/O and read nothing beyond the given length.
 */
#ifndef HEADEND_DTLS_WIRE_H
#define HEADEND_DTLS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_WIRE_RECORD_HEADER	13
#define DTLS_WIRE_ID_MAX	32	/* session id and app id */

#define DTLS_WIRE_VERSION_LEGACY	0x0100
#define DTLS_WIRE_VERSION_1_0		0xfeff
#define DTLS_WIRE_VERSION_1_2		0xfefd

/*
 * The TLS extension in which older openconnect versions sent the App-ID.
 * Newer clients put it in the session id.
 */
#define DTLS_WIRE_EXT_APP_ID		48018

enum dtls_wire_content {
	DTLS_WIRE_CHANGE_CIPHER_SPEC = 20,
	DTLS_WIRE_ALERT = 21,
	DTLS_WIRE_HANDSHAKE = 22,
	DTLS_WIRE_APPLICATION_DATA = 23,
};

struct dtls_wire_record {
	uint8_t		type;
	uint16_t	version;
	uint16_t	epoch;
};

struct dtls_wire_hello {
	uint16_t	version;	/* of the record */
	uint8_t		session_id[DTLS_WIRE_ID_MAX];
	size_t		session_id_len;
	uint8_t		app_id[DTLS_WIRE_ID_MAX];
	size_t		app_id_len;	/* 0 without the extension */
};

/* Read the first record header; false when the datagram is too short. */
bool	dtls_wire_peek_record(const uint8_t *dgram, size_t len,
	    struct dtls_wire_record *rec);

/*
 * True when every protected record of the datagram (epoch 1 or later)
 * has at least min bytes after its header. A record whose header or body
 * is cut short ends the walk and passes, because libssl drops it.
 */
bool	dtls_wire_records_fit(const uint8_t *dgram, size_t len, size_t min);

/* True for the three DTLS versions this server speaks. */
bool	dtls_wire_version_known(uint16_t version);

/*
 * True when the datagram starts with a ClientHello (epoch 0, first
 * fragment) of a known version whose fragment reaches past the session
 * id; fills *hello. The App-ID extension is read only when the whole
 * ClientHello is in that fragment.
 */
bool	dtls_wire_peek_hello(const uint8_t *dgram, size_t len,
	    struct dtls_wire_hello *hello);

/* The id that names the session: the App-ID extension, else session id. */
bool	dtls_wire_hello_id(const struct dtls_wire_hello *hello,
	    const uint8_t **id, size_t *id_len);

#endif
