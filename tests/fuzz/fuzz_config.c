/*
 * Fuzz the configuration loader. config_load reads a file, so each input
 * is written to a temporary file first. Every error must reach the
 * callback as one "file:line: message" line, and the count of those lines
 * must be what config_load returns.
 */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

/*
 * Write the input to a new file and return its descriptor, or abort. The
 * caller removes the file after each input, so a crash leaves one behind
 * at most.
 */
static int
fuzz_write_file(char *path, const uint8_t *data, size_t size)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(path);
		abort();
	}
	return (fd);
}

static void
fuzz_count_error(void *arg, const char *message)
{
	int *count = arg;

	FUZZ_CHECK(message != NULL && message[0] != '\0');
	FUZZ_CHECK(strchr(message, '\n') == NULL);
	(*count)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_config.XXXXXX";
	struct config *cfg = NULL;
	size_t i;
	int count = 0, fd, rc;

	/* config_load rejects @include, so libconfig opens no other file. */
	fd = fuzz_write_file(path, data, size);
	rc = config_load(path, &cfg, fuzz_count_error, &count);
	unlink(path);
	close(fd);
	FUZZ_CHECK(rc == count);
	if (rc != 0) {
		FUZZ_CHECK(cfg == NULL);
		return (0);
	}
	FUZZ_CHECK(cfg != NULL);
	FUZZ_CHECK(cfg->nlisteners <= CONFIG_MAX_LISTENERS);
	FUZZ_CHECK(cfg->npools <= CONFIG_MAX_POOLS);
	for (i = 0; i < cfg->ntgroups; i++) {
		FUZZ_CHECK(config_find_tgroup(cfg, cfg->tgroups[i].name) !=
		    NULL);
		FUZZ_CHECK(cfg->tgroups[i].pool < cfg->npools);
		FUZZ_CHECK(cfg->tgroups[i].policy < cfg->npolicies);
	}
	for (i = 0; i < cfg->npools; i++)
		FUZZ_CHECK(cfg->pools[i].first <= cfg->pools[i].last);
	config_free(cfg);
	return (0);
}
