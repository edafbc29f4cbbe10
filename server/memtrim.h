/*
 * Returning freed heap memory to the kernel after a burst of logins or
 * logouts. A storm of phones makes the network process allocate TLS
 * handshakes and login state for thousands of connections at once, and
 * a mass logout frees thousands of sessions. Afterwards glibc keeps most
 * of that memory mapped: it is free, but the chunks of live sessions sit
 * between the free ones, and the heap shrinks only at its top. A timer
 * on the control thread waits until the burst is over and then has
 * malloc_trim(3) give the free pages back.
 */
#ifndef HEADEND_MEMTRIM_H
#define HEADEND_MEMTRIM_H

#include <stdbool.h>
#include <stddef.h>

#define MEMTRIM_SECONDS		5	/* between two checks */
#define MEMTRIM_BURST		256	/* connections and session ends */
#define MEMTRIM_QUIET		32	/* connections still logging in */
#define MEMTRIM_FREE_MIN	((size_t)32 << 20)	/* bytes worth a trim */

struct netproc;

/*
 * Start the checks on np's control thread. Call before the sandbox,
 * because it opens /proc/self/statm. Returns 0 or -ENOMEM.
 */
int	memtrim_start(struct netproc *np);

/* Stop the checks and free their state. */
void	memtrim_stop(struct netproc *np);

/*
 * Return whether at least MEMTRIM_BURST connections came or sessions
 * ended since the last check that looked at the heap, and at most
 * MEMTRIM_QUIET connections are still open.
 */
bool	memtrim_burst_over(const struct netproc *np);

/*
 * Check once, as the timer does: trim the heap when the burst is over
 * and at least MEMTRIM_FREE_MIN bytes of it are free. Returns whether it
 * trimmed, and the bytes by which the resident memory fell in *released
 * (0 when /proc/self/statm could not be read).
 */
bool	memtrim_check(struct netproc *np, size_t *released);

#endif
