/*
 * Rate limits for log lines that clients can cause, declared in
 * loglimit.h.
 */
#include "loglimit.h"

bool
loglimit_pass(struct loglimit *limit, time_t now, uint64_t *skipped)
{
	if (now != limit->second) {
		limit->second = now;
		limit->lines = 0;
	}

	if (limit->lines >= LOGLIMIT_PER_SECOND) {
		limit->skipped++;
		return (false);
	}

	limit->lines++;
	*skipped = limit->skipped;
	limit->skipped = 0;
	return (true);
}
