/*
 * Fuzz IPv4 fragmentation. The input is a 2-byte big-endian MTU, then a
 * packet. The checks are the promises of ipfrag.h. Every fragment fits
 * the MTU and is a valid IPv4 packet with a correct header checksum. The
 * offsets follow on from the packet's own. All fragments but the last
 * carry MF and a multiple of 8 bytes, and the last one the packet's own
 * MF. Their payloads put together are the packet's payload.
 */
#include <string.h>

#include "fuzz.h"
#include "ipfrag.h"
#include "packet.h"

#define FUZZ_IPFRAG_MAX	65536

struct fuzz_ipfrag {
	const uint8_t	*pkt;		/* the packet being cut */
	size_t		 header_len;
	size_t		 mtu;
	size_t		 payload;	/* bytes after the header */
	size_t		 next;		/* payload bytes seen so far */
	int		 last_mf;	/* MF of the last fragment seen */
	int		 count;
};

static uint8_t frag_buf[FUZZ_IPFRAG_MAX];

static void
fuzz_emit(void *arg, uint8_t *frag, size_t len)
{
	struct fuzz_ipfrag *f = arg;
	uint16_t field = (uint16_t)(frag[6] << 8 | frag[7]);
	uint16_t first = (uint16_t)(f->pkt[6] << 8 | f->pkt[7]);
	size_t n = len - f->header_len;

	FUZZ_CHECK(len <= f->mtu);
	FUZZ_CHECK(packet_ipv4_length(frag, len) == len);
	FUZZ_CHECK(packet_checksum(frag, f->header_len) == 0);
	FUZZ_CHECK((size_t)(field & 0x1fff) * 8 ==
	    (size_t)(first & 0x1fff) * 8 + f->next);
	FUZZ_CHECK(f->next + n == f->payload || n % 8 == 0);
	FUZZ_CHECK(f->next + n == f->payload || (field & 0x2000));
	FUZZ_CHECK(memcmp(frag + f->header_len,
	    f->pkt + f->header_len + f->next, n) == 0);
	f->next += n;
	f->last_mf = (field & 0x2000) != 0;
	f->count++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ipfrag f = { 0 };
	size_t total;
	int rc;

	if (size < 2 + PACKET_IPV4_HEADER_MIN)
		return (0);
	f.mtu = (size_t)(data[0] << 8 | data[1]);
	f.pkt = data + 2;
	size -= 2;
	total = packet_ipv4_length(f.pkt, size);
	f.header_len = (size_t)(f.pkt[0] & 0x0f) * 4;
	f.payload = total > f.header_len ? total - f.header_len : 0;
	rc = ipfrag_split(f.pkt, size, f.mtu, frag_buf, sizeof(frag_buf),
	    fuzz_emit, &f);
	if (rc < 0) {
		FUZZ_CHECK(f.count == 0);
		return (0);
	}
	FUZZ_CHECK(rc == f.count && rc >= 2);
	FUZZ_CHECK(f.next == f.payload);
	FUZZ_CHECK(f.last_mf == ((f.pkt[6] & 0x20) != 0));
	return (0);
}
