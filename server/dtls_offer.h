/*
 * The DTLS offer in a CONNECT request (X-DTLS-CipherSuite,
 * X-DTLS12-CipherSuite, X-DTLS-Master-Secret, User-Agent) and the
 * server's choice of one of the three DTLS dialects:
 *
 *   - PSK-NEGOTIATE: a full DTLS handshake keyed from the CSTP TLS session.
 *   - resumption: DTLS 1.2 resumes a session made from the master secret.
 *     The suite is named in X-DTLS12-CipherSuite (Cisco) or as an
 *     "OC-DTLS1_2-" name in X-DTLS-CipherSuite (openconnect).
 *   - legacy: Cisco's pre-standard DTLS (version 0x0100) resumes with
 *     AES128-SHA or AES256-SHA.
 *
 * No I/O and no logging, so unit tests drive it directly.
 */
#ifndef HEADEND_DTLS_OFFER_H
#define HEADEND_DTLS_OFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_OFFER_SECRET_LEN	48	/* X-DTLS-Master-Secret, decoded */
#define DTLS_OFFER_REASON_MAX	160

/*
 * The User-Agent prefix of Cisco IP phones, compared without case both
 * for the login dialogue and for the DTLS choice, so the two agree.
 */
#define DTLS_OFFER_PHONE_AGENT	"Cisco SVC IPPhone Client"

/* The UDP port phones send DTLS to, whatever X-DTLS-Port names. */
#define DTLS_OFFER_PHONE_PORT	443

enum dtls_mode {
	DTLS_MODE_NONE,		/* no DTLS: the session runs on CSTP */
	DTLS_MODE_PSK,
	DTLS_MODE_RESUME,	/* DTLS 1.2 resumption */
	DTLS_MODE_LEGACY,	/* version 0x0100 resumption */
};

/* The reply header that names the chosen suite. */
enum dtls_offer_header {
	DTLS_HEADER_CIPHERSUITE,	/* X-DTLS-CipherSuite */
	DTLS_HEADER_DTLS12,		/* X-DTLS12-CipherSuite */
};

struct dtls_suite {
	const char	*name;		/* as in the request and the reply */
	const char	*openssl_name;	/* the suite that is resumed */
	enum dtls_mode	mode;
	enum dtls_offer_header header;
	uint16_t	id;		/* IANA suite id */
	int		cipher_nid;	/* bulk cipher */
	int		hash_nid;	/* MAC, or PRF hash of an AEAD suite */
	int		overhead;	/* max bytes a record adds */
};

/* The request's DTLS headers; absent headers are NULL. */
struct dtls_offer {
	const char	*ciphers;	/* X-DTLS-CipherSuite */
	const char	*ciphers12;	/* X-DTLS12-CipherSuite */
	const char	*master_secret;	/* X-DTLS-Master-Secret, hex */
	const char	*user_agent;
	const char	*tls_cipher;	/* OpenSSL name of the CSTP suite */
	int		tls_cipher_nid;
	int		tls_hash_nid;	/* as dtls_suite.hash_nid */
};

struct dtls_choice {
	enum dtls_mode	mode;
	const struct dtls_suite *suite;	/* NULL for PSK and NONE */
	uint8_t		master_secret[DTLS_OFFER_SECRET_LEN];
	bool		psk_aead;	/* PSK: the lists name an AEAD suite */
	char		reason[DTLS_OFFER_REASON_MAX];	/* why NONE */
};

/*
 * Choose the DTLS dialect and suite for a CONNECT request. enabled is the
 * group-policy's dtls switch. The choice prefers, in this order:
 * PSK-NEGOTIATE (never for phones); a suite from X-DTLS12-CipherSuite;
 * then one from X-DTLS-CipherSuite. Within a list, the suite equal to the
 * CSTP suite wins, then (except for phones) one with the same bulk cipher
 * and hash, then the server's order. Phones get only a suite equal to
 * their TLS suite, because they resume with the TLS connection's cipher
 * whatever the reply names. Returns the mode. For DTLS_MODE_NONE,
 * choice->reason contains the reason for the log.
 */
enum dtls_mode dtls_offer_select(const struct dtls_offer *offer, bool enabled,
	    struct dtls_choice *choice);

/* True if the colon-separated list contains name (ASCII case ignored). */
bool	dtls_offer_list_has(const char *list, const char *name);

/* Decode 96 hex digits (either case) into 48 bytes; false otherwise. */
bool	dtls_offer_parse_secret(const char *hex,
	    uint8_t secret[DTLS_OFFER_SECRET_LEN]);

bool	dtls_offer_is_phone(const char *user_agent);

/* Find a suite we resume by its name in one request header, or NULL. */
const struct dtls_suite *dtls_offer_find_suite(const char *name,
	    enum dtls_offer_header header);

/*
 * Max bytes a DTLS record of a suite adds to its plaintext: record
 * header, explicit IV or nonce, MAC or tag, and CBC padding. Returns -1
 * for an unknown cipher. mac_len is 0 for AEAD ciphers.
 */
int	dtls_offer_record_overhead(int cipher_nid, size_t mac_len);

const char *dtls_mode_name(enum dtls_mode mode);

#endif
