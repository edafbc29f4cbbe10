/*
 * Per-source accounting: how many unauthenticated connections and
 * logins in progress each client address holds, so one address cannot
 * use up what every client shares.
 */
#ifndef HEADEND_SOURCE_H
#define HEADEND_SOURCE_H

#include <stdbool.h>

#define SOURCE_ADDR_MAX	46	/* INET6_ADDRSTRLEN */

enum source_kind {
	SOURCE_CONNECTION,	/* TLS connections not yet a tunnel */
	SOURCE_LOGIN,		/* logins between first request and cookie */
};

struct source_table;

struct source_table *source_table_new(void);

/*
 * Count one more of kind for address, unless its count has reached
 * limit (0 = no limit). At the limit it counts nothing and returns false.
 */
bool	source_add(struct source_table *t, const char *address,
	    enum source_kind kind, int limit);
void	source_del(struct source_table *t, const char *address,
	    enum source_kind kind);

/* Return the count of kind for address, 0 for an address not in the table. */
int	source_count(struct source_table *t, const char *address,
	    enum source_kind kind);

#endif
