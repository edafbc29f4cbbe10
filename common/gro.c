#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "gro.h"
#include "packet.h"

/* Offsets into headers at any alignment, as in packet.c. */
#define IPV4_HEADER_LEN		20
#define IPV4_OFF_TOS		1
#define IPV4_OFF_LENGTH		2
#define IPV4_OFF_FRAG		6
#define IPV4_OFF_TTL		8
#define IPV4_OFF_PROTOCOL	9
#define IPV4_OFF_CHECKSUM	10
#define IPV4_OFF_SRC		12
#define IPV4_FLAG_DF		0x4000
#define IPV4_PROTO_TCP		6
#define IPV4_PROTO_UDP		17

#define TCP_OFF_SEQ		4
#define TCP_OFF_ACK		8
#define TCP_OFF_DATA_OFFSET	12
#define TCP_OFF_FLAGS		13
#define TCP_OFF_WINDOW		14
#define TCP_OFF_CHECKSUM	16
#define TCP_HEADER_MIN		20
#define TCP_FLAG_PSH		0x08
#define TCP_FLAG_ACK		0x10

/* The fields of one TCP segment that gro_plan compares. */
struct gro_segment {
	const uint8_t	*ip;
	const uint8_t	*tcp;
	size_t		 tcp_len;	/* header with options */
	size_t		 payload;
	uint32_t	 seq;
	bool		 push;
};

/* A run being built: the head, the last segment and what they allow. */
struct gro_run {
	size_t			 write;		/* index into out */
	size_t			 last;
	struct gro_segment	 head;
	uint32_t		 next_seq;
	bool			 open;
	bool			 ended;
};

static uint32_t
gro_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The running sum of the TCP pseudo header of an IPv4 packet. */
static uint64_t
gro_pseudo_header_sum(const uint8_t *ip, size_t tcp_len)
{
	return (packet_sum(IPV4_PROTO_TCP + tcp_len, ip + IPV4_OFF_SRC, 8));
}

/*
 * Whether the TCP checksum of the IPv4 segment of len bytes is right.
 * A merged packet gets a checksum computed afresh, so a segment that
 * was corrupted on the way must not join one: the receiver would take
 * it. The checksum over the pseudo header and the segment must be 0.
 */
static bool
gro_tcp_checksum_ok(const uint8_t *pkt, size_t len)
{
	size_t tcp_len = len - IPV4_HEADER_LEN;
	uint64_t sum = gro_pseudo_header_sum(pkt, tcp_len);

	sum = packet_sum(sum, pkt + IPV4_HEADER_LEN, tcp_len);
	return (packet_checksum_finish(sum) == 0);
}

/* Whether pkt is a TCP segment that may be merged; fills *seg if so. */
static bool
gro_segment_parse(const uint8_t *pkt, size_t len, struct gro_segment *seg)
{
	size_t tcp_len;
	uint8_t flags;

	if (len < IPV4_HEADER_LEN + TCP_HEADER_MIN || pkt[0] != 0x45 ||
	    packet_get16(pkt + IPV4_OFF_LENGTH) != len ||
	    packet_get16(pkt + IPV4_OFF_FRAG) != IPV4_FLAG_DF ||
	    pkt[IPV4_OFF_PROTOCOL] != IPV4_PROTO_TCP)
		return (false);
	seg->ip = pkt;
	seg->tcp = pkt + IPV4_HEADER_LEN;
	tcp_len = (size_t)(seg->tcp[TCP_OFF_DATA_OFFSET] >> 4) * 4;
	if (tcp_len < TCP_HEADER_MIN || IPV4_HEADER_LEN + tcp_len >= len)
		return (false);

	/* ACK, maybe PSH, nothing else: no SYN, FIN, RST, URG, ECE, CWR. */
	flags = seg->tcp[TCP_OFF_FLAGS];
	if ((flags & ~TCP_FLAG_PSH) != TCP_FLAG_ACK ||
	    (seg->tcp[TCP_OFF_DATA_OFFSET] & 0x0f) != 0)
		return (false);
	if (packet_checksum(pkt, IPV4_HEADER_LEN) != 0 ||
	    !gro_tcp_checksum_ok(pkt, len))
		return (false);
	seg->tcp_len = tcp_len;
	seg->payload = len - IPV4_HEADER_LEN - tcp_len;
	seg->seq = gro_get32(seg->tcp + TCP_OFF_SEQ);
	seg->push = (flags & TCP_FLAG_PSH) != 0;
	return (true);
}

/* Same flow: addresses and ports. */
static bool
gro_same_flow(const struct gro_segment *a, const struct gro_segment *b)
{
	return (memcmp(a->ip + IPV4_OFF_SRC, b->ip + IPV4_OFF_SRC, 8) == 0 &&
	    memcmp(a->tcp, b->tcp, 4) == 0);
}

/*
 * Whether seg may follow run: what the kernel would copy from the head
 * into every segment when it cuts the merged packet must already match.
 */
static bool
gro_run_accepts(const struct gro_run *run, const struct gro_write *w,
    const struct gro_segment *seg)
{
	const struct gro_segment *h = &run->head;

	return (run->open && seg->seq == run->next_seq &&
	    seg->payload <= h->payload &&
	    w->len + seg->payload <= GRO_PACKET_MAX &&
	    seg->ip[IPV4_OFF_TOS] == h->ip[IPV4_OFF_TOS] &&
	    seg->ip[IPV4_OFF_TTL] == h->ip[IPV4_OFF_TTL] &&
	    seg->tcp_len == h->tcp_len &&
	    memcmp(seg->tcp + TCP_OFF_ACK, h->tcp + TCP_OFF_ACK, 4) == 0 &&
	    memcmp(seg->tcp + TCP_OFF_WINDOW, h->tcp + TCP_OFF_WINDOW, 2) == 0 &&
	    memcmp(seg->tcp + TCP_HEADER_MIN, h->tcp + TCP_HEADER_MIN,
	    h->tcp_len - TCP_HEADER_MIN) == 0);
}

static void
gro_run_append(struct gro_run *run, struct gro_packet *pkts, size_t i,
    struct gro_write *w, const struct gro_segment *seg)
{
	pkts[run->last].next = i;
	pkts[i].payload_off = IPV4_HEADER_LEN + seg->tcp_len;
	run->last = i;
	run->next_seq = seg->seq + (uint32_t)seg->payload;
	w->count++;
	w->len += seg->payload;

	/* A short segment or a push ends what the sender sent at once. */
	if (seg->payload < run->head.payload || seg->push)
		run->open = false;
}

/* The TCP pseudo header sum, folded and not inverted (NEEDS_CSUM). */
static uint16_t
gro_pseudo_sum(const uint8_t *ip, size_t tcp_len)
{
	return ((uint16_t)~packet_checksum_finish(
	    gro_pseudo_header_sum(ip, tcp_len)));
}

/* Rewrite the head of a merged run and fill in the virtio-net header. */
static void
gro_write_finish(struct gro_write *w, struct gro_packet *pkts,
    const struct gro_run *run)
{
	uint8_t *ip = pkts[w->head].data;
	uint8_t *tcp = ip + IPV4_HEADER_LEN;
	size_t i;

	for (i = pkts[w->head].next; i != GRO_END; i = pkts[i].next) {
		if (pkts[i].data[IPV4_HEADER_LEN + TCP_OFF_FLAGS] &
		    TCP_FLAG_PSH)
			tcp[TCP_OFF_FLAGS] |= TCP_FLAG_PSH;
	}
	packet_put16(ip + IPV4_OFF_LENGTH, (uint16_t)w->len);
	packet_put16(ip + IPV4_OFF_CHECKSUM, 0);
	packet_put16(ip + IPV4_OFF_CHECKSUM,
	    packet_checksum(ip, IPV4_HEADER_LEN));
	packet_put16(tcp + TCP_OFF_CHECKSUM,
	    gro_pseudo_sum(ip, w->len - IPV4_HEADER_LEN));

	w->hdr.flags = GRO_F_NEEDS_CSUM;
	w->hdr.gso_type = GRO_GSO_TCPV4;
	w->hdr.hdr_len = (uint16_t)(IPV4_HEADER_LEN + run->head.tcp_len);
	w->hdr.gso_size = (uint16_t)run->head.payload;
	w->hdr.csum_start = IPV4_HEADER_LEN;
	w->hdr.csum_offset = TCP_OFF_CHECKSUM;
}

#define GRO_RUNS	64	/* flows tracked at once; older runs end */

/* The newest run of seg's flow if it is still open, else NULL. */
static struct gro_run *
gro_run_find(struct gro_run *runs, size_t nruns, const struct gro_segment *seg)
{
	size_t k, valid = nruns < GRO_RUNS ? nruns : GRO_RUNS;
	struct gro_run *run;

	for (k = 0; k < valid; k++) {
		run = &runs[(nruns - 1 - k) % GRO_RUNS];
		if (gro_same_flow(&run->head, seg))
			return (run->open ? run : NULL);
	}
	return (NULL);
}

/* Close a run for good and rewrite its head if it merged anything. */
static void
gro_run_end(struct gro_run *run, struct gro_packet *pkts,
    struct gro_write *out)
{
	run->open = false;
	if (!run->ended && out[run->write].count > 1)
		gro_write_finish(&out[run->write], pkts, run);
	run->ended = true;
}

static size_t
gro_write_start(struct gro_write *out, size_t nout, struct gro_packet *pkts,
    size_t i)
{
	struct gro_write *w = &out[nout];

	memset(w, 0, sizeof(*w));
	w->head = i;
	w->count = 1;
	w->len = pkts[i].len;
	return (nout + 1);
}

/* A TCP packet that cannot be merged ends its flow's run: no reordering. */
static void
gro_plan_other(struct gro_run *runs, size_t nruns, struct gro_packet *pkts,
    size_t i, struct gro_write *out)
{
	struct gro_segment seg;
	struct gro_run *run;

	if (pkts[i].len < IPV4_HEADER_LEN + TCP_HEADER_MIN ||
	    (pkts[i].data[0] >> 4) != 4 ||
	    pkts[i].data[IPV4_OFF_PROTOCOL] != IPV4_PROTO_TCP)
		return;
	seg.ip = pkts[i].data;
	seg.tcp = pkts[i].data + (size_t)(pkts[i].data[0] & 0x0f) * 4;
	if (seg.tcp + 4 > pkts[i].data + pkts[i].len)
		return;
	if ((run = gro_run_find(runs, nruns, &seg)) != NULL)
		gro_run_end(run, pkts, out);
}

static void
gro_run_start(struct gro_run *run, size_t write, size_t i,
    const struct gro_segment *seg)
{
	run->write = write;
	run->last = i;
	run->head = *seg;
	run->next_seq = seg->seq + (uint32_t)seg->payload;
	run->open = !seg->push;
	run->ended = false;
}

size_t
gro_plan(struct gro_packet *pkts, size_t n, struct gro_write *out)
{
	struct gro_run runs[GRO_RUNS], *run;
	struct gro_segment seg;
	size_t i, nout = 0, nruns = 0, k;

	for (i = 0; i < n; i++) {
		pkts[i].next = GRO_END;
		pkts[i].payload_off = 0;
		if (!gro_segment_parse(pkts[i].data, pkts[i].len, &seg)) {
			gro_plan_other(runs, nruns, pkts, i, out);
			nout = gro_write_start(out, nout, pkts, i);
			continue;
		}
		run = gro_run_find(runs, nruns, &seg);
		if (run != NULL && gro_run_accepts(run, &out[run->write], &seg)) {
			gro_run_append(run, pkts, i, &out[run->write], &seg);
			if (!run->open)
				gro_run_end(run, pkts, out);
			continue;
		}
		if (run != NULL)
			gro_run_end(run, pkts, out);
		run = &runs[nruns % GRO_RUNS];
		if (nruns >= GRO_RUNS)
			gro_run_end(run, pkts, out);
		gro_run_start(run, nout, i, &seg);
		nruns++;
		nout = gro_write_start(out, nout, pkts, i);
	}
	for (k = 0; k < nruns && k < GRO_RUNS; k++)
		gro_run_end(&runs[k], pkts, out);
	return (nout);
}

void
gro_vnet_hdr_put(const struct gro_vnet_hdr *hdr, uint8_t *out)
{
	out[0] = hdr->flags;
	out[1] = hdr->gso_type;
	memcpy(out + 2, &hdr->hdr_len, 2);
	memcpy(out + 4, &hdr->gso_size, 2);
	memcpy(out + 6, &hdr->csum_start, 2);
	memcpy(out + 8, &hdr->csum_offset, 2);
}

void
gro_vnet_hdr_get(const uint8_t *in, struct gro_vnet_hdr *hdr)
{
	hdr->flags = in[0];
	hdr->gso_type = in[1];
	memcpy(&hdr->hdr_len, in + 2, 2);
	memcpy(&hdr->gso_size, in + 4, 2);
	memcpy(&hdr->csum_start, in + 6, 2);
	memcpy(&hdr->csum_offset, in + 8, 2);
}

#define TCP_FLAG_FIN		0x01
#define TCP_FLAG_CWR		0x80
#define IPV4_OFF_ID		4

/* Header lengths of a TCP/IPv4 packet that gro_split may cut, or 0. */
static size_t
gro_split_headers(const uint8_t *pkt, size_t len)
{
	size_t ip_len, tcp_len;

	if (len < IPV4_HEADER_LEN || (pkt[0] >> 4) != 4 ||
	    pkt[IPV4_OFF_PROTOCOL] != IPV4_PROTO_TCP)
		return (0);
	ip_len = (size_t)(pkt[0] & 0x0f) * 4;
	if (ip_len < IPV4_HEADER_LEN || ip_len + TCP_HEADER_MIN > len ||
	    packet_get16(pkt + IPV4_OFF_LENGTH) != len)
		return (0);
	tcp_len = (size_t)(pkt[ip_len + TCP_OFF_DATA_OFFSET] >> 4) * 4;
	if (tcp_len < TCP_HEADER_MIN || ip_len + tcp_len > len)
		return (0);
	return (ip_len + tcp_len);
}

/*
 * Fix the headers of segment k of a split packet, whose payload starts
 * offset bytes into the original payload, and emit it.
 */
static void
gro_split_emit(uint8_t *seg, size_t hdr_len, size_t payload, size_t offset,
    size_t k, bool last, gro_emit_fn *emit, void *arg)
{
	size_t ip_len = (size_t)(seg[0] & 0x0f) * 4, len = hdr_len + payload;
	uint8_t *tcp = seg + ip_len;
	uint32_t seq = gro_get32(tcp + TCP_OFF_SEQ) + (uint32_t)offset;
	uint16_t id = packet_get16(seg + IPV4_OFF_ID);

	packet_put16(seg + IPV4_OFF_LENGTH, (uint16_t)len);
	packet_put16(seg + IPV4_OFF_ID, (uint16_t)(id + k));
	packet_put16(seg + IPV4_OFF_CHECKSUM, 0);
	packet_put16(seg + IPV4_OFF_CHECKSUM, packet_checksum(seg, ip_len));
	tcp[TCP_OFF_SEQ] = (uint8_t)(seq >> 24);
	tcp[TCP_OFF_SEQ + 1] = (uint8_t)(seq >> 16);
	tcp[TCP_OFF_SEQ + 2] = (uint8_t)(seq >> 8);
	tcp[TCP_OFF_SEQ + 3] = (uint8_t)seq;
	if (!last)
		tcp[TCP_OFF_FLAGS] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
	if (k > 0)
		tcp[TCP_OFF_FLAGS] &= (uint8_t)~TCP_FLAG_CWR;
	packet_put16(tcp + TCP_OFF_CHECKSUM, gro_pseudo_sum(seg, len - ip_len));
	packet_put16(tcp + TCP_OFF_CHECKSUM,
	    packet_checksum(tcp, len - ip_len));
	emit(arg, seg, len);
}

int
gro_split(const uint8_t *pkt, size_t len, const struct gro_vnet_hdr *hdr,
    uint8_t *seg_buf, size_t seg_size, gro_emit_fn *emit, void *arg)
{
	size_t hdr_len = gro_split_headers(pkt, len), off, chunk, k;
	size_t mss = hdr->gso_size;

	if (hdr_len == 0 || hdr->gso_type != GRO_GSO_TCPV4 || mss == 0 ||
	    hdr_len + mss > seg_size || hdr_len >= len)
		return (-EINVAL);
	for (off = hdr_len, k = 0; off < len; off += chunk, k++) {
		chunk = len - off < mss ? len - off : mss;

		/* Every segment starts from the original headers. */
		memcpy(seg_buf, pkt, hdr_len);
		memcpy(seg_buf + hdr_len, pkt + off, chunk);
		gro_split_emit(seg_buf, hdr_len, chunk, off - hdr_len, k,
		    off + chunk == len, emit, arg);
	}
	return ((int)k);
}

int
gro_complete_csum(uint8_t *pkt, size_t len, const struct gro_vnet_hdr *hdr)
{
	size_t start = hdr->csum_start, field = start + hdr->csum_offset;
	uint16_t sum;

	if (start >= len || field + 2 > len)
		return (-EINVAL);
	sum = packet_checksum(pkt + start, len - start);

	/*
	 * In UDP, a zero checksum means "none", so a sum that comes out as
	 * zero is sent as its other form, all ones (RFC 768).
	 */
	if (sum == 0 && len > IPV4_OFF_PROTOCOL &&
	    pkt[IPV4_OFF_PROTOCOL] == IPV4_PROTO_UDP)
		sum = 0xffff;
	packet_put16(pkt + field, sum);
	return (0);
}
