#include <errno.h>
#include <stdbool.h>

#include "cstp.h"

static const uint8_t cstp_magic[4] = { 'S', 'T', 'F', 0x01 };

void
cstp_header_write(uint8_t hdr[CSTP_HEADER_LEN], enum cstp_type type,
    uint16_t len)
{
	hdr[0] = cstp_magic[0];
	hdr[1] = cstp_magic[1];
	hdr[2] = cstp_magic[2];
	hdr[3] = cstp_magic[3];
	hdr[4] = (uint8_t)(len >> 8);
	hdr[5] = (uint8_t)(len & 0xff);
	hdr[6] = (uint8_t)type;
	hdr[7] = 0;
}

static bool
cstp_type_known(unsigned int type)
{
	switch (type) {
	case CSTP_DATA:
	case CSTP_DPD_REQ:
	case CSTP_DPD_RESP:
	case CSTP_DISCONNECT:
	case CSTP_KEEPALIVE:
	case CSTP_COMPRESSED:
	case CSTP_TERMINATE:
		return true;
	default:
		return false;
	}
}

/*
 * Bytes already received are checked before the header is complete, so a
 * stream that is not CSTP is rejected as early as possible.
 */
static bool
cstp_magic_valid(const uint8_t *buf, size_t avail)
{
	size_t i;

	for (i = 0; i < sizeof(cstp_magic) && i < avail; i++) {
		if (buf[i] != cstp_magic[i])
			return false;
	}
	return true;
}

int
cstp_frame_parse(const uint8_t *buf, size_t avail, enum cstp_type *type,
    size_t *payload_len)
{
	size_t len;

	if (!cstp_magic_valid(buf, avail))
		return -EBADMSG;
	if (avail < CSTP_HEADER_LEN)
		return 0;
	if (buf[7] != 0 || !cstp_type_known(buf[6]))
		return -EBADMSG;

	len = ((size_t)buf[4] << 8) | buf[5];
	*type = (enum cstp_type)buf[6];
	*payload_len = len;

	if (avail < CSTP_HEADER_LEN + len)
		return 0;
	return (int)(CSTP_HEADER_LEN + len);
}

const char *
cstp_type_name(enum cstp_type type)
{
	switch (type) {
	case CSTP_DATA:
		return "DATA";
	case CSTP_DPD_REQ:
		return "DPD-REQ";
	case CSTP_DPD_RESP:
		return "DPD-RESP";
	case CSTP_DISCONNECT:
		return "DISCONNECT";
	case CSTP_KEEPALIVE:
		return "KEEPALIVE";
	case CSTP_COMPRESSED:
		return "COMPRESSED";
	case CSTP_TERMINATE:
		return "TERMINATE";
	}
	return "unknown";
}
