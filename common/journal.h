/*
 * The session journal: the parent's file of live VPN sessions, so that a
 * restart or a crash of the daemon does not log anyone off. A client that
 * reconnects with its cookie after a restart finds its session, and its
 * address, restored from this file.
 *
 * The file is append-only. Each login, change and end of a session adds
 * one record, and journal_compact rewrites the file with only the live
 * sessions when ended sessions take up most of it. Every file has a random
 * file id, and every record carries an HMAC-SHA256 over the file id, the
 * record's sequence number and the record, under a key that only the
 * parent holds. Without the key, records cannot be changed, reordered,
 * copied from another file or forged. Cutting records off the end of the
 * file goes unnoticed, as it must, because a crash does the same. The
 * cookie itself is never stored, only its SHA-256 hash.
 *
 * File format, all integers big-endian:
 *
 *	header (JOURNAL_HEADER_LEN bytes):
 *	  magic		8 bytes, "HEJRNL\r\n"
 *	  version	u32, JOURNAL_VERSION
 *	  file id	16 random bytes, new for every file written
 *	  key id	8 bytes, the start of HMAC-SHA256(key, "key id")
 *	  id max	u64, highest session id used before this file
 *	  mac		32 bytes, HMAC-SHA256(key, the 44 bytes above)
 *	record:
 *	  length	u16, bytes of type and payload
 *	  check		u16, length XOR 0xffff
 *	  type		u8, enum journal_record
 *	  payload
 *	  mac		32 bytes, HMAC-SHA256(key, file id | sequence
 *			number as u64 | length | check | type | payload)
 *
 * The sequence number is the record's position in the file, counted from
 * 0 and not stored. A string in a payload is a u8 length and that many
 * bytes, without NUL. The payloads:
 *
 *	JOURNAL_UP	id u64, cookie hash (32 bytes), user, group, pool
 *			(strings), addr u32, started, expires, last_seen
 *			(i64 each), reconnects u32, flags u32, netmask u32
 *			(left out by earlier versions: read as 0)
 *	JOURNAL_UPDATE	id u64, last_seen i64, reconnects u32, flags u32
 *	JOURNAL_DOWN	id u64
 *
 * A later version may append fields to a payload. The loader skips the
 * bytes after the fields of its own version, so a rollback keeps the
 * sessions.
 *
 * Loading: the key id distinguishes a file written under another key
 * (foreign) from a damaged one (corrupt). A crash in the middle of an
 * append leaves a torn record at the end of the file. The loader cuts
 * that tail and keeps the records before it. The tail is torn when it is
 * an incomplete record, a record with a bad MAC followed by nothing but
 * zero bytes, or only zero bytes (some file systems show zeros in place
 * of data that a crash lost). Anything else that fails a check makes the
 * whole file corrupt. The loader then moves it aside to "<path>.rejected"
 * and starts with no sessions, because a record that is missing from the
 * middle could be the end of a session.
 *
 * Only one process may have the journal open: journal_open takes an
 * exclusive flock on "<path>.lock", and journal_compact writes
 * "<path>.tmp" before renaming it over path.
 */
#ifndef HEADEND_JOURNAL_H
#define HEADEND_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_VERSION		1
#define JOURNAL_HEADER_LEN	76	/* bytes */
#define JOURNAL_KEY_LEN		32	/* HMAC-SHA256 key */
#define JOURNAL_COOKIE_HASH_LEN	32	/* SHA-256 */
#define JOURNAL_USER_MAX	128	/* username, with NUL */
#define JOURNAL_NAME_MAX	64	/* group or pool name, with NUL */

/*
 * Rewrite the file when it is more than JOURNAL_COMPACT_FACTOR times the
 * size of its live sessions, but not before it reaches JOURNAL_COMPACT_MIN
 * bytes, so that a small file is not rewritten on every logout.
 */
#define JOURNAL_COMPACT_FACTOR	4
#define JOURNAL_COMPACT_MIN	(64 * 1024)

/* Labels for journal_key_derive: one key per purpose. */
#define JOURNAL_LABEL_JOURNAL	"headend session journal v1"
#define JOURNAL_LABEL_COOKIE	"headend cookie v1"
#define JOURNAL_LABEL_OPAQUE	"headend opaque v1"

/* Bits of journal_session.flags. */
#define JOURNAL_ATTACHED	0x1u	/* a client was connected */
#define JOURNAL_CONNECTED	0x2u	/* the session had a tunnel */

enum journal_record {
	JOURNAL_UP = 1,		/* login: the whole session */
	JOURNAL_UPDATE = 2,	/* attach, detach or reconnect */
	JOURNAL_DOWN = 3,	/* the session ended */
};

/* Result of journal_open. */
enum journal_status {
	JOURNAL_FRESH = 0,	/* no file, or an empty one */
	JOURNAL_LOADED = 1,	/* every record valid */
	JOURNAL_TRUNCATED = 2,	/* torn tail cut, the records before it kept */
	JOURNAL_CORRUPT = 3,	/* file moved aside, no sessions loaded */
	JOURNAL_FOREIGN = 4,	/* written under another key, moved aside */
};

/* One live session. Times are Unix seconds. */
struct journal_session {
	uint64_t	id;
	uint8_t		cookie_hash[JOURNAL_COOKIE_HASH_LEN];
	char		user[JOURNAL_USER_MAX];		/* not empty */
	char		group[JOURNAL_NAME_MAX];	/* tunnel-group */
	char		pool[JOURNAL_NAME_MAX];
	uint32_t	addr;		/* leased IPv4 address, host order */
	uint32_t	netmask;	/* of the login; 0 when not known */
	int64_t		started;	/* first authentication */
	int64_t		expires;	/* session timeout; 0 when none */
	int64_t		last_seen;	/* last attach or detach */
	uint32_t	reconnects;
	uint32_t	flags;		/* JOURNAL_ATTACHED and so on */
};

struct journal;

/*
 * Called by journal_open for each session that is live at the end of a
 * valid file, in login order. Returns true to keep the session, false to
 * drop it (expired, its pool is gone). Never called for a corrupt or
 * foreign file.
 */
typedef bool journal_session_fn(const struct journal_session *s, void *arg);

/*
 * Load the journal at path under key, call on_session (may be NULL) for
 * each live session, and rewrite the file with the kept sessions, so that
 * *jp is ready to append. A missing file is created with mode 0600. When
 * the rewrite fails, the sessions stay loaded and journal_needs_rewrite
 * is true: journal_sync or the next append tries again.
 * Returns an enum journal_status; for JOURNAL_TRUNCATED, JOURNAL_CORRUPT
 * and JOURNAL_FOREIGN, err describes the problem, for the log. Returns
 * -EBUSY when another process has the journal open, or another -errno
 * with err set, and then *jp is not set.
 */
int
journal_open(const char *path, const uint8_t key[JOURNAL_KEY_LEN],
    struct journal **jp, journal_session_fn *on_session, void *arg,
    char *err, size_t errlen);

/*
 * Check the contents of a journal file, data, under key as journal_open
 * does. Then call on_session (may be NULL) for each session that is live
 * at the end, until it returns false. This is the parser alone, for
 * tests and fuzzing: it reads and writes no file. Returns an enum
 * journal_status with err set as journal_open sets it (JOURNAL_FRESH for
 * no data), or -errno.
 */
int
journal_parse_buffer(const uint8_t *data, size_t len,
    const uint8_t key[JOURNAL_KEY_LEN], journal_session_fn *on_session,
    void *arg, char *err, size_t errlen);

/*
 * Append a record. journal_append_up and journal_append_down call
 * fdatasync before they return, because a lost login makes a client
 * authenticate again and a lost logout would revive a cookie that the
 * user ended. journal_append_update only writes: losing an update costs
 * a restored session its latest last_seen, reconnects and flags, so the
 * caller may batch updates with journal_sync.
 *
 * Returns 0 or -errno: -EINVAL for a session with an empty user or an
 * unterminated string, -EEXIST for an id that is already live, -ENOENT
 * for an id that is not. On error the sessions are as before the call
 * and the record is cut off the file again. When cutting
 * it off fails, or fdatasync fails (after which the kernel may have
 * dropped the data), the next append first rewrites the file with
 * journal_compact.
 *
 * journal_append_down is the exception: when its record cannot be
 * written, the session ends in memory anyway and the file needs a
 * rewrite (journal_needs_rewrite), which the next append or
 * journal_sync makes.
 */
int
journal_append_up(struct journal *j, const struct journal_session *s);

int
journal_append_update(struct journal *j, uint64_t id, int64_t last_seen,
    uint32_t reconnects, uint32_t flags);

int
journal_append_down(struct journal *j, uint64_t id);

/*
 * Whether the journal's file or its lock file was deleted or replaced,
 * as by an operator who removed the state directory.
 */
bool
journal_file_gone(const struct journal *j);

/*
 * Write the journal's file and lock file again at their paths, whose
 * directory must exist. Returns 0 or -errno: -EBUSY when another process
 * has locked the new lock file.
 */
int
journal_recreate(struct journal *j);

/* Whether the file misses a change that only a rewrite can add. */
bool
journal_needs_rewrite(const struct journal *j);

/*
 * Whether the file misses the end of a session, so that loading it would
 * bring the session back. Implies journal_needs_rewrite.
 */
bool
journal_misses_ends(const struct journal *j);

/*
 * Call fdatasync if a record was written since the last one, or rewrite
 * the file with journal_compact when it needs that. Returns 0 or -errno;
 * after a failure the next append rewrites the file.
 */
int
journal_sync(struct journal *j);

/* Whether ended sessions take up enough of the file to compact it. */
bool
journal_compact_due(const struct journal *j);

/*
 * Write the live sessions to a new file with a new file id, fsync it and
 * rename it over the journal. Returns 0 or -errno. When writing the new
 * file fails, the old one stays in use. When only the fsync of the
 * directory fails, the new file is in use but a crash may bring back the
 * old one, which contains the same sessions.
 */
int
journal_compact(struct journal *j);

/*
 * Forget every session and write an empty journal, for a shutdown that
 * logs everyone off. Returns 0 or -errno.
 */
int
journal_clear(struct journal *j);

/* Find a live session by id. Returns NULL when there is none. */
const struct journal_session *
journal_find(const struct journal *j, uint64_t id);

/*
 * Call fn for each live session in login order, until it returns false.
 * fn must not change the journal.
 */
void
journal_foreach(const struct journal *j, journal_session_fn *fn, void *arg);

size_t
journal_count(const struct journal *j);

/*
 * Highest session id the journal has seen, including ended sessions and
 * earlier files, so that new ids can start above it.
 */
uint64_t
journal_id_max(const struct journal *j);

/* Size of the journal file in bytes. */
uint64_t
journal_file_size(const struct journal *j);

/* Sync unsynced records, release the lock and free j. j may be NULL. */
void
journal_close(struct journal *j);

/*
 * In a child forked by the journal's owner: close the child's copies of
 * the file and lock descriptors, so that it can neither write the
 * journal nor hold the lock after the owner is gone. The owner's lock
 * stays, because flock belongs to the open file, which the owner keeps
 * open. The child must not use j afterwards. j may be NULL.
 */
void
journal_close_in_child(struct journal *j);

/* SHA-256 of the cookie string, without its NUL. 0 or -EIO. */
int
journal_cookie_hash(const char *cookie,
    uint8_t hash[JOURNAL_COOKIE_HASH_LEN]);

/*
 * Read the key file at path into key, with the checks of
 * journal_key_load_or_create, but never create it. Returns 0, or -errno
 * with err set: -ENOENT when it is missing.
 */
int
journal_key_read(const char *path, uint8_t key[JOURNAL_KEY_LEN], char *err,
    size_t errlen);

/*
 * Write key to a new key file at path, complete or not at all, with mode
 * 0600. Returns 0 or -errno: -EEXIST when path exists.
 */
int
journal_key_write(const char *path, const uint8_t key[JOURNAL_KEY_LEN]);

/*
 * Read the JOURNAL_KEY_LEN random bytes of the key file at path into key,
 * or create the file with new random bytes and mode 0600 if it is
 * missing. An existing file must be a regular file of exactly
 * JOURNAL_KEY_LEN bytes, owned by the effective user and not accessible
 * to group or others. Returns 0, or -errno with err set: -EINVAL for a
 * wrong size or type, -EPERM for a wrong owner or mode.
 */
int
journal_key_load_or_create(const char *path, uint8_t key[JOURNAL_KEY_LEN],
    char *err, size_t errlen);

/*
 * Derive the key for one purpose (a JOURNAL_LABEL_ string) from the
 * key file's bytes with HKDF-Expand (RFC 5869, SHA-256). The key file's
 * bytes are uniformly random, so they serve as the pseudorandom key
 * without the extract step. Returns 0 or -EIO.
 */
int
journal_key_derive(const uint8_t master[JOURNAL_KEY_LEN], const char *label,
    uint8_t out[JOURNAL_KEY_LEN]);

#endif
