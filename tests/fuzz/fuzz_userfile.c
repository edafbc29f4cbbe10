/*
 * Fuzz the user file's line checks. userfile_check and userfile_duplicates
 * read a file, so each input is written to a temporary file first. The
 * two must agree with their headers: userfile_check fails with -EBADMSG
 * exactly when it reported a line other than a warning,
 * userfile_duplicates returns the number of lines it reported, and no
 * malformed line is part of a duplicate.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "userfile.h"

/* userfile_check's reason for a well-formed line with an unusable hash. */
#define FUZZ_REASON_HASH	"the hash is not one that crypt(3) accepts"

/* More lines than an input of this size can hold. */
#define FUZZ_INPUT_MAX	8192

struct fuzz_lines {
	bool		bad[FUZZ_INPUT_MAX + 2];	/* by line number */
	unsigned long	last;		/* the last line reported */
	long		calls;
	long		warnings;	/* calls with a warning-only reason */
};

static void
fuzz_malformed(void *arg, unsigned long line, const char *reason)
{
	struct fuzz_lines *got = arg;

	FUZZ_CHECK(line > got->last && line <= FUZZ_INPUT_MAX + 1);
	FUZZ_CHECK(reason != NULL && reason[0] != '\0');
	/* A line whose hash crypt(3) rejects is still that user's line. */
	if (userfile_reason_warns(reason))
		got->warnings++;
	else if (strcmp(reason, FUZZ_REASON_HASH) != 0)
		got->bad[line] = true;
	got->last = line;
	got->calls++;
}

static void
fuzz_duplicate(void *arg, unsigned long line, unsigned long first_line,
    const char *user)
{
	struct fuzz_lines *got = arg;

	FUZZ_CHECK(first_line > 0 && first_line < line);
	FUZZ_CHECK(line > got->last && line <= FUZZ_INPUT_MAX + 1);
	FUZZ_CHECK(!got->bad[line] && !got->bad[first_line]);
	FUZZ_CHECK(userfile_name_valid(user));
	got->last = line;
	got->calls++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_lines got;
	char path[] = "/tmp/fuzz_userfile.XXXXXX";
	int fd, rc;

	if (size > FUZZ_INPUT_MAX)
		return (0);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(path);
		abort();
	}

	memset(&got, 0, sizeof(got));
	rc = userfile_check(path, fuzz_malformed, &got);
	FUZZ_CHECK(got.calls > got.warnings ? rc == -EBADMSG : rc == 0);

	/* A line with a NUL byte is malformed, so bad[] has them all. */
	got.last = 0;
	got.calls = 0;
	rc = userfile_duplicates(path, fuzz_duplicate, &got);
	FUZZ_CHECK(rc == got.calls);

	unlink(path);
	close(fd);
	return (0);
}
