/*
 * Fuzz the two functions that look at a datagram from an unknown peer
 * before any association exists. A ClientHello they accept must carry
 * the session id where the format puts it.
 */
#include <string.h>

#include "dtls_legacy.h"
#include "fuzz.h"

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
	return (0);
}
