/*
 * IPv4 fragmentation, as a router does it (RFC 791 section 3.2, RFC 1812
 * section 5.2.6), for packets from the inside that are larger than a
 * client's data MTU and allow fragmentation. The tun device's MTU is the
 * largest of all clients', so the kernel does not cut them for a client
 * with a smaller one. No I/O.
 */
#ifndef HEADEND_IPFRAG_H
#define HEADEND_IPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called by ipfrag_split for each fragment, which it may change. */
typedef void	ipfrag_emit_fn(void *arg, uint8_t *frag, size_t len);

/* Returns whether the IPv4 header at pkt has DF (don't fragment) set. */
bool
ipfrag_dont_fragment(const uint8_t *pkt, size_t len);

/*
 * Cut the IPv4 packet pkt into fragments of at most mtu bytes. Each
 * repeats the header with its length, offset, MF flag and checksum set,
 * and carries a multiple of 8 bytes of the payload, the last one the
 * rest. A fragment of a fragment keeps the original offset and MF flag.
 * Options without the copy flag stay in the first fragment only: later
 * ones carry no-operation options in their place, so every header has
 * the same length. Each fragment is built in frag_buf, of frag_size
 * bytes, and passed to emit.
 *
 * Returns the number of fragments, or, with nothing emitted:
 *   - -EINVAL when pkt is not a valid IPv4 packet, has DF set, fits mtu
 *     already or has malformed options;
 *   - -EINVAL when its offset plus its payload passes 65535, or when mtu
 *     leaves less than 8 bytes of payload per fragment;
 *   - -EMSGSIZE when a fragment would not fit in frag_size.
 */
int
ipfrag_split(const uint8_t *pkt, size_t len, size_t mtu, uint8_t *frag_buf,
    size_t frag_size, ipfrag_emit_fn *emit, void *arg);

#endif
