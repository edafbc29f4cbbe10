/*
 * A worker's copy of the session addresses: for every leased address,
 * which worker owns the session's tunnel, and on the owner the tunnel
 * itself. Only the worker's own thread reads or changes its copy; the
 * control thread sends every change to every worker in order.
 */
#ifndef HEADEND_ADDRMAP_H
#define HEADEND_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

struct tunnel;

struct addrmap_entry {
	uint32_t	addr;		/* host order */
	size_t		owner;		/* worker index; 0 while detached */
	struct tunnel	*tunnel;	/* set on the owner only */
	struct addrmap_entry *next;
};

struct addrmap *addrmap_new(void);
void	addrmap_free(struct addrmap *m);
struct addrmap_entry *addrmap_find(const struct addrmap *m, uint32_t addr);

/* Add addr or move it to owner. Returns 0 or -ENOMEM. */
int	addrmap_set_owner(struct addrmap *m, uint32_t addr, size_t owner);
void	addrmap_remove(struct addrmap *m, uint32_t addr);

#endif
