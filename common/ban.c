/* Brute-force scoring, declared in ban.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ban.h"
#include "hash.h"

#define BAN_BUCKETS	4096		/* power of two */
#define BAN_ENTRIES_MAX	100000		/* bounds memory under attack */

struct ban_record {
	char		address[BAN_ADDR_MAX];
	char		user[BAN_USER_MAX];	/* "" for the address */
	unsigned	score;
	time_t		decayed_at;	/* score is current as of this */
	time_t		banned_until;
	unsigned	in_flight;	/* password checks not yet answered */
	struct ban_record *next;
};

struct ban_table {
	struct ban_limits limits;
	size_t		count;
	struct ban_record *buckets[BAN_BUCKETS];
};

static size_t
ban_hash(const char *address, const char *user)
{
	return (hash_pair(address, strlen(address), user, strlen(user)) &
	    (BAN_BUCKETS - 1));
}

struct ban_table *
ban_table_new(const struct ban_limits *limits)
{
	struct ban_table *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->limits = *limits;
	return (t);
}

void
ban_table_set_limits(struct ban_table *t, const struct ban_limits *limits)
{
	t->limits = *limits;
}

void
ban_table_free(struct ban_table *t)
{
	struct ban_record *r, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < BAN_BUCKETS; i++) {
		for (r = t->buckets[i]; r != NULL; r = next) {
			next = r->next;
			free(r);
		}
	}
	free(t);
}

/* Bring a record's score and ban up to date at time now. */
static void
ban_refresh(const struct ban_table *t, struct ban_record *r, time_t now)
{
	unsigned decay = t->limits.decay_seconds;
	time_t steps;

	if (r->banned_until != 0 && r->banned_until <= now) {
		r->banned_until = 0;
		r->score = 0;
		r->decayed_at = now;
	}
	if (decay == 0 || now <= r->decayed_at)
		return;
	steps = (now - r->decayed_at) / (time_t)decay;
	if (steps >= (time_t)r->score)
		r->score = 0;
	else
		r->score -= (unsigned)steps;
	r->decayed_at += steps * (time_t)decay;
}

static struct ban_record *
ban_find(struct ban_table *t, const char *address, const char *user)
{
	struct ban_record *r = t->buckets[ban_hash(address, user)];

	for (; r != NULL; r = r->next) {
		if (strcmp(r->address, address) == 0 &&
		    strcmp(r->user, user) == 0)
			return (r);
	}
	return (NULL);
}

/* Find or create; NULL when the table is full or a name is too long. */
static struct ban_record *
ban_get(struct ban_table *t, const char *address, const char *user,
    time_t now)
{
	struct ban_record *r = ban_find(t, address, user);
	size_t b;

	if (r != NULL)
		return (r);
	if (t->count >= BAN_ENTRIES_MAX || strlen(address) >= BAN_ADDR_MAX ||
	    strlen(user) >= BAN_USER_MAX)
		return (NULL);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	strcpy(r->address, address);
	strcpy(r->user, user);
	r->decayed_at = now;
	b = ban_hash(address, user);
	r->next = t->buckets[b];
	t->buckets[b] = r;
	t->count++;
	return (r);
}

static bool
ban_active(const struct ban_table *t, struct ban_record *r, time_t now)
{
	if (r == NULL)
		return (false);
	ban_refresh(t, r, now);
	return (r->banned_until > now);
}

bool
ban_allowed(struct ban_table *t, const char *address, const char *user,
    time_t now)
{
	if (ban_active(t, ban_find(t, address, ""), now))
		return (false);
	return (!ban_active(t, ban_find(t, address, user), now));
}

/*
 * Return whether the failures and the checks in flight together reach
 * threshold (0: no threshold), so that one more check could pass it.
 * Without a check in flight nothing is awaited, so a score that reaches
 * a threshold lowered by a reload lets the next check decide.
 */
static bool
ban_check_full(const struct ban_table *t, struct ban_record *r,
    unsigned threshold, time_t now)
{
	if (r == NULL || threshold == 0 || r->in_flight == 0)
		return (false);
	ban_refresh(t, r, now);
	return (r->score + r->in_flight >= threshold);
}

bool
ban_check_start(struct ban_table *t, const char *address, const char *user,
    time_t now)
{
	struct ban_record *pair = ban_get(t, address, user, now);

	if (ban_check_full(t, pair, t->limits.user_threshold, now))
		return (false);
	if (pair != NULL)
		pair->in_flight++;
	return (true);
}

void
ban_check_end(struct ban_table *t, const char *address, const char *user)
{
	struct ban_record *pair = ban_find(t, address, user);

	if (pair != NULL && pair->in_flight > 0)
		pair->in_flight--;
}

/* Add one failure to a record; returns true when it started a ban. */
static bool
ban_score(struct ban_table *t, struct ban_record *r, unsigned threshold,
    time_t now)
{
	if (r == NULL || threshold == 0)
		return (false);
	ban_refresh(t, r, now);
	r->score++;
	if (r->banned_until != 0 || r->score < threshold)
		return (false);
	r->banned_until = now + (time_t)t->limits.ban_seconds;
	return (true);
}

bool
ban_record_failure(struct ban_table *t, const char *address,
    const char *user, time_t now)
{
	bool pair, whole;

	pair = ban_score(t, ban_get(t, address, user, now),
	    t->limits.user_threshold, now);
	whole = ban_score(t, ban_get(t, address, "", now),
	    t->limits.address_threshold, now);
	return (pair || whole);
}

time_t
ban_until(struct ban_table *t, const char *address, const char *user,
    time_t now)
{
	struct ban_record *r = ban_find(t, address, user);

	return (ban_active(t, r, now) ? r->banned_until : 0);
}

int
ban_restore(struct ban_table *t, const char *address, const char *user,
    time_t until, time_t now)
{
	struct ban_record *r = ban_get(t, address, user, now);

	if (r == NULL)
		return (-ENOSPC);

	/* As a ban reached by scoring would have it, for show bans. */
	r->score = user[0] != '\0' ? t->limits.user_threshold :
	    t->limits.address_threshold;
	r->decayed_at = now;
	r->banned_until = until;
	return (0);
}

void
ban_record_success(struct ban_table *t, const char *address,
    const char *user)
{
	struct ban_record *r = ban_find(t, address, user);

	if (r != NULL && r->banned_until == 0)
		r->score = 0;
}

/* Unlink and free the records that match; returns how many. */
static size_t
ban_unlink_if(struct ban_table *t, size_t bucket, const char *address,
    time_t now, bool expired_only)
{
	struct ban_record **pp = &t->buckets[bucket], *r;
	size_t n = 0;

	while ((r = *pp) != NULL) {
		bool drop;

		if (expired_only) {
			ban_refresh(t, r, now);
			drop = r->score == 0 && r->banned_until == 0 &&
			    r->in_flight == 0;
		} else {
			drop = strcmp(r->address, address) == 0;
		}
		if (drop && r->in_flight > 0) {
			/* Lifted, but its checks in flight still count. */
			r->score = 0;
			r->banned_until = 0;
			n++;
			drop = false;
		}
		if (!drop) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		free(r);
		t->count--;
		n++;
	}
	return (n);
}

size_t
ban_remove(struct ban_table *t, const char *address)
{
	size_t i, n = 0;

	for (i = 0; i < BAN_BUCKETS; i++)
		n += ban_unlink_if(t, i, address, 0, false);
	return (n);
}

void
ban_expire(struct ban_table *t, time_t now)
{
	size_t i;

	for (i = 0; i < BAN_BUCKETS; i++)
		ban_unlink_if(t, i, NULL, now, true);
}

size_t
ban_list(struct ban_table *t, time_t now, struct ban_entry *out, size_t max)
{
	struct ban_record *r;
	size_t i, n = 0;

	for (i = 0; i < BAN_BUCKETS; i++) {
		for (r = t->buckets[i]; r != NULL; r = r->next) {
			if (!ban_active(t, r, now))
				continue;
			if (n < max) {
				strcpy(out[n].address, r->address);
				strcpy(out[n].user, r->user);
				out[n].score = r->score;
				out[n].banned_until = r->banned_until;
			}
			n++;
		}
	}
	return (n);
}
