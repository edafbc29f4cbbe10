/* The DTLS datagram peeks declared in dtls_wire.h. */
#include <string.h>

#include "dtls_wire.h"

#define DTLS_WIRE_HS_HEADER	12
#define DTLS_WIRE_CLIENT_HELLO	1
#define DTLS_WIRE_RANDOM_LEN	32

/* Bounds-checked reader over a byte string. */
struct dtls_wire_cursor {
	const uint8_t	*p;
	size_t		left;
};

static uint32_t
dtls_wire_load(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

static const uint8_t *
dtls_wire_take(struct dtls_wire_cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return (NULL);
	c->p += n;
	c->left -= n;
	return (p);
}

/* Take a vector whose length prefix is width bytes long. */
static bool
dtls_wire_take_vector(struct dtls_wire_cursor *c, size_t width,
    struct dtls_wire_cursor *out)
{
	const uint8_t *p = dtls_wire_take(c, width);

	if (p == NULL)
		return (false);
	out->left = dtls_wire_load(p, width);
	out->p = dtls_wire_take(c, out->left);
	return (out->p != NULL);
}

bool
dtls_wire_version_known(uint16_t version)
{
	return (version == DTLS_WIRE_VERSION_LEGACY ||
	    version == DTLS_WIRE_VERSION_1_0 ||
	    version == DTLS_WIRE_VERSION_1_2);
}

bool
dtls_wire_peek_record(const uint8_t *dgram, size_t len,
    struct dtls_wire_record *rec)
{
	if (len < DTLS_WIRE_RECORD_HEADER)
		return (false);
	rec->type = dgram[0];
	rec->version = (uint16_t)dtls_wire_load(dgram + 1, 2);
	rec->epoch = (uint16_t)dtls_wire_load(dgram + 3, 2);
	return (true);
}

bool
dtls_wire_records_fit(const uint8_t *dgram, size_t len, size_t min)
{
	size_t body;

	while (len >= DTLS_WIRE_RECORD_HEADER) {
		body = dtls_wire_load(dgram + 11, 2);
		if (dtls_wire_load(dgram + 3, 2) > 0 && body < min)
			return (false);
		if (body > len - DTLS_WIRE_RECORD_HEADER)
			break;
		dgram += DTLS_WIRE_RECORD_HEADER + body;
		len -= DTLS_WIRE_RECORD_HEADER + body;
	}
	return (true);
}

/* Find the App-ID extension in the extensions block, if any. */
static void
dtls_wire_find_app_id(struct dtls_wire_cursor exts,
    struct dtls_wire_hello *hello)
{
	struct dtls_wire_cursor body, id;
	const uint8_t *type;

	while ((type = dtls_wire_take(&exts, 2)) != NULL) {
		if (!dtls_wire_take_vector(&exts, 2, &body))
			return;
		if (dtls_wire_load(type, 2) != DTLS_WIRE_EXT_APP_ID)
			continue;
		if (!dtls_wire_take_vector(&body, 1, &id) || id.left == 0 ||
		    id.left > DTLS_WIRE_ID_MAX)
			return;
		memcpy(hello->app_id, id.p, id.left);
		hello->app_id_len = id.left;
		return;
	}
}

/* Skip cookie, suites and compression methods, then read extensions. */
static void
dtls_wire_parse_rest(struct dtls_wire_cursor c, struct dtls_wire_hello *hello)
{
	struct dtls_wire_cursor skip, exts;

	if (!dtls_wire_take_vector(&c, 1, &skip) ||
	    !dtls_wire_take_vector(&c, 2, &skip) ||
	    !dtls_wire_take_vector(&c, 1, &skip) ||
	    !dtls_wire_take_vector(&c, 2, &exts))
		return;
	dtls_wire_find_app_id(exts, hello);
}

/* Parse the ClientHello body up to and including the session id. */
static bool
dtls_wire_parse_body(struct dtls_wire_cursor *c, struct dtls_wire_hello *hello)
{
	struct dtls_wire_cursor id;

	if (dtls_wire_take(c, 2 + DTLS_WIRE_RANDOM_LEN) == NULL ||
	    !dtls_wire_take_vector(c, 1, &id) || id.left > DTLS_WIRE_ID_MAX)
		return (false);
	memcpy(hello->session_id, id.p, id.left);
	hello->session_id_len = id.left;
	return (true);
}

bool
dtls_wire_peek_hello(const uint8_t *dgram, size_t len,
    struct dtls_wire_hello *hello)
{
	struct dtls_wire_record rec;
	struct dtls_wire_cursor c = { dgram, len }, body;
	const uint8_t *hs;
	size_t msg_len, frag_off, frag_len;

	memset(hello, 0, sizeof(*hello));
	if (!dtls_wire_peek_record(dgram, len, &rec) ||
	    rec.type != DTLS_WIRE_HANDSHAKE || rec.epoch != 0 ||
	    !dtls_wire_version_known(rec.version))
		return (false);
	dtls_wire_take(&c, DTLS_WIRE_RECORD_HEADER - 2);
	if (!dtls_wire_take_vector(&c, 2, &body) ||
	    (hs = dtls_wire_take(&body, DTLS_WIRE_HS_HEADER)) == NULL ||
	    hs[0] != DTLS_WIRE_CLIENT_HELLO)
		return (false);
	msg_len = dtls_wire_load(hs + 1, 3);
	frag_off = dtls_wire_load(hs + 6, 3);
	frag_len = dtls_wire_load(hs + 9, 3);
	if (frag_off != 0 || frag_len > body.left || frag_len > msg_len)
		return (false);
	body.left = frag_len;
	hello->version = rec.version;
	if (!dtls_wire_parse_body(&body, hello))
		return (false);
	if (frag_len == msg_len)
		dtls_wire_parse_rest(body, hello);
	return (true);
}

bool
dtls_wire_hello_id(const struct dtls_wire_hello *hello, const uint8_t **id,
    size_t *id_len)
{
	if (hello->app_id_len > 0) {
		*id = hello->app_id;
		*id_len = hello->app_id_len;
	} else {
		*id = hello->session_id;
		*id_len = hello->session_id_len;
	}
	return (*id_len > 0);
}
