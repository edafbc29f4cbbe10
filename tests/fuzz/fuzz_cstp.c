/*
 * Fuzz the CSTP frame parser the way the tunnel reads a TLS stream:
 * frames are taken one after the other from the input, and each is also
 * parsed from every shorter prefix, which must ask for more bytes.
 */
#include <errno.h>

#include "cstp.h"
#include "fuzz.h"

/* A prefix of a frame is either incomplete or already invalid. */
static void
fuzz_check_prefixes(const uint8_t *buf, int frame_len)
{
	enum cstp_type type;
	size_t avail, payload_len;

	for (avail = 0; avail < (size_t)frame_len; avail++)
		FUZZ_CHECK(cstp_frame_parse(buf, avail, &type,
		    &payload_len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum cstp_type type;
	size_t payload_len;
	int n;

	while (size > 0) {
		n = cstp_frame_parse(data, size, &type, &payload_len);
		FUZZ_CHECK(n == 0 || n == -EBADMSG || n > 0);
		if (n <= 0)
			break;
		FUZZ_CHECK((size_t)n <= size);
		FUZZ_CHECK((size_t)n == CSTP_HEADER_LEN + payload_len);
		FUZZ_CHECK(payload_len <= CSTP_PAYLOAD_MAX);
		FUZZ_CHECK(cstp_type_name(type) != NULL);
		fuzz_check_prefixes(data, n);
		data += n;
		size -= (size_t)n;
	}
	return (0);
}
