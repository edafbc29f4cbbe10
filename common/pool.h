/*
 * A deterministic IPv4 address pool. Addresses are host-order uint32_t
 * values, and a lease always takes the lowest free address, so the same
 * sequence of leases and releases always yields the same addresses.
 */
#ifndef HEADEND_POOL_H
#define HEADEND_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest range pool_new accepts, in addresses (a /12). */
#define POOL_ADDRESSES_MAX	(1u << 20)

struct pool;

/*
 * Create a pool of the addresses first..last inclusive. A prefix of 0..32
 * means the range lies inside the network first/prefix, so that network's
 * own address and its broadcast address are never leased. For /31 and
 * /32 every address is usable, as RFC 3021 allows for /31 links. A prefix
 * of -1 means a plain range in which every address is usable. Addresses
 * in excluded[] are never leased, and those outside the range are
 * ignored. Returns NULL and sets errno to EINVAL for first > last, a
 * prefix above 32 or a last address outside first's network, to E2BIG
 * for more than POOL_ADDRESSES_MAX addresses, or to ENOMEM.
 */
struct pool *
pool_new(uint32_t first, uint32_t last, int prefix,
    const uint32_t *excluded, size_t nexcluded);

void
pool_free(struct pool *p);

/*
 * Lease the lowest free address that is not reserved into *addr.
 * Returns 0 or -ENOSPC.
 */
int
pool_lease(struct pool *p, uint32_t *addr);

/*
 * Lease addr itself, for sticky and static assignments; addr may be
 * reserved. Returns 0, -EADDRINUSE when it is already leased, or -EINVAL
 * when it is outside the range, excluded, or the network or broadcast
 * address.
 */
int
pool_lease_addr(struct pool *p, uint32_t addr);

/*
 * Reserve addr for pool_lease_addr alone, as a static address: pool_lease
 * never returns it, even while it is free. A reserved address that is
 * leased stays leased. Returns 0 (also when it was reserved already), or
 * -EINVAL when addr is outside the range, excluded, or the network or
 * broadcast address.
 */
int
pool_reserve(struct pool *p, uint32_t addr);

/* Whether pool_reserve reserved addr. */
bool
pool_is_reserved(const struct pool *p, uint32_t addr);

/* Number of reserved addresses, leased or free. */
size_t
pool_reserved(const struct pool *p);

/* Release a leased address. Returns 0, or -EINVAL if it was not leased. */
int
pool_release(struct pool *p, uint32_t addr);

/* Whether addr lies in first..last, leasable or not. */
bool
pool_contains(const struct pool *p, uint32_t addr);

/* Number of leasable addresses: the range less network, broadcast and
 * excluded addresses. */
size_t
pool_size(const struct pool *p);

/* Number of addresses currently leased. */
size_t
pool_used(const struct pool *p);

/* The netmask of a prefix length, host order; 0 for a length of 0. */
static inline uint32_t
pool_prefix_mask(int prefix)
{
	return (prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix));
}

#endif
