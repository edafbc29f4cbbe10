/*
 * Fuzz the ban file's decoder. The input is a ban file without its MAC:
 * the target seals it under a fixed key first, so that the input reaches
 * the parser behind the MAC check. A decoded ban must satisfy
 * ipc_ban_decode, and since the format has one encoding per list of
 * bans, encoding the decoded bans must give back the sealed input.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "banfile.h"
#include "fuzz.h"

#define FUZZ_INPUT_MAX	8192
/* A ban takes at least 11 bytes, so an input contains fewer than this. */
#define FUZZ_BANS_MAX	(FUZZ_INPUT_MAX / 11)

static const uint8_t fuzz_key[BANFILE_KEY_LEN] = { 0x42 };

struct fuzz_bans {
	struct ipc_ban	bans[FUZZ_BANS_MAX];
	size_t		count;
	size_t		calls;
};

static void
fuzz_collect(const struct ipc_ban *ban, void *arg)
{
	struct fuzz_bans *got = arg;
	struct ipc_ban check;

	FUZZ_CHECK(ipc_ban_decode(ban, sizeof(*ban), &check) == 0);
	FUZZ_CHECK(got->count < FUZZ_BANS_MAX);
	got->bans[got->count++] = *ban;
	got->calls++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_bans got;
	unsigned int mac_len = 0;
	const char *reason = NULL;
	uint8_t *file, *again;
	long n, m;

	if (size > FUZZ_INPUT_MAX || (file = malloc(size + 32)) == NULL)
		return (0);
	memcpy(file, data, size);
	FUZZ_CHECK(HMAC(EVP_sha256(), fuzz_key, sizeof(fuzz_key), file,
	    size, file + size, &mac_len) != NULL);

	got.count = got.calls = 0;
	n = banfile_decode(file, size + 32, fuzz_key, fuzz_collect, &got,
	    &reason);
	FUZZ_CHECK(n >= 0 ? reason == NULL : n == -EBADMSG && reason != NULL);
	FUZZ_CHECK(n >= 0 ? (size_t)n == got.calls : got.calls == 0);

	if (n >= 0 && (again = malloc(size + 32)) != NULL) {
		FUZZ_CHECK(banfile_size(got.bans, got.count) == size + 32);
		m = banfile_encode(got.bans, got.count, fuzz_key, again,
		    size + 32);
		FUZZ_CHECK(m == (long)(size + 32));
		FUZZ_CHECK(memcmp(again, file, size + 32) == 0);
		free(again);
	}
	free(file);
	return (0);
}
