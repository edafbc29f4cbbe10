/*
 * Coalescing of TCP segments bound for the tun device, in the manner of
 * the kernel's generic receive offload (GRO). The network process opens
 * the device with IFF_VNET_HDR, so one write can carry a run of segments
 * of one TCP flow as a single large packet, with a virtio-net header
 * that describes how the kernel splits it again. The kernel then routes,
 * forwards and delivers one packet where it would have handled dozens,
 * which is most of the cost of forwarding bulk TCP.
 *
 * gro_plan only decides and rewrites headers; it does no I/O. Merged
 * segments must be written with their payloads in order after the head
 * packet's headers: see struct gro_write.
 */
#ifndef HEADEND_GRO_H
#define HEADEND_GRO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The virtio-net header that precedes every packet on a tun descriptor
 * opened with IFF_VNET_HDR (struct virtio_net_hdr in <linux/virtio_net.h>),
 * in host byte order, as the kernel reads it when IFF_VNET_LE is not set.
 */
struct gro_vnet_hdr {
	uint8_t		flags;
	uint8_t		gso_type;
	uint16_t	hdr_len;
	uint16_t	gso_size;
	uint16_t	csum_start;
	uint16_t	csum_offset;
};

#define GRO_VNET_HDR_LEN	10

#define GRO_F_NEEDS_CSUM	1	/* VIRTIO_NET_HDR_F_NEEDS_CSUM */
#define GRO_GSO_NONE		0	/* VIRTIO_NET_HDR_GSO_NONE */
#define GRO_GSO_TCPV4		1	/* VIRTIO_NET_HDR_GSO_TCPV4 */

/* The kernel's limit for one packet, and so for a merged one. */
#define GRO_PACKET_MAX		65535

/* One packet of a batch. gro_plan sets next and payload_off. */
struct gro_packet {
	uint8_t		*data;
	size_t		 len;
	size_t		 next;		/* next merged segment, or GRO_END */
	size_t		 payload_off;	/* where a merged segment's data starts */
};

#define GRO_END		((size_t)-1)

/*
 * One write to the tun device: hdr, then the head packet whole (its IP
 * and TCP headers rewritten to cover the merged run), then for every
 * further segment, following next from the head, the bytes from
 * payload_off to its end. len is the sum of all of that but hdr.
 */
struct gro_write {
	struct gro_vnet_hdr	hdr;
	size_t			head;
	size_t			count;
	size_t			len;
};

/*
 * Plan the writes for the n packets at pkts, in their order, into out,
 * which must have room for n entries. Returns the number of writes.
 *
 * Segments are merged only when the result is what the sender could
 * have sent as one TCP segment that the kernel then split. The packets
 * must be IPv4 without options, with DF set, and not fragments. The TCP
 * flags must be ACK, plus PSH on the last segment only. Both checksums
 * must be right, because the merged packet gets new ones. Addresses,
 * ports, TOS, TTL, acknowledgement number, window and options must be
 * identical, and sequence numbers consecutive. Every payload has the size of the first
 * but the last, which may be shorter, and the total is at most
 * GRO_PACKET_MAX bytes. Anything else, IPv6 included, is written
 * as it came, with a header that requests no offload. A segment that cannot
 * join its flow's run ends the run, so no flow is reordered.
 *
 * The head of a merged run gets the total length, a new IP header
 * checksum, the PSH flag when any segment had it, and the TCP pseudo
 * header sum in place of its checksum, as GRO_F_NEEDS_CSUM requires.
 */
size_t
gro_plan(struct gro_packet *pkts, size_t n, struct gro_write *out);

/*
 * Store the virtio-net header hdr in the GRO_VNET_HDR_LEN bytes at out,
 * or parse it from them.
 */
void
gro_vnet_hdr_put(const struct gro_vnet_hdr *hdr, uint8_t *out);

void
gro_vnet_hdr_get(const uint8_t *in, struct gro_vnet_hdr *hdr);

/* Called by gro_split for each segment, which it may change. */
typedef void gro_emit_fn(void *arg, uint8_t *seg, size_t len);

/*
 * Cut a TCP/IPv4 packet that the device handed over with GRO_GSO_TCPV4
 * into the segments the kernel would have sent. Each carries gso_size
 * bytes of payload, the last one less. Sequence numbers, IP ids and
 * lengths advance; FIN and PSH stay on the last segment only and CWR on
 * the first; both checksums are computed. Each segment is built in
 * seg_buf, of seg_size bytes, and passed to emit.
 *
 * Returns the number of segments, or -EINVAL when pkt is not such a
 * packet or a segment would not fit in seg_size. The headers come from
 * the packet itself, not from hdr_len.
 */
int
gro_split(const uint8_t *pkt, size_t len, const struct gro_vnet_hdr *hdr,
    uint8_t *seg_buf, size_t seg_size, gro_emit_fn *emit, void *arg);

/*
 * Finish a packet read from the device with GRO_F_NEEDS_CSUM: sum the
 * bytes from csum_start to the end, fold in the partial sum already at
 * csum_start + csum_offset, and store the result there; a UDP sum of
 * zero is stored as 0xffff. Returns 0, or -EINVAL when the offsets do
 * not fit in len bytes.
 */
int
gro_complete_csum(uint8_t *pkt, size_t len, const struct gro_vnet_hdr *hdr);

#endif
