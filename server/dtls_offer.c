/* The DTLS offer and choice declared in dtls_offer.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "dtls_offer.h"

#define DTLS_RECORD_HEADER	13
#define DTLS_OFFER_NAME_MAX	64	/* no suite name is longer */
#define DTLS_GCM_OVERHEAD	(DTLS_RECORD_HEADER + 8 + 16)
#define DTLS_CBC_SHA1_OVERHEAD	(DTLS_RECORD_HEADER + 16 + 20 + 16)

/*
 * The suites we resume, in the server's order of preference per header.
 * DES-CBC3-SHA, DHE-* and OC2-DTLS1_2-CHACHA20-POLY1305 are left out
 * because they add code and no security. The clients whose offers we have
 * seen (openconnect, AnyConnect, phones) list AES128-SHA or AES256-SHA
 * next to them.
 */
static const struct dtls_suite dtls_suites[] = {
	{ "AES256-GCM-SHA384", "AES256-GCM-SHA384", DTLS_MODE_RESUME,
	  DTLS_HEADER_DTLS12, 0x009d, NID_aes_256_gcm, NID_sha384,
	  DTLS_GCM_OVERHEAD },
	{ "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	  DTLS_MODE_RESUME, DTLS_HEADER_DTLS12, 0xc030, NID_aes_256_gcm,
	  NID_sha384, DTLS_GCM_OVERHEAD },
	{ "AES128-GCM-SHA256", "AES128-GCM-SHA256", DTLS_MODE_RESUME,
	  DTLS_HEADER_DTLS12, 0x009c, NID_aes_128_gcm, NID_sha256,
	  DTLS_GCM_OVERHEAD },
	{ "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	  DTLS_MODE_RESUME, DTLS_HEADER_DTLS12, 0xc02f, NID_aes_128_gcm,
	  NID_sha256, DTLS_GCM_OVERHEAD },
	{ "AES256-SHA", "AES256-SHA", DTLS_MODE_RESUME, DTLS_HEADER_DTLS12,
	  0x0035, NID_aes_256_cbc, NID_sha1, DTLS_CBC_SHA1_OVERHEAD },
	{ "AES128-SHA", "AES128-SHA", DTLS_MODE_RESUME, DTLS_HEADER_DTLS12,
	  0x002f, NID_aes_128_cbc, NID_sha1, DTLS_CBC_SHA1_OVERHEAD },

	{ "OC-DTLS1_2-AES256-GCM", "AES256-GCM-SHA384", DTLS_MODE_RESUME,
	  DTLS_HEADER_CIPHERSUITE, 0x009d, NID_aes_256_gcm, NID_sha384,
	  DTLS_GCM_OVERHEAD },
	{ "OC-DTLS1_2-AES128-GCM", "AES128-GCM-SHA256", DTLS_MODE_RESUME,
	  DTLS_HEADER_CIPHERSUITE, 0x009c, NID_aes_128_gcm, NID_sha256,
	  DTLS_GCM_OVERHEAD },
	{ "AES256-SHA", "AES256-SHA", DTLS_MODE_LEGACY,
	  DTLS_HEADER_CIPHERSUITE, 0x0035, NID_aes_256_cbc, NID_sha1,
	  DTLS_CBC_SHA1_OVERHEAD },
	{ "AES128-SHA", "AES128-SHA", DTLS_MODE_LEGACY,
	  DTLS_HEADER_CIPHERSUITE, 0x002f, NID_aes_128_cbc, NID_sha1,
	  DTLS_CBC_SHA1_OVERHEAD },
};

#define DTLS_NSUITES	(sizeof(dtls_suites) / sizeof(dtls_suites[0]))

const char *
dtls_mode_name(enum dtls_mode mode)
{
	switch (mode) {
	case DTLS_MODE_PSK:
		return ("psk");
	case DTLS_MODE_RESUME:
		return ("dtls1.2-resume");
	case DTLS_MODE_LEGACY:
		return ("legacy");
	default:
		return ("none");
	}
}

bool
dtls_offer_is_phone(const char *user_agent)
{
	return (user_agent != NULL && strncasecmp(user_agent,
	    DTLS_OFFER_PHONE_AGENT, strlen(DTLS_OFFER_PHONE_AGENT)) == 0);
}

/*
 * Step *cursor to the next name of a colon-separated list, which may be
 * NULL. Returns false when the list has no more names.
 */
static bool
dtls_offer_next_name(const char **cursor, const char **name, size_t *len)
{
	const char *end;

	if (*cursor == NULL)
		return (false);
	end = strchrnul(*cursor, ':');
	*name = *cursor;
	*len = (size_t)(end - *cursor);
	*cursor = *end == '\0' ? NULL : end + 1;
	return (true);
}

bool
dtls_offer_list_has(const char *list, const char *name)
{
	size_t n = strlen(name), len;
	const char *p;

	if (n == 0)
		return (false);
	while (dtls_offer_next_name(&list, &p, &len))
		if (len == n && strncasecmp(p, name, n) == 0)
			return (true);
	return (false);
}

/*
 * Whether a suite name is an AEAD one, in any of the clients' spellings:
 * "OC-DTLS1_2-AES256-GCM", "ECDHE-RSA-AES128-GCM-SHA256",
 * "OC2-DTLS1_2-CHACHA20-POLY1305".
 */
static bool
dtls_offer_name_is_aead(const char *name, size_t len)
{
	char up[DTLS_OFFER_NAME_MAX];
	const char *gcm;
	size_t i;

	if (len >= sizeof(up))
		return (false);
	for (i = 0; i < len; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[len] = '\0';
	gcm = strstr(up, "-GCM");
	if (gcm != NULL && (gcm[4] == '\0' || gcm[4] == '-'))
		return (true);
	return (strstr(up, "CHACHA20-POLY1305") != NULL);
}

static bool
dtls_offer_list_has_aead(const char *list)
{
	const char *p;
	size_t len;

	while (dtls_offer_next_name(&list, &p, &len))
		if (dtls_offer_name_is_aead(p, len))
			return (true);
	return (false);
}

static int
dtls_offer_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

bool
dtls_offer_parse_secret(const char *hex, uint8_t secret[DTLS_OFFER_SECRET_LEN])
{
	int hi, lo;
	size_t i;

	if (hex == NULL || strlen(hex) != 2 * DTLS_OFFER_SECRET_LEN)
		return (false);
	for (i = 0; i < DTLS_OFFER_SECRET_LEN; i++) {
		hi = dtls_offer_hex_digit(hex[2 * i]);
		lo = dtls_offer_hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (false);
		secret[i] = (uint8_t)(hi << 4 | lo);
	}
	return (true);
}

const struct dtls_suite *
dtls_offer_find_suite(const char *name, enum dtls_offer_header header)
{
	size_t i;

	for (i = 0; i < DTLS_NSUITES; i++) {
		if (dtls_suites[i].header == header &&
		    strcasecmp(dtls_suites[i].name, name) == 0)
			return (&dtls_suites[i]);
	}
	return (NULL);
}

enum dtls_match {
	DTLS_MATCH_EXACT,	/* the very suite of the TLS connection */
	DTLS_MATCH_SIMILAR,	/* same bulk cipher and hash */
	DTLS_MATCH_ANY,
};

static bool
dtls_offer_matches(const struct dtls_suite *s, const struct dtls_offer *o,
    enum dtls_match match)
{
	switch (match) {
	case DTLS_MATCH_EXACT:
		return (o->tls_cipher != NULL &&
		    strcmp(s->openssl_name, o->tls_cipher) == 0);
	case DTLS_MATCH_SIMILAR:
		return (s->cipher_nid == o->tls_cipher_nid &&
		    s->hash_nid == o->tls_hash_nid);
	default:
		return (true);
	}
}

/*
 * Phones resume with their TLS suite. The phone firmware that does DTLS
 * 1.2 is reported to use only the ECDHE-RSA GCM suites (ocserv offers
 * phones only those), so no other DTLS 1.2 name is chosen for a phone.
 */
static bool
dtls_offer_phone_may_use(const struct dtls_suite *s)
{
	if (s->mode == DTLS_MODE_LEGACY)
		return (true);
	return (s->header == DTLS_HEADER_DTLS12 &&
	    strncmp(s->name, "ECDHE-RSA-", 10) == 0);
}

/* The best suite of one request header, or NULL. */
static const struct dtls_suite *
dtls_offer_pick(const struct dtls_offer *o, enum dtls_offer_header header,
    bool phone)
{
	const char *list = header == DTLS_HEADER_DTLS12 ? o->ciphers12 :
	    o->ciphers;
	enum dtls_match match, last = phone ? DTLS_MATCH_EXACT :
	    DTLS_MATCH_ANY;
	const struct dtls_suite *s;
	size_t i;

	for (match = DTLS_MATCH_EXACT; match <= last; match++) {
		for (i = 0; i < DTLS_NSUITES; i++) {
			s = &dtls_suites[i];
			if (s->header != header ||
			    !dtls_offer_list_has(list, s->name) ||
			    (phone && !dtls_offer_phone_may_use(s)))
				continue;
			if (dtls_offer_matches(s, o, match))
				return (s);
		}
	}
	return (NULL);
}

static enum dtls_mode __attribute__((format(printf, 2, 3)))
dtls_offer_none(struct dtls_choice *choice, const char *fmt, ...)
{
	va_list ap;

	choice->mode = DTLS_MODE_NONE;
	choice->suite = NULL;
	va_start(ap, fmt);
	vsnprintf(choice->reason, sizeof(choice->reason), fmt, ap);
	va_end(ap);
	return (DTLS_MODE_NONE);
}

static bool
dtls_offer_wants_psk(const struct dtls_offer *o)
{
	return (dtls_offer_list_has(o->ciphers, "PSK-NEGOTIATE") ||
	    dtls_offer_list_has(o->ciphers12, "PSK-NEGOTIATE"));
}

enum dtls_mode
dtls_offer_select(const struct dtls_offer *o, bool enabled,
    struct dtls_choice *choice)
{
	bool phone = dtls_offer_is_phone(o->user_agent);
	const struct dtls_suite *s;

	memset(choice, 0, sizeof(*choice));
	if (!enabled)
		return (dtls_offer_none(choice, "%s", "DTLS is off in the "
		    "group-policy"));
	if (o->ciphers == NULL && o->ciphers12 == NULL)
		return (dtls_offer_none(choice, "%s", "the client offered "
		    "no DTLS cipher suites"));
	if (!phone && dtls_offer_wants_psk(o)) {
		/* A client whose TLS library does AEAD names such a suite. */
		choice->mode = DTLS_MODE_PSK;
		choice->psk_aead = dtls_offer_list_has_aead(o->ciphers) ||
		    dtls_offer_list_has_aead(o->ciphers12);
		return (DTLS_MODE_PSK);
	}
	if (!dtls_offer_parse_secret(o->master_secret,
	    choice->master_secret))
		return (dtls_offer_none(choice, "%s", "X-DTLS-Master-Secret "
		    "is missing or not 96 hex digits"));
	s = dtls_offer_pick(o, DTLS_HEADER_DTLS12, phone);
	if (s == NULL)
		s = dtls_offer_pick(o, DTLS_HEADER_CIPHERSUITE, phone);
	if (s == NULL && phone)
		return (dtls_offer_none(choice, "the phone's DTLS cipher "
		    "lists lack its TLS suite %s, and a phone resumes DTLS "
		    "only with that suite", o->tls_cipher != NULL ?
		    o->tls_cipher : "(unknown)"));
	if (s == NULL)
		return (dtls_offer_none(choice, "%s", "the client offered "
		    "no DTLS cipher suite that the server supports"));
	choice->mode = s->mode;
	choice->suite = s;
	return (s->mode);
}

int
dtls_offer_record_overhead(int cipher_nid, size_t mac_len)
{
	const EVP_CIPHER *c;
	int block;

	if (cipher_nid == NID_chacha20_poly1305)
		return (DTLS_RECORD_HEADER + 16);
	if ((c = EVP_get_cipherbynid(cipher_nid)) == NULL)
		return (-1);
	switch (EVP_CIPHER_get_mode(c)) {
	case EVP_CIPH_GCM_MODE:
	case EVP_CIPH_CCM_MODE:
		/* An 8-byte explicit nonce and a tag of at most 16. */
		return (DTLS_RECORD_HEADER + 8 + 16);
	case EVP_CIPH_CBC_MODE:
		/* An explicit IV, the MAC and 1 to block bytes of padding. */
		block = EVP_CIPHER_get_block_size(c);
		return (DTLS_RECORD_HEADER + block + (int)mac_len + block);
	default:
		return (-1);
	}
}
