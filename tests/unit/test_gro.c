#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gro.h"
#include "packet.h"

#define CLIENT_ADDR	0xc6130005u	/* 198.19.0.5 */
#define INSIDE_ADDR	0xc6120102u	/* 198.18.1.2 */
#define OTHER_ADDR	0xc6130006u	/* 198.19.0.6 */

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_PSH		0x08
#define TCP_ACK		0x10

#define MSS		1360
#define SLOTS		96
#define SLOT_SIZE	1600

/* A batch of packets built by the tests, one slot each. */
struct batch {
	uint8_t			slots[SLOTS][SLOT_SIZE];
	uint8_t			copy[SLOTS][SLOT_SIZE];
	struct gro_packet	pkts[SLOTS];
	struct gro_write	writes[SLOTS];
	size_t			n;
};

/* The TCP options of a Linux data segment: NOP, NOP, timestamps. */
static const uint8_t timestamps[12] = {
	1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0
};

struct segment {
	uint32_t	src, dst;
	uint16_t	sport, dport;
	uint32_t	seq, ack;
	uint8_t		flags;
	uint16_t	frag;		/* flags and offset word */
	size_t		payload;
	uint16_t	window;
	const uint8_t	*options;
	size_t		options_len;
};

static struct segment
flow_segment(uint32_t seq, size_t payload)
{
	struct segment s = {
		.src = CLIENT_ADDR, .dst = INSIDE_ADDR,
		.sport = 40000, .dport = 5201, .seq = seq, .ack = 777,
		.flags = TCP_ACK, .frag = 0x4000, .payload = payload,
		.window = 502,
		.options = timestamps, .options_len = sizeof(timestamps),
	};

	return (s);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The full TCP checksum of the segment at ip, as a sender computes it. */
static uint16_t
tcp_checksum(const uint8_t *ip, size_t len)
{
	uint8_t buf[12 + 65536];
	size_t tcp_len = len - 20;

	memcpy(buf, ip + 12, 8);
	buf[8] = 0;
	buf[9] = 6;
	put16(buf + 10, (uint16_t)tcp_len);
	memcpy(buf + 12, ip + 20, tcp_len);
	return (packet_checksum(buf, 12 + tcp_len));
}

/* Build s into the next slot of b, with correct checksums. */
static size_t
batch_add(struct batch *b, const struct segment *s)
{
	uint8_t *ip = b->slots[b->n], *tcp = ip + 20;
	size_t tcp_len = 20 + s->options_len, len = 20 + tcp_len + s->payload;
	size_t i;

	assert_true(len <= SLOT_SIZE);
	memset(ip, 0, len);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)len);
	put16(ip + 4, (uint16_t)(100 + b->n));
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	put16(ip + 10, packet_checksum(ip, 20));
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)(tcp_len / 4) << 4;
	tcp[13] = s->flags;
	put16(tcp + 14, s->window);
	memcpy(tcp + 20, s->options, s->options_len);
	for (i = 0; i < s->payload; i++)
		tcp[tcp_len + i] = (uint8_t)(s->seq + i);
	put16(tcp + 16, tcp_checksum(ip, len));

	memcpy(b->copy[b->n], ip, len);
	b->pkts[b->n].data = ip;
	b->pkts[b->n].len = len;
	return (b->n++);
}

static size_t
batch_plan(struct batch *b)
{
	return (gro_plan(b->pkts, b->n, b->writes));
}

/* A write that merged nothing carries the packet exactly as it came. */
static void
assert_unmerged(const struct batch *b, const struct gro_write *w)
{
	const struct gro_vnet_hdr zero = { 0 };

	assert_int_equal(w->count, 1);
	assert_int_equal(w->len, b->pkts[w->head].len);
	assert_int_equal(b->pkts[w->head].next, GRO_END);
	assert_memory_equal(&w->hdr, &zero, sizeof(zero));
	assert_memory_equal(b->pkts[w->head].data, b->copy[w->head],
	    b->pkts[w->head].len);
}

/* Concatenate what tun_write_run would write, without the header. */
static size_t
gather(const struct batch *b, const struct gro_write *w, uint8_t *out)
{
	const struct gro_packet *p = &b->pkts[w->head];
	size_t off = p->len, i;

	memcpy(out, p->data, p->len);
	for (i = p->next; i != GRO_END; i = b->pkts[i].next) {
		p = &b->pkts[i];
		memcpy(out + off, p->data + p->payload_off,
		    p->len - p->payload_off);
		off += p->len - p->payload_off;
	}
	return (off);
}

/*
 * Cut a merged write as the kernel does (TCP segmentation offload) and
 * check that every piece equals the original segment: same headers but
 * the IP id, the same payload, a correct TCP checksum.
 */
static void
assert_splits_into(const struct batch *b, const struct gro_write *w,
    size_t first)
{
	static uint8_t merged[65536], seg[SLOT_SIZE];
	size_t len = gather(b, w, merged), hdr = w->hdr.hdr_len, off, k, plen;
	uint32_t seq = get32(merged + 24);

	assert_int_equal(len, w->len);
	assert_int_equal(get16(merged + 2), len);
	assert_int_equal(packet_checksum(merged, 20), 0);
	assert_int_equal(w->hdr.flags, GRO_F_NEEDS_CSUM);
	assert_int_equal(w->hdr.gso_type, GRO_GSO_TCPV4);
	assert_int_equal(w->hdr.csum_start, 20);
	assert_int_equal(w->hdr.csum_offset, 16);
	for (off = hdr, k = first; off < len; off += plen, k++) {
		plen = len - off < w->hdr.gso_size ? len - off :
		    w->hdr.gso_size;
		memcpy(seg, merged, hdr);
		memcpy(seg + hdr, merged + off, plen);
		put16(seg + 2, (uint16_t)(hdr + plen));
		put32(seg + 24, seq + (uint32_t)(off - hdr));
		if (off + plen < len)
			seg[33] &= (uint8_t)~TCP_PSH;
		put16(seg + 36, 0);
		put16(seg + 36, tcp_checksum(seg, hdr + plen));
		put16(seg + 4, get16(b->copy[k] + 4));
		put16(seg + 10, 0);
		put16(seg + 10, packet_checksum(seg, 20));
		assert_int_equal(hdr + plen, b->pkts[k].len);
		assert_memory_equal(seg, b->copy[k], hdr + plen);
	}
	assert_int_equal(k, first + w->count);
}

static void
test_merges_a_run(void **state)
{
	static struct batch b;
	struct segment s;
	size_t i;

	(void)state;
	b.n = 0;
	for (i = 0; i < 4; i++) {
		s = flow_segment(1000 + (uint32_t)(i * MSS), MSS);
		batch_add(&b, &s);
	}
	s = flow_segment(1000 + 4 * MSS, 300);
	s.flags |= TCP_PSH;
	batch_add(&b, &s);

	assert_int_equal(batch_plan(&b), 1);
	assert_int_equal(b.writes[0].count, 5);
	assert_int_equal(b.writes[0].hdr.gso_size, MSS);
	assert_int_equal(b.writes[0].hdr.hdr_len, 20 + 32);
	assert_true(b.pkts[0].data[33] & TCP_PSH);
	assert_splits_into(&b, &b.writes[0], 0);
}

/* The partial sum plus the data must give the sender's checksum. */
static void
test_pseudo_sum_completes(void **state)
{
	static struct batch b;
	static uint8_t merged[65536];
	struct segment s;
	size_t len;
	uint16_t completed;

	(void)state;
	b.n = 0;
	s = flow_segment(5, MSS);
	batch_add(&b, &s);
	s = flow_segment(5 + MSS, MSS);
	batch_add(&b, &s);
	assert_int_equal(batch_plan(&b), 1);
	len = gather(&b, &b.writes[0], merged);
	assert_int_equal(gro_complete_csum(merged, len, &b.writes[0].hdr), 0);
	completed = get16(merged + 36);
	put16(merged + 36, 0);
	assert_int_equal(tcp_checksum(merged, len), completed);
}

static void
test_gap_starts_a_new_run(void **state)
{
	static struct batch b;
	struct segment s;

	(void)state;
	b.n = 0;
	s = flow_segment(0, MSS);
	batch_add(&b, &s);
	s = flow_segment(MSS + 1, MSS);		/* a hole: a loss upstream */
	batch_add(&b, &s);
	s = flow_segment(2 * MSS + 1, MSS);
	batch_add(&b, &s);

	assert_int_equal(batch_plan(&b), 2);
	assert_unmerged(&b, &b.writes[0]);
	assert_int_equal(b.writes[1].count, 2);
	assert_splits_into(&b, &b.writes[1], 1);
}

static void
test_interleaved_flows(void **state)
{
	static struct batch b;
	struct segment s;
	size_t i;

	(void)state;
	b.n = 0;
	for (i = 0; i < 3; i++) {
		s = flow_segment((uint32_t)(i * MSS), MSS);
		batch_add(&b, &s);
		s = flow_segment((uint32_t)(i * MSS), MSS);
		s.src = OTHER_ADDR;
		batch_add(&b, &s);
	}
	assert_int_equal(batch_plan(&b), 2);
	assert_int_equal(b.writes[0].count, 3);
	assert_int_equal(b.writes[1].count, 3);
	assert_int_equal(b.pkts[0].next, 2);
	assert_int_equal(b.pkts[1].next, 3);
}

static void
test_push_ends_the_run(void **state)
{
	static struct batch b;
	struct segment s;

	(void)state;
	b.n = 0;
	s = flow_segment(0, MSS);
	batch_add(&b, &s);
	s = flow_segment(MSS, MSS);
	s.flags |= TCP_PSH;
	batch_add(&b, &s);
	s = flow_segment(2 * MSS, MSS);
	batch_add(&b, &s);

	assert_int_equal(batch_plan(&b), 2);
	assert_int_equal(b.writes[0].count, 2);
	assert_splits_into(&b, &b.writes[0], 0);
	assert_unmerged(&b, &b.writes[1]);
}

static void
test_larger_segment_is_not_merged(void **state)
{
	static struct batch b;
	struct segment s;

	(void)state;
	b.n = 0;
	s = flow_segment(0, 500);
	batch_add(&b, &s);
	s = flow_segment(500, MSS);
	batch_add(&b, &s);
	assert_int_equal(batch_plan(&b), 2);
	assert_unmerged(&b, &b.writes[0]);
	assert_unmerged(&b, &b.writes[1]);
}

static void
test_short_segment_ends_the_run(void **state)
{
	static struct batch b;
	struct segment s;

	(void)state;
	b.n = 0;
	s = flow_segment(0, MSS);
	batch_add(&b, &s);
	s = flow_segment(MSS, 100);
	batch_add(&b, &s);
	s = flow_segment(MSS + 100, 100);
	batch_add(&b, &s);
	assert_int_equal(batch_plan(&b), 2);
	assert_int_equal(b.writes[0].count, 2);
	assert_unmerged(&b, &b.writes[1]);
}

static void
test_size_limit(void **state)
{
	static struct batch b;
	struct segment s;
	size_t i, nw, total = 0;

	(void)state;
	b.n = 0;
	for (i = 0; i < 80; i++) {
		s = flow_segment((uint32_t)(i * MSS), MSS);
		batch_add(&b, &s);
	}
	nw = batch_plan(&b);
	assert_int_equal(nw, 2);
	for (i = 0; i < nw; i++) {
		assert_true(b.writes[i].len <= GRO_PACKET_MAX);
		total += b.writes[i].count;
	}
	assert_int_equal(total, 80);
	assert_splits_into(&b, &b.writes[0], 0);
	assert_splits_into(&b, &b.writes[1], b.writes[0].count);
}

/* A segment that cannot be merged must not be overtaken by later data. */
static void
test_other_segment_keeps_order(void **state)
{
	static struct batch b;
	struct segment s;

	(void)state;
	b.n = 0;
	s = flow_segment(0, MSS);
	batch_add(&b, &s);
	s = flow_segment(MSS, 0);		/* a bare ACK */
	batch_add(&b, &s);
	s = flow_segment(MSS, MSS);
	batch_add(&b, &s);
	assert_int_equal(batch_plan(&b), 3);
	assert_unmerged(&b, &b.writes[0]);
	assert_unmerged(&b, &b.writes[1]);
	assert_unmerged(&b, &b.writes[2]);
}

/* Each of these differs from the run's head in one way that matters. */
static void
test_mismatches_are_not_merged(void **state)
{
	static struct batch b;
	static const uint8_t other_ts[12] = {
		1, 1, 8, 10, 0, 0, 0x10, 1, 0, 0, 0x20, 0
	};
	struct segment s;
	size_t i, nw;

	(void)state;
	for (i = 0; i < 8; i++) {
		b.n = 0;
		s = flow_segment(0, MSS);
		batch_add(&b, &s);
		s = flow_segment(MSS, MSS);
		if (i == 5)
			s.window = 0;
		if (i == 0)
			s.ack++;
		else if (i == 1)
			s.options = other_ts;
		else if (i == 2)
			s.options_len = 0;
		else if (i == 3)
			s.dport++;
		else if (i == 4)
			s.flags |= TCP_FIN;
		batch_add(&b, &s);

		/* A segment corrupted on the way must reach the receiver so. */
		if (i == 6)
			b.slots[1][60] ^= 0x40;
		else if (i == 7)
			b.slots[1][5] ^= 1;	/* IP id, header checksum wrong */
		if (i >= 6)
			memcpy(b.copy[1], b.slots[1], b.pkts[1].len);
		nw = batch_plan(&b);
		assert_int_equal(nw, 2);
		assert_unmerged(&b, &b.writes[0]);
		assert_unmerged(&b, &b.writes[1]);
	}
}

/* Packets that are never merged: each written alone, unchanged. */
static void
test_unmergeable_packets(void **state)
{
	static struct batch b;
	struct segment s;
	size_t i, nw;

	(void)state;
	b.n = 0;
	for (i = 0; i < 6; i++) {
		s = flow_segment((uint32_t)(i * MSS), MSS);
		if (i == 0)
			s.flags = TCP_SYN;
		else if (i == 1)
			s.frag = 0;		/* DF clear */
		else if (i == 2)
			s.frag = 0x2000 | 0x4000;	/* MF */
		else if (i == 3)
			s.flags = TCP_ACK | 0x80;	/* CWR */
		else if (i == 4)
			s.payload = 0;
		else
			s.flags = 0;		/* no ACK */
		batch_add(&b, &s);
	}

	/* Not IPv4 at all, and IPv4 that is not TCP. */
	s = flow_segment(0, 100);
	batch_add(&b, &s);
	b.slots[6][0] = 0x60;
	s = flow_segment(0, 100);
	batch_add(&b, &s);
	b.slots[7][9] = 17;
	memcpy(b.copy[6], b.slots[6], b.pkts[6].len);
	memcpy(b.copy[7], b.slots[7], b.pkts[7].len);

	nw = batch_plan(&b);
	assert_int_equal(nw, b.n);
	for (i = 0; i < nw; i++)
		assert_unmerged(&b, &b.writes[i]);
}

/* Truncated and inconsistent headers: no merge, no read past the end. */
static void
test_malformed_packets(void **state)
{
	static struct batch b;
	struct segment s;
	size_t i, nw;

	(void)state;
	b.n = 0;
	for (i = 0; i < 6; i++) {
		s = flow_segment((uint32_t)(i * MSS), MSS);
		batch_add(&b, &s);
	}
	b.pkts[0].len = 30;			/* cut in the TCP header */
	put16(b.slots[1] + 2, 1000);		/* total length too short */
	b.slots[2][32] = 0x40;			/* data offset below 20 */
	b.slots[3][32] = 0xf0;			/* options past the end */
	b.pkts[3].len = 70;
	put16(b.slots[3] + 2, 70);
	b.slots[4][0] = 0x46;			/* IP options */
	b.pkts[5].len = 3;
	for (i = 0; i < 6; i++)
		memcpy(b.copy[i], b.slots[i], b.pkts[i].len);

	nw = batch_plan(&b);
	assert_int_equal(nw, 6);
	for (i = 0; i < nw; i++)
		assert_unmerged(&b, &b.writes[i]);
}

static void
test_complete_csum(void **state)
{
	static struct batch b;
	struct gro_vnet_hdr hdr = { .flags = GRO_F_NEEDS_CSUM,
	    .csum_start = 20, .csum_offset = 16 };
	uint8_t pkt[SLOT_SIZE], pseudo[12];
	struct segment s = flow_segment(9, 200);
	size_t len;

	(void)state;
	b.n = 0;
	batch_add(&b, &s);
	len = b.pkts[0].len;
	memcpy(pkt, b.slots[0], len);

	/* Replace the checksum by the pseudo header sum, as offload does. */
	memcpy(pseudo, pkt + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)(len - 20));
	put16(pkt + 36, (uint16_t)~packet_checksum(pseudo, 12));
	assert_int_equal(gro_complete_csum(pkt, len, &hdr), 0);
	assert_memory_equal(pkt, b.copy[0], len);

	hdr.csum_start = (uint16_t)len;
	assert_int_equal(gro_complete_csum(pkt, len, &hdr), -EINVAL);
	hdr.csum_start = 20;
	hdr.csum_offset = (uint16_t)(len - 21);
	assert_int_equal(gro_complete_csum(pkt, len, &hdr), -EINVAL);
}

/*
 * A UDP sum that comes out as zero goes out as 0xffff, because zero in
 * the field means that the sender computed no checksum (RFC 768).
 */
static void
test_complete_csum_udp_zero(void **state)
{
	/* 198.18.1.2:7000 to 198.19.0.1:9999, 10 payload bytes. */
	uint8_t pkt[38] = {
		0x45, 0, 0, 38, 0, 0, 0x40, 0, 63, 17, 0, 0,
		198, 18, 1, 2, 198, 19, 0, 1,
		0x1b, 0x58, 0x27, 0x0f, 0, 18, 0, 0,
		'h', 'e', 'a', 'd', 'e', 'n', 'd', 0, 0x9d, 0x01,
	};
	uint8_t pseudo[12] = { 198, 18, 1, 2, 198, 19, 0, 1, 0, 17, 0, 18 };
	struct gro_vnet_hdr hdr = { .flags = GRO_F_NEEDS_CSUM,
	    .csum_start = 20, .csum_offset = 6 };

	(void)state;
	put16(pkt + 26, (uint16_t)~packet_checksum(pseudo, sizeof(pseudo)));
	assert_int_equal(gro_complete_csum(pkt, sizeof(pkt), &hdr), 0);
	assert_int_equal(pkt[26] << 8 | pkt[27], 0xffff);
}

/* What gro_split emitted, kept for the checks. */
struct split_out {
	uint8_t	segs[SLOTS][SLOT_SIZE];
	size_t	lens[SLOTS];
	size_t	n;
};

static void
split_collect(void *arg, uint8_t *seg, size_t len)
{
	struct split_out *out = arg;

	assert_true(out->n < SLOTS && len <= SLOT_SIZE);
	memcpy(out->segs[out->n], seg, len);
	out->lens[out->n++] = len;
}

/* Merge a run of segments, then split it: the originals come back. */
static void
test_split_restores_segments(void **state)
{
	static struct batch b;
	static struct split_out out;
	static uint8_t merged[65536], seg[SLOT_SIZE];
	struct segment s;
	size_t i, len;

	(void)state;
	b.n = 0;
	out.n = 0;
	for (i = 0; i < 6; i++) {
		s = flow_segment(7 + (uint32_t)(i * MSS), i < 5 ? MSS : 77);
		if (i == 5)
			s.flags |= TCP_PSH;
		batch_add(&b, &s);
	}
	assert_int_equal(batch_plan(&b), 1);
	len = gather(&b, &b.writes[0], merged);
	assert_int_equal(gro_split(merged, len, &b.writes[0].hdr, seg,
	    sizeof(seg), split_collect, &out), 6);
	assert_int_equal(out.n, 6);
	for (i = 0; i < out.n; i++) {
		assert_int_equal(out.lens[i], b.pkts[i].len);
		assert_memory_equal(out.segs[i], b.copy[i], out.lens[i]);
	}
}

static void
test_split_fin_and_cwr(void **state)
{
	static struct batch b;
	static struct split_out out;
	static uint8_t merged[65536], seg[SLOT_SIZE];
	struct segment s;
	size_t i, len;

	(void)state;
	b.n = 0;
	out.n = 0;
	for (i = 0; i < 3; i++) {
		s = flow_segment((uint32_t)(i * MSS), MSS);
		batch_add(&b, &s);
	}
	assert_int_equal(batch_plan(&b), 1);
	len = gather(&b, &b.writes[0], merged);
	merged[33] |= TCP_FIN | TCP_PSH | 0x80;
	assert_int_equal(gro_split(merged, len, &b.writes[0].hdr, seg,
	    sizeof(seg), split_collect, &out), 3);
	assert_int_equal(out.segs[0][33], TCP_ACK | 0x80);
	assert_int_equal(out.segs[1][33], TCP_ACK);
	assert_int_equal(out.segs[2][33], TCP_ACK | TCP_FIN | TCP_PSH);
	for (i = 0; i < 3; i++) {
		assert_int_equal(packet_checksum(out.segs[i], 20), 0);
		assert_int_equal(get32(out.segs[i] + 24), i * MSS);
	}
}

static void
test_split_rejects_bad_input(void **state)
{
	static struct batch b;
	static struct split_out out;
	static uint8_t seg[SLOT_SIZE];
	struct gro_vnet_hdr hdr = { .gso_type = GRO_GSO_TCPV4,
	    .gso_size = 100 };
	struct segment s = flow_segment(1, 500);
	uint8_t *pkt;
	size_t len;

	(void)state;
	b.n = 0;
	out.n = 0;
	batch_add(&b, &s);
	pkt = b.slots[0];
	len = b.pkts[0].len;
	assert_int_equal(gro_split(pkt, len, &hdr, seg, sizeof(seg),
	    split_collect, &out), 5);

	hdr.gso_type = GRO_GSO_NONE;
	assert_int_equal(gro_split(pkt, len, &hdr, seg, sizeof(seg),
	    split_collect, &out), -EINVAL);
	hdr.gso_type = GRO_GSO_TCPV4;
	hdr.gso_size = 0;
	assert_int_equal(gro_split(pkt, len, &hdr, seg, sizeof(seg),
	    split_collect, &out), -EINVAL);
	hdr.gso_size = 100;
	assert_int_equal(gro_split(pkt, len, &hdr, seg, 120,
	    split_collect, &out), -EINVAL);
	assert_int_equal(gro_split(pkt, len - 1, &hdr, seg, sizeof(seg),
	    split_collect, &out), -EINVAL);
	assert_int_equal(gro_split(pkt, 30, &hdr, seg, sizeof(seg),
	    split_collect, &out), -EINVAL);
	pkt[9] = 17;
	assert_int_equal(gro_split(pkt, len, &hdr, seg, sizeof(seg),
	    split_collect, &out), -EINVAL);
	assert_int_equal(out.n, 5);
}

static void
test_vnet_hdr_round_trip(void **state)
{
	struct gro_vnet_hdr in = { 1, 1, 52, 1360, 20, 16 }, out;
	uint8_t wire[GRO_VNET_HDR_LEN];
	uint16_t gso_size;

	(void)state;
	gro_vnet_hdr_put(&in, wire);
	assert_int_equal(wire[0], 1);
	assert_int_equal(wire[1], 1);
	memcpy(&gso_size, wire + 4, 2);
	assert_int_equal(gso_size, 1360);
	gro_vnet_hdr_get(wire, &out);
	assert_memory_equal(&in, &out, sizeof(in));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merges_a_run),
		cmocka_unit_test(test_pseudo_sum_completes),
		cmocka_unit_test(test_gap_starts_a_new_run),
		cmocka_unit_test(test_interleaved_flows),
		cmocka_unit_test(test_push_ends_the_run),
		cmocka_unit_test(test_larger_segment_is_not_merged),
		cmocka_unit_test(test_short_segment_ends_the_run),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_other_segment_keeps_order),
		cmocka_unit_test(test_mismatches_are_not_merged),
		cmocka_unit_test(test_unmergeable_packets),
		cmocka_unit_test(test_malformed_packets),
		cmocka_unit_test(test_complete_csum),
		cmocka_unit_test(test_complete_csum_udp_zero),
		cmocka_unit_test(test_split_restores_segments),
		cmocka_unit_test(test_split_fin_and_cwr),
		cmocka_unit_test(test_split_rejects_bad_input),
		cmocka_unit_test(test_vnet_hdr_round_trip),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
