/*
 * Rate limits for log lines that clients can cause without logging in,
 * such as a login started or a connection that timed out, so that a
 * flood of them cannot fill the disk. Each call site keeps its own
 * limit, and its next line gives the number of lines left out.
 */
#ifndef HEADEND_LOGLIMIT_H
#define HEADEND_LOGLIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Lines that one call site may log in one second. */
#define LOGLIMIT_PER_SECOND	20

/* A call site's count, zero-initialised. One thread uses each. */
struct loglimit {
	time_t		second;		/* of the lines counted */
	unsigned int	lines;		/* logged in that second */
	uint64_t	skipped;	/* not logged since the last line */
};

/*
 * Return whether a line may be logged at now. When it may, *skipped is
 * the number of lines of this call site left out since the previous one.
 */
bool	loglimit_pass(struct loglimit *limit, time_t now, uint64_t *skipped);

#endif
