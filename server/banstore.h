/*
 * The parent's copy of the network process's bans. The network process
 * reports every ban it starts or lifts, and a network process that the
 * parent starts again after a crash gets the bans still running, so a
 * restart does not give a guesser a fresh count. The copy lives in
 * memory only: a restart of the whole daemon starts without bans.
 */
#ifndef HEADEND_BANSTORE_H
#define HEADEND_BANSTORE_H

#include <stdint.h>
#include <time.h>

#include "ipc.h"

#define BANSTORE_MAX	10000	/* bans kept; the one ending first goes */

struct banstore;

struct banstore *banstore_new(void);
void	banstore_free(struct banstore *bs);

/*
 * Record msg: it replaces the ban of its address and user, or, with
 * until 0, lifts every ban of its address. Bans that ended by now are
 * dropped first. Returns 0 or -ENOMEM.
 */
int	banstore_record(struct banstore *bs, const struct ipc_ban *msg,
	    time_t now);

/* Return the number of bans kept, ended ones included. */
size_t	banstore_count(const struct banstore *bs);

/*
 * Write the bans still running at now to a new memfd, as IPC_BAN
 * messages. Returns the memfd with *count set, or -1 with *count 0 when
 * there are none or they cannot be written (logged).
 */
int	banstore_export(struct banstore *bs, time_t now, uint64_t *count);

#endif
