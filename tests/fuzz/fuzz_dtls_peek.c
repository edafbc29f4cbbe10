/*
 * Fuzz the functions that look at a datagram before libssl or the legacy
 * engine does: from an unknown peer before any association exists, and
 * the record lengths that an established association checks. A
 * ClientHello they accept must carry the session id where the format
 * puts it.
 */
#include <string.h>

#include "dtls_legacy.h"
#include "dtls_wire.h"
#include "fuzz.h"

/* The server's own peeks (server/dtls_wire.c) of the same datagram. */
static void
fuzz_dtls_wire(const uint8_t *data, size_t size)
{
	struct dtls_wire_hello hello;
	const uint8_t *id;
	size_t id_len, min = size > 0 ? data[0] : 0;

	if (dtls_wire_peek_hello(data, size, &hello)) {
		FUZZ_CHECK(hello.session_id_len <= DTLS_WIRE_ID_MAX);
		FUZZ_CHECK(hello.app_id_len <= DTLS_WIRE_ID_MAX);
		if (dtls_wire_hello_id(&hello, &id, &id_len))
			FUZZ_CHECK(id_len > 0 && id_len <= DTLS_WIRE_ID_MAX);
	}
	FUZZ_CHECK(dtls_wire_records_fit(data, size, 0));
	/* A datagram that fits a minimum fits every smaller one. */
	if (min > 0 && dtls_wire_records_fit(data, size, min))
		FUZZ_CHECK(dtls_wire_records_fit(data, size, min - 1));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[DTLS_LEGACY_SESSION_ID_LEN];
	uint16_t version, epoch;
	uint8_t type;
	int rc;

	if (dtls_legacy_peek_client_hello(data, size, id)) {
		FUZZ_CHECK(size >= 60 + sizeof(id));
		FUZZ_CHECK(memcmp(id, data + 60, sizeof(id)) == 0);
		FUZZ_CHECK(data[0] == 22 && data[13] == 1);
	}
	rc = dtls_legacy_peek_record(data, size, &type, &version, &epoch);
	if (size < DTLS_LEGACY_RECORD_HEADER_LEN) {
		FUZZ_CHECK(rc < 0);
	} else {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(type == data[0]);
		FUZZ_CHECK(version == (data[1] << 8 | data[2]));
		FUZZ_CHECK(epoch == (data[3] << 8 | data[4]));
	}
	fuzz_dtls_wire(data, size);
	return (0);
}
