/*
 * Fuzz the form body decoder. The input is a body as a client POSTs it.
 * Every field the login code looks up is read from it, and the whole
 * body is percent-decoded once, with output buffers of the sizes the
 * login code uses and a small one for the -E2BIG paths.
 */
#include <errno.h>
#include <string.h>

#include "form.h"
#include "fuzz.h"

static const char *const fuzz_fields[] = {
	"username", "password", "group_list", "tgroup", "secondary_password",
};

static void
fuzz_check_field(const uint8_t *data, size_t size, const char *name,
    size_t outlen)
{
	char out[512];
	int rc;

	rc = form_get(data, size, name, out, outlen);
	FUZZ_CHECK(rc == 1 || rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc == 1)
		FUZZ_CHECK(strlen(out) < outlen);
	else
		FUZZ_CHECK(out[0] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 8, 128, 256, 512 };
	char out[512];
	size_t i, j;
	int rc;

	for (i = 0; i < sizeof(fuzz_fields) / sizeof(fuzz_fields[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			fuzz_check_field(data, size, fuzz_fields[i],
			    sizes[j]);

	rc = form_decode((const char *)data, size, out, sizeof(out));
	FUZZ_CHECK(rc == -EINVAL || rc == -E2BIG || rc >= 0);
	if (rc >= 0) {
		/* Decoding never grows the text, and NULs are rejected. */
		FUZZ_CHECK((size_t)rc <= size);
		FUZZ_CHECK(strlen(out) == (size_t)rc);
	} else {
		FUZZ_CHECK(out[0] == '\0');
	}
	return (0);
}
