/* IPv4 fragmentation, declared in ipfrag.h. */
#include <errno.h>
#include <string.h>

#include "ipfrag.h"
#include "packet.h"

#define IPV4_OFF_LENGTH		2
#define IPV4_OFF_FRAG		6
#define IPV4_OFF_CHECKSUM	10

#define IPV4_FLAG_DF		0x4000
#define IPV4_FLAG_MF		0x2000
#define IPV4_OFFSET_MASK	0x1fff

#define IPOPT_END_OF_LIST	0
#define IPOPT_NO_OPERATION	1
#define IPOPT_COPY_FLAG		0x80

bool
ipfrag_dont_fragment(const uint8_t *pkt, size_t len)
{
	if (packet_ipv4_length(pkt, len) == 0)
		return (false);
	return ((packet_get16(pkt + IPV4_OFF_FRAG) & IPV4_FLAG_DF) != 0);
}

/*
 * Turn the options of the header hdr, of header_len bytes, into those of
 * a later fragment: every option without the copy flag becomes
 * no-operation bytes. Returns -EINVAL when an option's length runs past
 * the header.
 */
static int
ipfrag_later_options(uint8_t *hdr, size_t header_len)
{
	size_t i = PACKET_IPV4_HEADER_MIN, optlen;

	while (i < header_len) {
		if (hdr[i] == IPOPT_END_OF_LIST)
			return (0);
		if (hdr[i] == IPOPT_NO_OPERATION) {
			i++;
			continue;
		}
		if (i + 1 >= header_len)
			return (-EINVAL);
		optlen = hdr[i + 1];
		if (optlen < 2 || i + optlen > header_len)
			return (-EINVAL);
		if ((hdr[i] & IPOPT_COPY_FLAG) == 0)
			memset(hdr + i, IPOPT_NO_OPERATION, optlen);
		i += optlen;
	}
	return (0);
}

/* Set the length, offset field and checksum of the fragment at frag. */
static void
ipfrag_finish_header(uint8_t *frag, size_t len, uint16_t frag_field)
{
	size_t header_len = (size_t)(frag[0] & 0x0f) * 4;

	packet_put16(frag + IPV4_OFF_LENGTH, (uint16_t)len);
	packet_put16(frag + IPV4_OFF_FRAG, frag_field);
	packet_put16(frag + IPV4_OFF_CHECKSUM, 0);
	packet_put16(frag + IPV4_OFF_CHECKSUM,
	    packet_checksum(frag, header_len));
}

int
ipfrag_split(const uint8_t *pkt, size_t len, size_t mtu, uint8_t *frag_buf,
    size_t frag_size, ipfrag_emit_fn *emit, void *arg)
{
	uint8_t later[PACKET_IPV4_HEADER_MAX];
	size_t total, header_len, payload, step, done, n;
	uint16_t field, offset, mf;
	int count = 0;

	if ((total = packet_ipv4_length(pkt, len)) == 0 || total <= mtu)
		return (-EINVAL);
	field = packet_get16(pkt + IPV4_OFF_FRAG);
	header_len = (size_t)(pkt[0] & 0x0f) * 4;
	if ((field & IPV4_FLAG_DF) != 0 || mtu < header_len + 8)
		return (-EINVAL);
	step = (mtu - header_len) & ~(size_t)7;
	if (header_len + step > frag_size)
		return (-EMSGSIZE);

	/* Check the options before the first fragment goes out. */
	memcpy(later, pkt, header_len);
	if (ipfrag_later_options(later, header_len) != 0)
		return (-EINVAL);

	payload = total - header_len;
	offset = field & IPV4_OFFSET_MASK;

	/* The offsets of the last fragment must fit their 13 bits. */
	if ((size_t)offset * 8 + payload > 0xffff)
		return (-EINVAL);
	for (done = 0; done < payload; done += n, count++) {
		n = payload - done < step ? payload - done : step;

		/* The last fragment keeps the packet's own MF flag. */
		mf = field & IPV4_FLAG_MF;
		if (done + n < payload)
			mf = IPV4_FLAG_MF;
		memcpy(frag_buf, done == 0 ? pkt : later, header_len);
		memcpy(frag_buf + header_len, pkt + header_len + done, n);
		ipfrag_finish_header(frag_buf, header_len + n,
		    (uint16_t)((offset + done / 8) | mf));
		emit(arg, frag_buf, header_len + n);
	}
	return (count);
}
