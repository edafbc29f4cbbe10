/*
 * Fuzz the TCP segment merger. The input is a batch of packets, each
 * behind a 2-byte big-endian length. The checks are the promises of
 * gro.h: every packet is written exactly once and in an order that keeps
 * each flow's sequence, a merged run is consecutive and fits in one
 * packet, and a packet that is not merged is left as it came. Each
 * packet is also split as if the device had handed it over, with a
 * segment size taken from its first bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "gro.h"
#include "packet.h"

#define FUZZ_GRO_MAX	64
#define FUZZ_GRO_SIZE	2048

static uint8_t slots[FUZZ_GRO_MAX][FUZZ_GRO_SIZE];
static uint8_t copies[FUZZ_GRO_MAX][FUZZ_GRO_SIZE];

static uint32_t
fuzz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static size_t
fuzz_split(const uint8_t *data, size_t size, struct gro_packet *pkts)
{
	size_t n = 0, len;

	while (size >= 2 && n < FUZZ_GRO_MAX) {
		len = (size_t)(data[0] << 8 | data[1]);
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len > FUZZ_GRO_SIZE)
			len = FUZZ_GRO_SIZE;
		memcpy(slots[n], data, len);
		memcpy(copies[n], data, len);
		pkts[n].data = slots[n];
		pkts[n].len = len;
		n++;
		data += len;
		size -= len;
	}
	return (n);
}

static void
fuzz_check_single(const struct gro_write *w, const struct gro_packet *pkts)
{
	const struct gro_vnet_hdr zero = { 0 };

	FUZZ_CHECK(w->len == pkts[w->head].len);
	FUZZ_CHECK(memcmp(&w->hdr, &zero, sizeof(zero)) == 0);
	FUZZ_CHECK(memcmp(pkts[w->head].data, copies[w->head],
	    pkts[w->head].len) == 0);
}

static void
fuzz_check_merged(const struct gro_write *w, const struct gro_packet *pkts)
{
	const uint8_t *ip = pkts[w->head].data;
	size_t hdr = w->hdr.hdr_len, i, plen, prev = w->head;
	uint32_t seq;

	FUZZ_CHECK(w->hdr.gso_type == GRO_GSO_TCPV4);
	FUZZ_CHECK(w->len <= GRO_PACKET_MAX);
	FUZZ_CHECK((size_t)(ip[2] << 8 | ip[3]) == w->len);
	FUZZ_CHECK(packet_checksum(ip, 20) == 0);
	FUZZ_CHECK(pkts[w->head].len - hdr == w->hdr.gso_size);
	seq = fuzz_get32(ip + 24) + w->hdr.gso_size;
	for (i = pkts[w->head].next; i != GRO_END; i = pkts[i].next) {
		FUZZ_CHECK(i > prev);
		FUZZ_CHECK(pkts[i].payload_off == hdr);
		plen = pkts[i].len - hdr;
		FUZZ_CHECK(plen > 0 && plen <= w->hdr.gso_size);
		FUZZ_CHECK(fuzz_get32(pkts[i].data + 24) == seq);
		FUZZ_CHECK(memcmp(pkts[i].data, copies[i], pkts[i].len) == 0);
		seq += (uint32_t)plen;
		prev = i;
	}
}

struct fuzz_split {
	size_t	segments;
	size_t	payload;
	size_t	mss;
};

static void
fuzz_split_emit(void *arg, uint8_t *seg, size_t len)
{
	struct fuzz_split *fs = arg;
	size_t hdr = (size_t)(seg[0] & 0x0f) * 4;

	hdr += (size_t)(seg[hdr + 12] >> 4) * 4;
	FUZZ_CHECK(len > hdr && len - hdr <= fs->mss);
	FUZZ_CHECK((size_t)(seg[2] << 8 | seg[3]) == len);
	FUZZ_CHECK(packet_checksum(seg, (size_t)(seg[0] & 0x0f) * 4) == 0);
	fs->segments++;
	fs->payload += len - hdr;
}

/* Split pkt with a segment size from its first bytes; check the parts. */
static void
fuzz_check_split(const uint8_t *pkt, size_t len)
{
	static uint8_t seg[FUZZ_GRO_SIZE];
	struct gro_vnet_hdr hdr = { .gso_type = GRO_GSO_TCPV4 };
	struct fuzz_split fs = { 0, 0, 0 };
	size_t head;
	int n;

	if (len < 4)
		return;
	hdr.gso_size = (uint16_t)(1 + (pkt[len - 1] | pkt[len - 2] << 8) %
	    FUZZ_GRO_SIZE);
	fs.mss = hdr.gso_size;
	n = gro_split(pkt, len, &hdr, seg, sizeof(seg), fuzz_split_emit, &fs);
	FUZZ_CHECK(n == -EINVAL || (n > 0 && (size_t)n == fs.segments));
	if (n > 0) {
		head = (size_t)(pkt[0] & 0x0f) * 4;
		head += (size_t)(pkt[head + 12] >> 4) * 4;
		FUZZ_CHECK(fs.payload == len - head);
		FUZZ_CHECK(fs.segments == (len - head + fs.mss - 1) / fs.mss);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gro_packet pkts[FUZZ_GRO_MAX];
	static struct gro_write writes[FUZZ_GRO_MAX];
	bool seen[FUZZ_GRO_MAX] = { false };
	size_t n = fuzz_split(data, size, pkts), nw, w, i, count, len;

	nw = gro_plan(pkts, n, writes);
	FUZZ_CHECK(nw <= n);
	for (w = 0; w < nw; w++) {
		FUZZ_CHECK(w == 0 || writes[w].head > writes[w - 1].head);
		count = 0;
		len = pkts[writes[w].head].len;
		for (i = writes[w].head; i != GRO_END; i = pkts[i].next) {
			FUZZ_CHECK(i < n && !seen[i]);
			seen[i] = true;
			count++;
			if (i != writes[w].head)
				len += pkts[i].len - pkts[i].payload_off;
		}
		FUZZ_CHECK(count == writes[w].count && len == writes[w].len);
		if (count == 1)
			fuzz_check_single(&writes[w], pkts);
		else
			fuzz_check_merged(&writes[w], pkts);
	}
	for (i = 0; i < n; i++)
		FUZZ_CHECK(seen[i]);
	for (i = 0; i < n; i++)
		fuzz_check_split(copies[i], pkts[i].len);
	return (0);
}
