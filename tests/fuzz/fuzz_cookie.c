/*
 * Fuzz http_cookie_get. The first byte sets the size of the output
 * buffer (0 to 63 bytes); the input up to the first newline is the cookie
 * name and the rest is the Cookie header value.
 */
#include <string.h>

#include "fuzz.h"
#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64], *text, *header;
	size_t outlen;
	bool found;

	if (size < 1)
		return (0);
	outlen = data[0] % sizeof(out);
	if ((text = fuzz_strndup(data + 1, size - 1)) == NULL)
		return (0);
	header = strchr(text, '\n');
	if (header != NULL)
		*header++ = '\0';
	else
		header = text + strlen(text);

	memset(out, 'x', sizeof(out));
	found = http_cookie_get(header, text, out, outlen);
	if (found) {
		/* The value is copied whole, from inside the header. */
		FUZZ_CHECK(strlen(out) < outlen);
		FUZZ_CHECK(strstr(header, out) != NULL);
	} else if (outlen > 0) {
		FUZZ_CHECK(out[0] == '\0');
	}
	/* Nothing is written past the buffer the caller gave. */
	for (size_t i = outlen; i < sizeof(out); i++)
		FUZZ_CHECK(out[i] == 'x');
	free(text);
	return (0);
}
