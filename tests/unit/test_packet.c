#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "packet.h"

#define CLIENT_ADDR	"198.19.0.5"
#define INSIDE_ADDR	"198.18.1.2"
#define TUN_ADDR	"198.19.0.1"

#define FLAG_DF		0x4000
#define FLAG_MF		0x2000
#define TCP_SYN		0x02
#define TCP_ACK		0x10

static uint32_t
addr(const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	return a.s_addr;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)(value >> 8);
	p[1] = (uint8_t)value;
}

/*
 * Write a 20-byte IPv4 header for a packet of total bytes into pkt, with
 * a valid header checksum, and return the header length.
 */
static size_t
ipv4_write(uint8_t *pkt, size_t total, uint8_t protocol, uint16_t frag,
    const char *src, const char *dst)
{
	uint32_t s = addr(src);
	uint32_t d = addr(dst);

	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)total);
	put16(pkt + 4, 0x1234);
	put16(pkt + 6, frag);
	pkt[8] = 64;
	pkt[9] = protocol;
	memcpy(pkt + 12, &s, 4);
	memcpy(pkt + 16, &d, 4);
	put16(pkt + 10, packet_checksum(pkt, 20));
	return 20;
}

/* UDP packet of total bytes from the client to the inside host. */
static size_t
udp_packet(uint8_t *pkt, size_t total, uint16_t frag)
{
	size_t i;

	ipv4_write(pkt, total, IPPROTO_UDP, frag, CLIENT_ADDR, INSIDE_ADDR);
	for (i = 20; i < total; i++)
		pkt[i] = (uint8_t)i;
	return total;
}

/* ICMP packet of the given type with 8 bytes of ICMP header and 8 more. */
static size_t
icmp_packet(uint8_t *pkt, uint8_t type, uint8_t code)
{
	const size_t total = 36;

	ipv4_write(pkt, total, IPPROTO_ICMP, FLAG_DF, CLIENT_ADDR,
	    INSIDE_ADDR);
	memset(pkt + 20, 0xab, total - 20);
	pkt[20] = type;
	pkt[21] = code;
	put16(pkt + 22, 0);
	put16(pkt + 22, packet_checksum(pkt + 20, total - 20));
	return total;
}

/*
 * Compute the TCP checksum of the segment in pkt from scratch, over the
 * pseudo-header and the whole segment, with the checksum field as it is.
 * Returns 0 when the stored checksum is valid.
 */
static uint16_t
tcp_checksum_verify(const uint8_t *pkt)
{
	uint8_t buf[12 + 1500];
	size_t header_len = (size_t)(pkt[0] & 0x0f) * 4;
	size_t tcp_len = get16(pkt + 2) - header_len;

	assert_true(tcp_len <= 1500);
	memcpy(buf, pkt + 12, 8);
	buf[8] = 0;
	buf[9] = IPPROTO_TCP;
	put16(buf + 10, (uint16_t)tcp_len);
	memcpy(buf + 12, pkt + header_len, tcp_len);
	return packet_checksum(buf, 12 + tcp_len);
}

static void
tcp_checksum_set(uint8_t *pkt)
{
	uint8_t *tcp = pkt + 20;

	put16(tcp + 16, 0);
	put16(tcp + 16, tcp_checksum_verify(pkt));
	assert_int_equal(tcp_checksum_verify(pkt), 0);
}

/*
 * Build a TCP segment with the given flags, options and 10 bytes of
 * payload, with valid checksums, and return its total length. The
 * options are padded with EOL to a multiple of 4 bytes.
 */
static size_t
tcp_packet(uint8_t *pkt, uint8_t flags, const uint8_t *options,
    size_t options_len)
{
	size_t padded = (options_len + 3) / 4 * 4;
	size_t header_len = 20 + padded;
	size_t total = 20 + header_len + 10;
	uint8_t *tcp = pkt + 20;

	ipv4_write(pkt, total, IPPROTO_TCP, FLAG_DF, CLIENT_ADDR,
	    INSIDE_ADDR);
	memset(tcp, 0, header_len + 10);
	put16(tcp, 40000);
	put16(tcp + 2, 443);
	put16(tcp + 4, 0x0102);
	put16(tcp + 6, 0x0304);
	tcp[12] = (uint8_t)(header_len / 4 << 4);
	tcp[13] = flags;
	put16(tcp + 14, 64240);
	if (options_len > 0)
		memcpy(tcp + 20, options, options_len);
	memset(tcp + header_len, 'x', 10);
	tcp_checksum_set(pkt);
	return total;
}

/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
static const uint8_t syn_options[] = {
	2, 4, 0x05, 0xb4,
	4, 2,
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
	1,
	3, 3, 7,
};

/* The MSS value offset from the start of the TCP header in syn_options. */
#define SYN_MSS_OFFSET	22

static void
test_addrs_valid(void **state)
{
	uint8_t pkt[64];
	uint32_t src = 0;
	uint32_t dst = 0;

	(void)state;
	udp_packet(pkt, 40, 0);
	assert_true(packet_ipv4_addrs(pkt, 40, &src, &dst));
	assert_int_equal(src, addr(CLIENT_ADDR));
	assert_int_equal(dst, addr(INSIDE_ADDR));
	assert_int_equal(packet_ipv4_length(pkt, 40), 40);
}

static void
test_addrs_trailing_padding(void **state)
{
	uint8_t pkt[64];
	uint32_t src = 0;
	uint32_t dst = 0;

	(void)state;
	udp_packet(pkt, 40, 0);
	assert_true(packet_ipv4_addrs(pkt, 64, &src, &dst));
	assert_int_equal(src, addr(CLIENT_ADDR));
	assert_int_equal(packet_ipv4_length(pkt, 64), 40);
}

static void
test_addrs_with_options(void **state)
{
	uint8_t pkt[64];
	uint32_t src = 0;
	uint32_t dst = 0;

	(void)state;
	udp_packet(pkt, 40, 0);
	pkt[0] = 0x46;
	assert_true(packet_ipv4_addrs(pkt, 40, &src, &dst));
	assert_int_equal(dst, addr(INSIDE_ADDR));
}

static void
test_addrs_invalid(void **state)
{
	uint8_t pkt[64];
	uint32_t src = 0x11111111;
	uint32_t dst = 0x22222222;

	(void)state;
	udp_packet(pkt, 40, 0);
	assert_false(packet_ipv4_addrs(pkt, 19, &src, &dst));
	assert_false(packet_ipv4_addrs(pkt, 0, &src, &dst));
	assert_false(packet_ipv4_addrs(pkt, 39, &src, &dst));

	pkt[0] = 0x65;
	assert_false(packet_ipv4_addrs(pkt, 40, &src, &dst));

	pkt[0] = 0x44;
	assert_false(packet_ipv4_addrs(pkt, 40, &src, &dst));

	pkt[0] = 0x45;
	put16(pkt + 2, 19);
	assert_false(packet_ipv4_addrs(pkt, 40, &src, &dst));

	pkt[0] = 0x4f;
	put16(pkt + 2, 40);
	assert_false(packet_ipv4_addrs(pkt, 40, &src, &dst));

	assert_int_equal(src, 0x11111111);
	assert_int_equal(dst, 0x22222222);
	assert_int_equal(packet_ipv4_length(pkt, 40), 0);
}

static void
test_checksum_known_values(void **state)
{
	/* The RFC 1071 section 3 example: the one's complement sum is ddf2. */
	static const uint8_t rfc1071[] = {
		0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7,
	};
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };

	(void)state;
	assert_int_equal(packet_checksum(rfc1071, sizeof(rfc1071)),
	    (uint16_t)~0xddf2);
	assert_int_equal(packet_checksum(odd, sizeof(odd)),
	    (uint16_t)~(0x0102 + 0x0300));
	assert_int_equal(packet_checksum(odd, 0), 0xffff);
}

static void
test_checksum_header_verifies(void **state)
{
	uint8_t pkt[64];

	(void)state;
	udp_packet(pkt, 40, 0);
	assert_int_equal(packet_checksum(pkt, 20), 0);
}

static void
test_dscp(void **state)
{
	uint8_t pkt[64];

	(void)state;
	udp_packet(pkt, 40, 0);
	pkt[1] = 0xb8;
	assert_int_equal(packet_ipv4_dscp(pkt, 40), 46);

	pkt[1] = 0xbb;
	assert_int_equal(packet_ipv4_dscp(pkt, 40), 46);

	pkt[0] = 0x65;
	assert_int_equal(packet_ipv4_dscp(pkt, 40), 0);
	assert_int_equal(packet_ipv4_dscp(pkt, 10), 0);
}

static void
test_frag_needed_reply(void **state)
{
	uint8_t pkt[1500];
	uint8_t out[576];
	size_t len;
	uint32_t a;

	(void)state;
	udp_packet(pkt, 1400, FLAG_DF);
	memset(out, 0xee, sizeof(out));
	len = packet_icmp_frag_needed(pkt, 1400, addr(TUN_ADDR), 1300, out,
	    sizeof(out));
	assert_int_equal(len, 20 + 8 + 20 + 8);

	assert_int_equal(out[0], 0x45);
	assert_int_equal(get16(out + 2), len);
	assert_int_equal(get16(out + 6) & 0x1fff, 0);
	assert_true(out[8] > 0);
	assert_int_equal(out[9], IPPROTO_ICMP);
	assert_int_equal(packet_checksum(out, 20), 0);
	memcpy(&a, out + 12, 4);
	assert_int_equal(a, addr(TUN_ADDR));
	memcpy(&a, out + 16, 4);
	assert_int_equal(a, addr(CLIENT_ADDR));

	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 4);
	assert_int_equal(get16(out + 24), 0);
	assert_int_equal(get16(out + 26), 1300);
	assert_int_equal(packet_checksum(out + 20, len - 20), 0);
	assert_memory_equal(out + 28, pkt, 28);
}

static void
test_frag_needed_quotes_options(void **state)
{
	uint8_t pkt[1500];
	uint8_t out[576];
	size_t len;

	(void)state;
	udp_packet(pkt, 1400, FLAG_DF);
	pkt[0] = 0x47;
	len = packet_icmp_frag_needed(pkt, 1400, addr(TUN_ADDR), 1300, out,
	    sizeof(out));
	assert_int_equal(len, 20 + 8 + 28 + 8);
	assert_memory_equal(out + 28, pkt, 36);
	assert_int_equal(packet_checksum(out + 20, len - 20), 0);
}

static void
test_frag_needed_short_payload(void **state)
{
	uint8_t pkt[64];
	uint8_t out[576];
	size_t len;

	(void)state;
	udp_packet(pkt, 23, FLAG_DF);
	len = packet_icmp_frag_needed(pkt, 23, addr(TUN_ADDR), 1300, out,
	    sizeof(out));
	assert_int_equal(len, 20 + 8 + 23);
	assert_memory_equal(out + 28, pkt, 23);
	assert_int_equal(packet_checksum(out + 20, len - 20), 0);
}

static void
test_frag_needed_echo_request(void **state)
{
	uint8_t pkt[64];
	uint8_t out[576];
	size_t len;

	(void)state;
	len = icmp_packet(pkt, 8, 0);
	assert_int_not_equal(packet_icmp_frag_needed(pkt, len,
	    addr(TUN_ADDR), 1300, out, sizeof(out)), 0);
}

static void
test_frag_needed_df_clear(void **state)
{
	uint8_t pkt[1500];
	uint8_t out[576];

	(void)state;
	udp_packet(pkt, 1400, 0);
	assert_int_equal(packet_icmp_frag_needed(pkt, 1400, addr(TUN_ADDR),
	    1300, out, sizeof(out)), 0);
}

static void
test_frag_needed_icmp_error(void **state)
{
	static const uint8_t error_types[] = { 3, 4, 5, 11, 12 };
	uint8_t pkt[64];
	uint8_t out[576];
	size_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_types); i++) {
		len = icmp_packet(pkt, error_types[i], 0);
		assert_int_equal(packet_icmp_frag_needed(pkt, len,
		    addr(TUN_ADDR), 1300, out, sizeof(out)), 0);
	}

	/* An ICMP packet without room for its type byte gets no reply. */
	ipv4_write(pkt, 20, IPPROTO_ICMP, FLAG_DF, CLIENT_ADDR, INSIDE_ADDR);
	assert_int_equal(packet_icmp_frag_needed(pkt, 20, addr(TUN_ADDR),
	    1300, out, sizeof(out)), 0);
}

static void
test_frag_needed_later_fragment(void **state)
{
	uint8_t pkt[1500];
	uint8_t out[576];

	(void)state;
	udp_packet(pkt, 1400, FLAG_DF | FLAG_MF | 185);
	assert_int_equal(packet_icmp_frag_needed(pkt, 1400, addr(TUN_ADDR),
	    1300, out, sizeof(out)), 0);

	/* The first fragment does get a reply. */
	udp_packet(pkt, 1400, FLAG_DF | FLAG_MF);
	assert_int_not_equal(packet_icmp_frag_needed(pkt, 1400,
	    addr(TUN_ADDR), 1300, out, sizeof(out)), 0);
}

static void
test_frag_needed_bad_addresses(void **state)
{
	static const char *const sources[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255",
	};
	static const char *const destinations[] = {
		"224.0.0.251", "255.255.255.255",
	};
	uint8_t pkt[1500];
	uint8_t out[576];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		ipv4_write(pkt, 1400, IPPROTO_UDP, FLAG_DF, sources[i],
		    INSIDE_ADDR);
		assert_int_equal(packet_icmp_frag_needed(pkt, 1400,
		    addr(TUN_ADDR), 1300, out, sizeof(out)), 0);
	}

	for (i = 0; i < sizeof(destinations) / sizeof(destinations[0]); i++) {
		ipv4_write(pkt, 1400, IPPROTO_UDP, FLAG_DF, CLIENT_ADDR,
		    destinations[i]);
		assert_int_equal(packet_icmp_frag_needed(pkt, 1400,
		    addr(TUN_ADDR), 1300, out, sizeof(out)), 0);
	}
}

static void
test_frag_needed_invalid_or_small_buffer(void **state)
{
	uint8_t pkt[1500];
	uint8_t out[576];

	(void)state;
	udp_packet(pkt, 1400, FLAG_DF);
	assert_int_equal(packet_icmp_frag_needed(pkt, 1000, addr(TUN_ADDR),
	    1300, out, sizeof(out)), 0);
	assert_int_equal(packet_icmp_frag_needed(pkt, 1400, addr(TUN_ADDR),
	    1300, out, 55), 0);
	assert_int_equal(packet_icmp_frag_needed(pkt, 1400, addr(TUN_ADDR),
	    1300, out, 56), 56);
}

static void
test_mss_clamped(void **state)
{
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN, syn_options, sizeof(syn_options));
	assert_true(packet_clamp_mss(pkt, len, 1360));
	assert_int_equal(get16(pkt + 20 + SYN_MSS_OFFSET), 1360);
	assert_int_equal(tcp_checksum_verify(pkt), 0);
	assert_int_equal(packet_checksum(pkt, 20), 0);
}

static void
test_mss_clamped_syn_ack(void **state)
{
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN | TCP_ACK, syn_options,
	    sizeof(syn_options));
	assert_true(packet_clamp_mss(pkt, len, 1360));
	assert_int_equal(get16(pkt + 20 + SYN_MSS_OFFSET), 1360);
	assert_int_equal(tcp_checksum_verify(pkt), 0);
}

static void
test_mss_clamped_odd_offset(void **state)
{
	static const uint8_t options[] = { 1, 2, 4, 0x23, 0x28 };
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN, options, sizeof(options));
	assert_true(packet_clamp_mss(pkt, len, 1360));
	assert_int_equal(get16(pkt + 20 + 23), 1360);
	assert_int_equal(tcp_checksum_verify(pkt), 0);
}

static void
test_mss_clamped_many_checksums(void **state)
{
	uint8_t pkt[128];
	size_t len;
	unsigned int mss;

	/* Sweep the old value so the checksum crosses its wraparound. */
	(void)state;
	for (mss = 1361; mss <= 65535; mss += 97) {
		len = tcp_packet(pkt, TCP_SYN, syn_options,
		    sizeof(syn_options));
		put16(pkt + 20 + SYN_MSS_OFFSET, (uint16_t)mss);
		tcp_checksum_set(pkt);
		assert_true(packet_clamp_mss(pkt, len, 1360));
		assert_int_equal(tcp_checksum_verify(pkt), 0);
	}
}

static void
test_mss_below_max_untouched(void **state)
{
	uint8_t pkt[128];
	uint8_t before[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN, syn_options, sizeof(syn_options));
	memcpy(before, pkt, len);
	assert_false(packet_clamp_mss(pkt, len, 1460));
	assert_false(packet_clamp_mss(pkt, len, 1500));
	assert_memory_equal(pkt, before, len);
}

static void
test_mss_non_syn_untouched(void **state)
{
	uint8_t pkt[128];
	uint8_t before[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_ACK, syn_options, sizeof(syn_options));
	memcpy(before, pkt, len);
	assert_false(packet_clamp_mss(pkt, len, 1360));
	assert_memory_equal(pkt, before, len);
}

static void
test_mss_no_option_untouched(void **state)
{
	static const uint8_t options[] = { 1, 1, 3, 3, 7 };
	uint8_t pkt[128];
	uint8_t before[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN, options, sizeof(options));
	memcpy(before, pkt, len);
	assert_false(packet_clamp_mss(pkt, len, 1360));
	assert_memory_equal(pkt, before, len);

	len = tcp_packet(pkt, TCP_SYN, NULL, 0);
	memcpy(before, pkt, len);
	assert_false(packet_clamp_mss(pkt, len, 1360));
	assert_memory_equal(pkt, before, len);
}

static void
test_mss_after_eol_untouched(void **state)
{
	static const uint8_t options[] = { 0, 0, 0, 0, 2, 4, 0x05, 0xb4 };
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN, options, sizeof(options));
	assert_false(packet_clamp_mss(pkt, len, 1360));
}

static void
test_mss_malformed_data_offset(void **state)
{
	static const uint8_t offsets[] = { 0, 4, 13, 15 };
	uint8_t pkt[128];
	uint8_t before[128];
	size_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(offsets); i++) {
		len = tcp_packet(pkt, TCP_SYN, syn_options,
		    sizeof(syn_options));
		pkt[20 + 12] = (uint8_t)(offsets[i] << 4);
		memcpy(before, pkt, len);
		assert_false(packet_clamp_mss(pkt, len, 1360));
		assert_memory_equal(pkt, before, len);
	}
}

/* TCP options that end the option walk before any MSS is changed. */
struct bad_options {
	const char	*name;
	uint8_t		bytes[8];
	size_t		len;
};

static const struct bad_options bad_options[] = {
	{ "zero length", { 3, 0, 2, 4, 0x05, 0xb4 }, 6 },
	{ "one byte length", { 3, 1, 2, 4, 0x05, 0xb4 }, 6 },
	{ "length past header", { 1, 1, 1, 1, 2, 200 }, 6 },
	{ "MSS past header", { 1, 1, 2, 4 }, 4 },
	{ "kind in last byte", { 1, 1, 1, 2 }, 4 },
	{ "MSS length 3", { 2, 3, 0x05, 0xb4 }, 4 },
};

static void
test_mss_malformed_options(void **state)
{
	const struct bad_options *bad;
	uint8_t pkt[128];
	uint8_t before[128];
	size_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_options) / sizeof(bad_options[0]); i++) {
		bad = &bad_options[i];
		print_message("options: %s\n", bad->name);
		len = tcp_packet(pkt, TCP_SYN, bad->bytes, bad->len);
		memcpy(before, pkt, len);
		assert_false(packet_clamp_mss(pkt, len, 1360));
		assert_memory_equal(pkt, before, len);
	}
}

static void
test_mss_truncated_segment(void **state)
{
	uint8_t pkt[128];
	size_t len;

	/* The IP total length ends inside the TCP header or its options. */
	(void)state;
	len = tcp_packet(pkt, TCP_SYN, syn_options, sizeof(syn_options));
	put16(pkt + 2, 20 + 19);
	assert_false(packet_clamp_mss(pkt, len, 1360));

	put16(pkt + 2, 20 + 30);
	assert_false(packet_clamp_mss(pkt, len, 1360));

	put16(pkt + 2, (uint16_t)len);
	assert_false(packet_clamp_mss(pkt, 20 + 30, 1360));
}

static void
test_mss_other_packets_untouched(void **state)
{
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = tcp_packet(pkt, TCP_SYN, syn_options, sizeof(syn_options));
	pkt[9] = IPPROTO_UDP;
	assert_false(packet_clamp_mss(pkt, len, 1360));

	len = tcp_packet(pkt, TCP_SYN, syn_options, sizeof(syn_options));
	put16(pkt + 6, FLAG_MF | 3);
	assert_false(packet_clamp_mss(pkt, len, 1360));

	len = tcp_packet(pkt, TCP_SYN, syn_options, sizeof(syn_options));
	pkt[0] = 0x65;
	assert_false(packet_clamp_mss(pkt, len, 1360));
}

/* The RFC 1071 sum, 16 bits at a time, to check the faster one against. */
static uint16_t
reference_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len % 2 == 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Every length and start offset, on bytes that make carries. */
static void
test_checksum_matches_reference(void **state)
{
	uint8_t buf[300];
	size_t off, len, i;
	uint32_t x = 12345;

	(void)state;
	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = i % 7 == 0 ? 0xff : (uint8_t)(x >> 16);
	}
	for (off = 0; off < 8; off++) {
		for (len = 0; len + off <= sizeof(buf); len++)
			assert_int_equal(packet_checksum(buf + off, len),
			    reference_checksum(buf + off, len));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_matches_reference),
		cmocka_unit_test(test_addrs_valid),
		cmocka_unit_test(test_addrs_trailing_padding),
		cmocka_unit_test(test_addrs_with_options),
		cmocka_unit_test(test_addrs_invalid),
		cmocka_unit_test(test_checksum_known_values),
		cmocka_unit_test(test_checksum_header_verifies),
		cmocka_unit_test(test_dscp),
		cmocka_unit_test(test_frag_needed_reply),
		cmocka_unit_test(test_frag_needed_quotes_options),
		cmocka_unit_test(test_frag_needed_short_payload),
		cmocka_unit_test(test_frag_needed_echo_request),
		cmocka_unit_test(test_frag_needed_df_clear),
		cmocka_unit_test(test_frag_needed_icmp_error),
		cmocka_unit_test(test_frag_needed_later_fragment),
		cmocka_unit_test(test_frag_needed_bad_addresses),
		cmocka_unit_test(test_frag_needed_invalid_or_small_buffer),
		cmocka_unit_test(test_mss_clamped),
		cmocka_unit_test(test_mss_clamped_syn_ack),
		cmocka_unit_test(test_mss_clamped_odd_offset),
		cmocka_unit_test(test_mss_clamped_many_checksums),
		cmocka_unit_test(test_mss_below_max_untouched),
		cmocka_unit_test(test_mss_non_syn_untouched),
		cmocka_unit_test(test_mss_no_option_untouched),
		cmocka_unit_test(test_mss_after_eol_untouched),
		cmocka_unit_test(test_mss_malformed_data_offset),
		cmocka_unit_test(test_mss_malformed_options),
		cmocka_unit_test(test_mss_truncated_segment),
		cmocka_unit_test(test_mss_other_packets_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
