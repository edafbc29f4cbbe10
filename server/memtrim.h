/*
 * Returning freed heap memory to the kernel after a burst of logins. A
 * storm of phones makes the network process allocate TLS handshakes and
 * login state for thousands of connections at once. When they are done,
 * glibc keeps most of that memory mapped: it is free, but the chunks of
 * live sessions sit between the free ones, and the heap shrinks only at
 * its top. A timer on the control thread waits until the burst is over
 * and then has malloc_trim(3) give the free pages back.
 */
#ifndef HEADEND_MEMTRIM_H
#define HEADEND_MEMTRIM_H

#include <stdbool.h>
#include <stddef.h>

#define MEMTRIM_SECONDS		5	/* between two checks */
#define MEMTRIM_BURST		256	/* connections since the last check */
#define MEMTRIM_QUIET		32	/* connections still logging in */
#define MEMTRIM_FREE_MIN	((size_t)32 << 20)	/* bytes worth a trim */

struct netproc;

/* Start the checks on np's control thread. Returns 0 or -ENOMEM. */
int	memtrim_start(struct netproc *np);

/* Stop the checks and free their state. */
void	memtrim_stop(struct netproc *np);

/*
 * Return whether at least MEMTRIM_BURST connections came since the last
 * check that counted, and at most MEMTRIM_QUIET of them are still open.
 */
bool	memtrim_burst_over(const struct netproc *np);

/*
 * Check once, as the timer does: trim the heap when the burst is over
 * and at least MEMTRIM_FREE_MIN bytes of it are free. Returns the free
 * bytes when it trimmed, otherwise 0.
 */
size_t	memtrim_check(struct netproc *np);

#endif
