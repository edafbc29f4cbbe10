#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <string.h>

#include "packet.h"

/*
 * Byte offsets into the headers. The structs in <netinet/> are not used,
 * because packets may sit at any alignment in the I/O buffers.
 */
#define IPV4_OFF_TOS		1
#define IPV4_OFF_LENGTH		2
#define IPV4_OFF_FRAG		6
#define IPV4_OFF_TTL		8
#define IPV4_OFF_PROTOCOL	9
#define IPV4_OFF_CHECKSUM	10
#define IPV4_OFF_SRC		12
#define IPV4_OFF_DST		16

#define ICMP_OFF_CHECKSUM	2
#define ICMP_OFF_MTU		6
#define ICMP_HEADER_LEN		8
#define ICMP_QUOTED_PAYLOAD	8	/* RFC 792: 64 bits of the payload */

#define TCP_OFF_DATA_OFFSET	12
#define TCP_OFF_FLAGS		13
#define TCP_OFF_CHECKSUM	16
#define TCP_HEADER_MIN		20

/* RFC 1122 section 3.2.2: ICMP errors go out with a TOS of zero. */
#define ICMP_ERROR_TOS		0
#define ICMP_ERROR_TTL		64

uint16_t
packet_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
packet_put16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)(value >> 8);
	p[1] = (uint8_t)(value & 0xff);
}

static uint16_t
packet_checksum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Sum whole 8-byte words of data as they lie in memory. The ones'
 * complement sum does not depend on byte order (RFC 1071, section 2),
 * so the folded sum only needs ntohs to read as network order. Each
 * word is added as two 32-bit halves, so no carry is lost.
 */
static uint64_t
packet_sum_words(const uint8_t *p, size_t words)
{
	uint64_t native = 0, word;
	size_t i;

	for (i = 0; i < words; i++, p += 8) {
		memcpy(&word, p, sizeof(word));
		native += (word & 0xffffffffu) + (word >> 32);
	}
	return (ntohs(packet_checksum_fold(native)));
}

uint64_t
packet_sum(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t word;

	/* This is on the packet path, where the word loop is faster. */
	sum += packet_sum_words(p, len / 8);
	p += len / 8 * 8;
	len %= 8;

	/* Summing 32-bit words and folding later gives the same result. */
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&word, p, sizeof(word));
		sum += ntohl(word);
	}
	if (len >= 2) {
		sum += packet_get16(p);
		p += 2;
		len -= 2;
	}

	/* An odd last byte is summed as if padded with a zero byte. */
	if (len == 1)
		sum += (uint64_t)p[0] << 8;
	return (sum);
}

uint16_t
packet_checksum_finish(uint64_t sum)
{
	return (uint16_t)~packet_checksum_fold(sum);
}

uint16_t
packet_checksum(const void *data, size_t len)
{
	return (packet_checksum_finish(packet_sum(0, data, len)));
}

/* Update a checksum after a 16-bit word changed (RFC 1624, eqn. 3). */
static uint16_t
packet_checksum_update(uint16_t checksum, uint16_t old_word,
    uint16_t new_word)
{
	uint64_t sum;

	sum = (uint16_t)~checksum;
	sum += (uint16_t)~old_word;
	sum += new_word;
	return (uint16_t)~packet_checksum_fold(sum);
}

static size_t
packet_ipv4_header_length(const uint8_t *pkt)
{
	return (size_t)(pkt[0] & 0x0f) * 4;
}

size_t
packet_ipv4_length(const uint8_t *pkt, size_t len)
{
	size_t header_len;
	size_t total;

	if (len < PACKET_IPV4_HEADER_MIN || pkt[0] >> 4 != 4)
		return 0;

	header_len = packet_ipv4_header_length(pkt);
	total = packet_get16(pkt + IPV4_OFF_LENGTH);
	if (header_len < PACKET_IPV4_HEADER_MIN || total < header_len ||
	    total > len)
		return 0;
	return total;
}

bool
packet_ipv4_addrs(const uint8_t *pkt, size_t len, uint32_t *src,
    uint32_t *dst)
{
	if (packet_ipv4_length(pkt, len) == 0)
		return false;

	memcpy(src, pkt + IPV4_OFF_SRC, sizeof(*src));
	memcpy(dst, pkt + IPV4_OFF_DST, sizeof(*dst));
	return true;
}

uint8_t
packet_ipv4_dscp(const uint8_t *pkt, size_t len)
{
	if (packet_ipv4_length(pkt, len) == 0)
		return 0;
	return pkt[IPV4_OFF_TOS] >> 2;
}

static bool
packet_ipv4_first_fragment(const uint8_t *pkt)
{
	return (packet_get16(pkt + IPV4_OFF_FRAG) & IP_OFFMASK) == 0;
}

static bool
packet_ipv4_dont_fragment(const uint8_t *pkt)
{
	return (packet_get16(pkt + IPV4_OFF_FRAG) & IP_DF) != 0;
}

static uint32_t
packet_ipv4_get_addr(const uint8_t *pkt, size_t offset)
{
	uint32_t addr;

	memcpy(&addr, pkt + offset, sizeof(addr));
	return ntohl(addr);
}

/*
 * True when addr (host order) can be the address of a single host, which
 * RFC 1122 section 3.2.2 asks of the source of a packet that gets an ICMP
 * error: not 0.0.0.0/8, 127.0.0.0/8, multicast or 240.0.0.0/4.
 */
static bool
packet_addr_is_host(uint32_t addr)
{
	uint32_t first_octet = addr >> 24;

	return first_octet != 0 && first_octet != 127 && first_octet < 224;
}

static bool
packet_addr_is_group(uint32_t addr)
{
	return IN_MULTICAST(addr) || addr == INADDR_BROADCAST;
}

static bool
packet_icmp_type_is_error(uint8_t type)
{
	switch (type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return true;
	default:
		return false;
	}
}

/*
 * True when pkt (first fragment, total bytes) carries an ICMP error, or an
 * ICMP message too short to read its type, which is treated the same way
 * to be safe.
 */
static bool
packet_is_icmp_error(const uint8_t *pkt, size_t total)
{
	size_t header_len = packet_ipv4_header_length(pkt);

	if (pkt[IPV4_OFF_PROTOCOL] != IPPROTO_ICMP)
		return false;
	if (total <= header_len)
		return true;
	return packet_icmp_type_is_error(pkt[header_len]);
}

static bool
packet_icmp_error_allowed(const uint8_t *pkt, size_t total)
{
	uint32_t src = packet_ipv4_get_addr(pkt, IPV4_OFF_SRC);
	uint32_t dst = packet_ipv4_get_addr(pkt, IPV4_OFF_DST);

	if (!packet_ipv4_first_fragment(pkt))
		return false;
	if (packet_is_icmp_error(pkt, total))
		return false;
	return packet_addr_is_host(src) && !packet_addr_is_group(dst);
}

static void
packet_ipv4_header_write(uint8_t *out, size_t total, uint8_t protocol,
    uint32_t src, uint32_t dst)
{
	memset(out, 0, PACKET_IPV4_HEADER_MIN);
	out[0] = 4 << 4 | PACKET_IPV4_HEADER_MIN / 4;
	out[IPV4_OFF_TOS] = ICMP_ERROR_TOS;
	packet_put16(out + IPV4_OFF_LENGTH, (uint16_t)total);

	/* The ID may be 0 because DF is set (RFC 6864 section 4.1). */
	packet_put16(out + IPV4_OFF_FRAG, IP_DF);
	out[IPV4_OFF_TTL] = ICMP_ERROR_TTL;
	out[IPV4_OFF_PROTOCOL] = protocol;
	memcpy(out + IPV4_OFF_SRC, &src, sizeof(src));
	memcpy(out + IPV4_OFF_DST, &dst, sizeof(dst));

	packet_put16(out + IPV4_OFF_CHECKSUM,
	    packet_checksum(out, PACKET_IPV4_HEADER_MIN));
}

static void
packet_icmp_frag_needed_write(uint8_t *icmp, const uint8_t *quote,
    size_t quote_len, uint16_t mtu)
{
	size_t icmp_len = ICMP_HEADER_LEN + quote_len;

	memset(icmp, 0, ICMP_HEADER_LEN);
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	packet_put16(icmp + ICMP_OFF_MTU, mtu);
	memcpy(icmp + ICMP_HEADER_LEN, quote, quote_len);

	packet_put16(icmp + ICMP_OFF_CHECKSUM,
	    packet_checksum(icmp, icmp_len));
}

size_t
packet_icmp_frag_needed(const uint8_t *pkt, size_t len, uint32_t from,
    uint16_t mtu, uint8_t *out, size_t out_size)
{
	size_t total = packet_ipv4_length(pkt, len);
	size_t quote_len;
	size_t reply_len;
	uint32_t to;

	if (total == 0 || !packet_ipv4_dont_fragment(pkt))
		return 0;
	if (!packet_icmp_error_allowed(pkt, total))
		return 0;

	quote_len = packet_ipv4_header_length(pkt) + ICMP_QUOTED_PAYLOAD;
	if (quote_len > total)
		quote_len = total;
	reply_len = PACKET_IPV4_HEADER_MIN + ICMP_HEADER_LEN + quote_len;
	if (out_size < reply_len)
		return 0;

	memcpy(&to, pkt + IPV4_OFF_SRC, sizeof(to));
	packet_icmp_frag_needed_write(out + PACKET_IPV4_HEADER_MIN, pkt,
	    quote_len, mtu);
	packet_ipv4_header_write(out, reply_len, IPPROTO_ICMP, from, to);
	return reply_len;
}

/*
 * Set one byte of a TCP segment and update its checksum for the aligned
 * 16-bit word that contains the byte. Working byte by byte keeps the
 * checksum right for options at odd offsets.
 */
static void
packet_tcp_set_byte(uint8_t *tcp, size_t offset, uint8_t value)
{
	size_t word = offset & ~(size_t)1;
	uint16_t old_word = packet_get16(tcp + word);
	uint16_t checksum = packet_get16(tcp + TCP_OFF_CHECKSUM);

	tcp[offset] = value;
	checksum = packet_checksum_update(checksum, old_word,
	    packet_get16(tcp + word));
	packet_put16(tcp + TCP_OFF_CHECKSUM, checksum);
}

static void
packet_tcp_set16(uint8_t *tcp, size_t offset, uint16_t value)
{
	packet_tcp_set_byte(tcp, offset, (uint8_t)(value >> 8));
	packet_tcp_set_byte(tcp, offset + 1, (uint8_t)(value & 0xff));
}

/*
 * Walk the options of a TCP header of header_len bytes and clamp every
 * MSS option, because a peer might use any of them. The walk stops at the
 * end-of-option-list option (EOL) or at the first malformed option.
 */
static bool
packet_tcp_options_clamp_mss(uint8_t *tcp, size_t header_len,
    uint16_t mss_max)
{
	size_t i = TCP_HEADER_MIN;
	bool changed = false;
	size_t option_len;

	while (i < header_len && tcp[i] != TCPOPT_EOL) {
		if (tcp[i] == TCPOPT_NOP) {
			i++;
			continue;
		}

		if (i + 1 >= header_len)
			break;
		option_len = tcp[i + 1];
		if (option_len < 2 || i + option_len > header_len)
			break;

		if (tcp[i] == TCPOPT_MAXSEG && option_len == TCPOLEN_MAXSEG &&
		    packet_get16(tcp + i + 2) > mss_max) {
			packet_tcp_set16(tcp, i + 2, mss_max);
			changed = true;
		}
		i += option_len;
	}
	return changed;
}

bool
packet_clamp_mss(uint8_t *pkt, size_t len, uint16_t mss_max)
{
	size_t total = packet_ipv4_length(pkt, len);
	size_t ip_header_len;
	size_t tcp_header_len;
	uint8_t *tcp;

	if (total == 0 || pkt[IPV4_OFF_PROTOCOL] != IPPROTO_TCP)
		return false;
	if (!packet_ipv4_first_fragment(pkt))
		return false;

	ip_header_len = packet_ipv4_header_length(pkt);
	if (total - ip_header_len < TCP_HEADER_MIN)
		return false;
	tcp = pkt + ip_header_len;
	tcp_header_len = (size_t)(tcp[TCP_OFF_DATA_OFFSET] >> 4) * 4;
	if (tcp_header_len < TCP_HEADER_MIN ||
	    tcp_header_len > total - ip_header_len)
		return false;

	if (!(tcp[TCP_OFF_FLAGS] & TH_SYN))
		return false;
	return packet_tcp_options_clamp_mss(tcp, tcp_header_len, mss_max);
}
