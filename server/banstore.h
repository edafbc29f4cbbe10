/*
 * The parent's copy of the network process's bans. The network process
 * reports every ban it starts or lifts, and a network process that the
 * parent starts again after a crash gets the bans still running, so a
 * restart does not give a guesser a fresh count. With a key file, the
 * copy is also written to the ban file next to the state file
 * (banfile.h), so that a restart of the whole daemon keeps the bans too.
 */
#ifndef HEADEND_BANSTORE_H
#define HEADEND_BANSTORE_H

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "banfile.h"
#include "ipc.h"

/* Bans kept: when full, the ban that ends first gives way. */
#define BANSTORE_MAX		BANFILE_MAX
/* Seconds a change waits before the ban file is written. */
#define BANSTORE_SAVE_DELAY	1

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

/*
 * Keep the bans in the ban file at path, under key: take the bans of the
 * file that still run at now, then write the file again within
 * BANSTORE_SAVE_DELAY seconds of every change. A file that cannot be
 * read or fails a check is logged and left until the next change
 * replaces it. Returns 0 or -ENOMEM.
 */
int	banstore_persist(struct banstore *bs, struct event_base *base,
	    const char *path, const uint8_t key[BANFILE_KEY_LEN], time_t now);

/* In a child of the parent: wipe the ban file's key. bs may be NULL. */
void	banstore_close_in_child(struct banstore *bs);

/* Write the ban file now when a change waits, as before a stop. */
void	banstore_flush(struct banstore *bs);

#endif
