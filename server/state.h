/*
 * The parent's side of the session journal (journal.h), the state file
 * that lets sessions survive a restart or a crash of the daemon. The
 * parent is the only process with the key, so it writes the
 * journal from what the network process reports and hands the live
 * sessions to every network process it starts, which restores them.
 *
 * The key file also yields the key that signs login handles, so that it
 * outlives restarts too. When the state file or the key file cannot be
 * used, the reason is logged and headend runs without restart-safe
 * sessions.
 */
#ifndef HEADEND_STATE_H
#define HEADEND_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "banfile.h"
#include "config.h"
#include "ipc.h"

struct state;

/*
 * Load the state file of cfg and keep it open for appending. Returns
 * NULL only when out of memory.
 */
struct state *state_open(const struct config *cfg, struct event_base *base);

/* Append what the network process reported; failures are logged. */
void	state_record(struct state *st, const struct ipc_session *msg);

/*
 * Fill the first message to a new network process. Returns a memfd with
 * the live sessions to attach, or -1 when there are none or they cannot
 * be written (logged); then msg->nsessions is 0.
 */
int	state_start_message(struct state *st, struct ipc_start *msg);

/*
 * Write the path of the journal's key file: key-file, or state-file with
 * ".key". Returns 0 or -ENAMETOOLONG.
 */
int	state_key_path(const struct config *cfg, char *buf, size_t len);

/*
 * Write the path of the ban file, next to the state file, and derive its
 * key from the key file. Returns 0, or -ENOENT when the state file is
 * not in use (its problem is logged at open), or -errno.
 */
int	state_ban_file(const struct state *st, char *path, size_t len,
	    uint8_t key[BANFILE_KEY_LEN]);

/*
 * Return whether a live session has an address for which match is true.
 * Without a state file in use, or after a login that could not be
 * recorded, the sessions are not all known, so it returns true.
 */
bool	state_any_address(const struct state *st,
	    bool (*match)(uint32_t addr, void *arg), void *arg);

/* Forget every session, for a stop that logs everyone off. */
void	state_discard(struct state *st);

/*
 * In a child of the parent: close the journal's descriptors, which only
 * the parent may use. st may be NULL.
 */
void	state_close_in_child(struct state *st);

/* Sync and close the journal and free st. st may be NULL. */
void	state_close(struct state *st);

#endif
