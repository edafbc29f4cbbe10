#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipfrag.h"
#include "packet.h"

#define FRAGS_MAX	64
#define BUF_SIZE	2048

/* The fragments one ipfrag_split call emitted, copied as they came. */
struct frags {
	uint8_t		data[FRAGS_MAX][BUF_SIZE];
	size_t		len[FRAGS_MAX];
	size_t		n;
};

static void
frags_emit(void *arg, uint8_t *frag, size_t len)
{
	struct frags *f = arg;

	assert_true(f->n < FRAGS_MAX);
	assert_true(len <= BUF_SIZE);
	memcpy(f->data[f->n], frag, len);
	f->len[f->n++] = len;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * A UDP/IPv4 packet of total bytes from 198.18.1.2 to 198.19.0.5 with
 * the options opts (a multiple of 4 bytes) and the flags and offset word
 * frag. The payload counts up from 0, so each byte gives its offset.
 */
static size_t
make_packet(uint8_t *pkt, size_t total, const uint8_t *opts,
    size_t opts_len, uint16_t frag)
{
	static const uint8_t addrs[8] = { 198, 18, 1, 2, 198, 19, 0, 5 };
	size_t hl = 20 + opts_len, i;

	memset(pkt, 0, total);
	pkt[0] = (uint8_t)(0x40 | hl / 4);
	put16(pkt + 2, (uint16_t)total);
	put16(pkt + 4, 0x1234);
	put16(pkt + 6, frag);
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, addrs, sizeof(addrs));
	if (opts_len > 0)
		memcpy(pkt + 20, opts, opts_len);
	put16(pkt + 10, packet_checksum(pkt, hl));
	for (i = hl; i < total; i++)
		pkt[i] = (uint8_t)(i - hl);
	return (total);
}

/*
 * Check the fragments of a packet of payload bytes with header length
 * hl. Each fits mtu, has a valid header checksum and the original's ID,
 * and all but the last carry MF and a multiple of 8 bytes. The last
 * carries last_mf. Together they contain the payload in order from
 * first_offset.
 */
static void
check_fragments(const struct frags *f, size_t hl, size_t payload,
    size_t mtu, size_t first_offset, int last_mf)
{
	size_t i, j, at = first_offset, n;
	uint16_t field;

	for (i = 0; i < f->n; i++) {
		const uint8_t *p = f->data[i];

		n = f->len[i] - hl;
		field = get16(p + 6);
		assert_true(f->len[i] <= mtu);
		assert_int_equal(get16(p + 2), f->len[i]);
		assert_int_equal(get16(p + 4), 0x1234);
		assert_int_equal(packet_checksum(p, hl), 0);
		assert_int_equal((size_t)(field & 0x1fff) * 8, at);
		assert_int_equal((field & 0x4000), 0);
		if (i + 1 < f->n) {
			assert_int_equal(n % 8, 0);
			assert_int_equal(field & 0x2000, 0x2000);
		} else {
			assert_int_equal((field & 0x2000) != 0, last_mf);
		}
		for (j = 0; j < n; j++)
			assert_int_equal(p[hl + j], (uint8_t)(at + j -
			    first_offset));
		at += n;
	}
	assert_int_equal(at - first_offset, payload);
}

static void
test_udp_cut_to_mtu(void **state)
{
	static uint8_t pkt[3028];
	static struct frags f;
	uint8_t buf[BUF_SIZE];

	(void)state;
	make_packet(pkt, sizeof(pkt), NULL, 0, 0);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1406, buf,
	    sizeof(buf), frags_emit, &f), 3);
	check_fragments(&f, 20, sizeof(pkt) - 20, 1406, 0, 0);
	assert_int_equal(f.len[0], 20 + 1384);
}

static void
test_fragment_of_fragment_keeps_offset_and_mf(void **state)
{
	static uint8_t pkt[1500];
	static struct frags f;
	uint8_t buf[BUF_SIZE];

	(void)state;
	/* A middle fragment at byte 1480, MF set, as a 1500 link made it. */
	make_packet(pkt, sizeof(pkt), NULL, 0, 0x2000 | 185);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1000, buf,
	    sizeof(buf), frags_emit, &f), 2);
	check_fragments(&f, 20, 1480, 1000, 1480, 1);
}

static void
test_options_copied_or_blanked(void **state)
{
	/* Router alert (copied), then record route (not copied). */
	static const uint8_t opts[12] = {
		0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 0
	};
	static uint8_t pkt[1400];
	static struct frags f;
	uint8_t buf[BUF_SIZE];

	(void)state;
	make_packet(pkt, sizeof(pkt), opts, sizeof(opts), 0);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 576, buf,
	    sizeof(buf), frags_emit, &f), 3);
	check_fragments(&f, 32, sizeof(pkt) - 32, 576, 0, 0);
	assert_memory_equal(f.data[0] + 20, opts, sizeof(opts));
	assert_memory_equal(f.data[1] + 20, opts, 4);
	assert_memory_equal(f.data[2] + 24,
	    "\x01\x01\x01\x01\x01\x01\x01\x00", 8);
}

static void
test_refused(void **state)
{
	static const uint8_t cut_option[4] = { 0x07, 9, 4, 0 };
	static uint8_t pkt[1500];
	static struct frags f;
	uint8_t buf[BUF_SIZE];

	(void)state;
	make_packet(pkt, sizeof(pkt), NULL, 0, 0x4000);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1406, buf,
	    sizeof(buf), frags_emit, &f), -EINVAL);
	make_packet(pkt, sizeof(pkt), NULL, 0, 0);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1500, buf,
	    sizeof(buf), frags_emit, &f), -EINVAL);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 27, buf,
	    sizeof(buf), frags_emit, &f), -EINVAL);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1406, buf, 1000,
	    frags_emit, &f), -EMSGSIZE);
	assert_int_equal(ipfrag_split(pkt, 1499, 1406, buf, sizeof(buf),
	    frags_emit, &f), -EINVAL);
	make_packet(pkt, sizeof(pkt), cut_option, sizeof(cut_option), 0);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1406, buf,
	    sizeof(buf), frags_emit, &f), -EINVAL);
	make_packet(pkt, sizeof(pkt), NULL, 0, 0x1fff);
	assert_int_equal(ipfrag_split(pkt, sizeof(pkt), 1406, buf,
	    sizeof(buf), frags_emit, &f), -EINVAL);
	assert_int_equal(f.n, 0);
}

static void
test_dont_fragment(void **state)
{
	static uint8_t pkt[100];

	(void)state;
	make_packet(pkt, sizeof(pkt), NULL, 0, 0x4000);
	assert_true(ipfrag_dont_fragment(pkt, sizeof(pkt)));
	make_packet(pkt, sizeof(pkt), NULL, 0, 0x2000);
	assert_false(ipfrag_dont_fragment(pkt, sizeof(pkt)));
	assert_false(ipfrag_dont_fragment(pkt, 10));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_cut_to_mtu),
		cmocka_unit_test(test_fragment_of_fragment_keeps_offset_and_mf),
		cmocka_unit_test(test_options_copied_or_blanked),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_dont_fragment),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
