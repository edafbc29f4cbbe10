/*
 * Fuzz the group-url parser with a URL as a client sends it in
 * <group-access>, and with a Host header and request target split at the
 * first newline. Normalising is idempotent: a parsed group-url written
 * back as "https://" host path must parse to the same group-url.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "groupurl.h"

static void
fuzz_check_normal(const struct groupurl *g)
{
	static char url[sizeof(g->host) + sizeof(g->path) + 16];
	struct groupurl again;

	FUZZ_CHECK(g->path[0] == '/');
	snprintf(url, sizeof(url), "https://%s%s", g->host, g->path);
	FUZZ_CHECK(groupurl_parse(url, &again) == 0);
	FUZZ_CHECK(groupurl_equal(g, &again));
	FUZZ_CHECK(strcmp(g->host, again.host) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct groupurl g;
	char *text, *target;
	int rc;

	if ((text = fuzz_strndup(data, size)) == NULL)
		return (0);
	rc = groupurl_parse(text, &g);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0)
		fuzz_check_normal(&g);

	target = strchr(text, '\n');
	if (target != NULL) {
		*target++ = '\0';
		rc = groupurl_from_request(text, target, &g);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			fuzz_check_normal(&g);
	}
	free(text);
	return (0);
}
