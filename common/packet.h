/*
 * IPv4 helpers for the data path: header validation, ICMP "fragmentation
 * needed" replies, TCP MSS clamping and DSCP lookup. They work on raw
 * packets as read from the tun device or a tunnel, at any alignment, and
 * do no I/O. Addresses are in network byte order, all other numbers in
 * host order.
 */
#ifndef HEADEND_PACKET_H
#define HEADEND_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PACKET_IPV4_HEADER_MIN	20
#define PACKET_IPV4_HEADER_MAX	60

/*
 * Maximum length of a reply from packet_icmp_frag_needed: an IPv4 header,
 * the ICMP header, and the quoted header of up to 60 bytes plus 8 bytes
 * of its payload.
 */
#define PACKET_ICMP_FRAG_NEEDED_MAX \
	(PACKET_IPV4_HEADER_MIN + 8 + PACKET_IPV4_HEADER_MAX + 8)

/*
 * Validate the IPv4 header of the len bytes at pkt and return the packet's
 * total length, or 0 when the packet is invalid. Valid means version 4,
 * IHL >= 5 and header length <= total length <= len. Bytes past the total
 * length are padding and are not part of the packet. The header checksum
 * is not checked, because the kernel checks it on packets from the tun
 * device and TLS protects the packets from clients.
 */
size_t
packet_ipv4_length(const uint8_t *pkt, size_t len);

/*
 * Validate pkt as packet_ipv4_length does and store its source and
 * destination addresses in *src and *dst. Returns false, leaving *src and
 * *dst untouched, when the packet is invalid.
 */
bool
packet_ipv4_addrs(const uint8_t *pkt, size_t len, uint32_t *src,
    uint32_t *dst);

/*
 * Build an ICMP "destination unreachable, fragmentation needed and DF set"
 * message (type 3, code 4, RFC 1191) in out, as the reply to pkt, which
 * is too big for a link with the given MTU. The reply comes from the
 * address from (the headend's tun address) and goes to pkt's source. It
 * quotes pkt's IP header and the first 8 bytes of its payload, or less
 * when the payload is shorter.
 *
 * Returns the reply's length, or 0 when no reply may be sent:
 *   - pkt is not a valid IPv4 packet;
 *   - DF is clear, so the sender allows routers to fragment the packet and
 *     the caller must fragment it itself or drop it silently;
 *   - pkt is a fragment with a nonzero offset;
 *   - pkt is an ICMP error message, or an ICMP packet too short to tell;
 *   - pkt's source is not a single host (0.0.0.0/8, 127.0.0.0/8,
 *     multicast, 240.0.0.0/4 and 255.255.255.255), or its destination is
 *     multicast or 255.255.255.255 (RFC 1122 section 3.2.2, RFC 1812
 *     section 4.3.2.7);
 *   - out_size is smaller than the reply. A buffer of
 *     PACKET_ICMP_FRAG_NEEDED_MAX bytes or more always fits.
 *
 * NOTE: a broadcast to a directed subnet address (such as 10.0.0.255/24)
 * is not recognised, because this function does not know the netmask.
 */
size_t
packet_icmp_frag_needed(const uint8_t *pkt, size_t len, uint32_t from,
    uint16_t mtu, uint8_t *out, size_t out_size);

/*
 * Lower the MSS option of a TCP SYN or SYN-ACK to mss_max when it is
 * larger, and update the TCP checksum incrementally (RFC 1624), so that
 * the peers never pick segments too big for the tunnel. Returns true if
 * pkt was changed.
 *
 * pkt is left alone when it is not a valid IPv4 packet, not TCP, a
 * fragment with a nonzero offset, not a SYN, or when its TCP header or
 * options are malformed. A SYN without an MSS option is also left alone:
 * the peer then assumes 536 bytes (RFC 9293 section 3.7.1), which fits
 * any tunnel MTU of 576 or more.
 */
bool
packet_clamp_mss(uint8_t *pkt, size_t len, uint16_t mss_max);

/*
 * Returns the DSCP of an IPv4 packet (the upper six bits of the TOS byte),
 * or 0 (best effort) when pkt is not a valid IPv4 packet.
 */
uint8_t
packet_ipv4_dscp(const uint8_t *pkt, size_t len);

/*
 * Returns the Internet checksum (RFC 1071) of len bytes at data, as a host
 * order number to be stored big-endian. Summed over a header whose
 * checksum field is correct, it returns 0.
 */
uint16_t
packet_checksum(const void *data, size_t len);

/*
 * Add len bytes at data to a running Internet checksum sum, which starts
 * at 0, and return the new sum. Only the last piece may have an odd
 * length, because the words of a later piece would be misaligned.
 * packet_checksum_finish turns the sum into the checksum to store.
 */
uint64_t
packet_sum(uint64_t sum, const void *data, size_t len);

uint16_t
packet_checksum_finish(uint64_t sum);

/* Read or write a big-endian 16-bit field at any alignment. */
uint16_t
packet_get16(const uint8_t *p);

void
packet_put16(uint8_t *p, uint16_t value);

#endif
