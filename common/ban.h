/*
 * Brute-force scoring. Failed logins are counted per source address and
 * username and per source address, with separate thresholds, and a
 * threshold reached bans for a while:
 *
 * - a pair (address, username) is banned after user_threshold failures,
 *   so a phone retrying a stale password stops, while other phones behind
 *   the same NAT address keep logging in;
 * - the address as a whole is banned after address_threshold failures
 *   over all its usernames, so one address cannot try many usernames.
 *
 * Attempts rejected by a ban are not checked and not counted, so a banned
 * pair adds at most user_threshold to its address's score. Scores decay:
 * every decay seconds one failure is forgotten. Time is passed in by the
 * caller, so tests need no clock.
 */
#ifndef HEADEND_BAN_H
#define HEADEND_BAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BAN_ADDR_MAX	46	/* INET6_ADDRSTRLEN */
#define BAN_USER_MAX	128

struct ban_limits {
	unsigned	user_threshold;		/* failures per address+user */
	unsigned	address_threshold;	/* failures per address */
	unsigned	ban_seconds;		/* how long a ban lasts */
	unsigned	decay_seconds;		/* one failure forgotten per */
};

/* One entry as shown by the status socket. */
struct ban_entry {
	char		address[BAN_ADDR_MAX];
	char		user[BAN_USER_MAX];	/* "" for an address ban */
	unsigned	score;
	time_t		banned_until;		/* 0 when not banned */
};

struct ban_table;

struct ban_table *ban_table_new(const struct ban_limits *limits);
void	ban_table_free(struct ban_table *t);
void	ban_table_set_limits(struct ban_table *t,
	    const struct ban_limits *limits);

/*
 * Return true when a login from address for user may be checked now;
 * false while the pair or the address is banned.
 */
bool	ban_allowed(struct ban_table *t, const char *address,
	    const char *user, time_t now);

/*
 * Start a password check of user from address, allowed by ban_allowed.
 * Returns false, and counts nothing, when the pair's failures and checks
 * still in flight already reach user_threshold. Otherwise the check
 * counts as in flight until ban_check_end. Without this, guesses for one
 * user sent in parallel would all reach the password check before the
 * first failure is counted. The address threshold does not count checks
 * in flight, because phones behind one NAT address all log in at once
 * after a power cut.
 */
bool	ban_check_start(struct ban_table *t, const char *address,
	    const char *user, time_t now);

/* End a check that ban_check_start counted, before scoring its result. */
void	ban_check_end(struct ban_table *t, const char *address,
	    const char *user);

/* Count a failed login; returns true when it started a ban. */
bool	ban_record_failure(struct ban_table *t, const char *address,
	    const char *user, time_t now);

/*
 * Return when the ban of user from address (user "": of the address)
 * ends, or 0 when it is not banned at now.
 */
time_t	ban_until(struct ban_table *t, const char *address, const char *user,
	    time_t now);

/*
 * Ban user from address (user "": the address) until the given time, as
 * a ban that an earlier network process started. Returns 0, or -ENOSPC
 * when the table is full or a name too long.
 */
int	ban_restore(struct ban_table *t, const char *address, const char *user,
	    time_t until, time_t now);

/* A successful login clears the pair's score. */
void	ban_record_success(struct ban_table *t, const char *address,
	    const char *user);

/* Remove the bans and scores of an address; returns how many entries. */
size_t	ban_remove(struct ban_table *t, const char *address);

/* Drop entries whose score decayed to zero and whose ban ended. */
void	ban_expire(struct ban_table *t, time_t now);

/*
 * Copy up to max entries that are banned now into out; returns the
 * number of banned entries, which may exceed max.
 */
size_t	ban_list(struct ban_table *t, time_t now, struct ban_entry *out,
	    size_t max);

#endif
