/*
 * CSTP framing: the packets exchanged inside the TLS tunnel by AnyConnect
 * compatible clients. Each frame is an 8-byte header followed by the
 * payload:
 *
 *   bytes 0-3  'S' 'T' 'F' 0x01 (magic and protocol version 1)
 *   bytes 4-5  payload length, big-endian, header not included
 *   byte  6    frame type (enum cstp_type)
 *   byte  7    0x00
 */
#ifndef HEADEND_CSTP_H
#define HEADEND_CSTP_H

#include <stddef.h>
#include <stdint.h>

#define CSTP_HEADER_LEN		8
#define CSTP_PAYLOAD_MAX	65535

/* Reasons carried in the first payload byte of a DISCONNECT frame. */
#define CSTP_DISCONNECT_RECONNECTING	0x91
#define CSTP_DISCONNECT_USER_LOGOUT	0xb0

enum cstp_type {
	CSTP_DATA = 0x00,
	CSTP_DPD_REQ = 0x03,
	CSTP_DPD_RESP = 0x04,
	CSTP_DISCONNECT = 0x05,
	CSTP_KEEPALIVE = 0x07,
	CSTP_COMPRESSED = 0x08,
	CSTP_TERMINATE = 0x09,
};

/* Fill hdr for a frame of the given type carrying len payload bytes. */
void
cstp_header_write(uint8_t hdr[CSTP_HEADER_LEN], enum cstp_type type,
    uint16_t len);

/*
 * Parse the frame header at buf, of which avail bytes are present.
 * Returns the whole frame length (header plus payload) once the complete
 * frame is in buf, 0 when more bytes are needed, or -EBADMSG for a bad
 * magic or version, a nonzero byte 7 or an unknown type. *type and
 * *payload_len are set whenever the header was complete and valid, so
 * also when 0 is returned for a partial payload.
 */
int
cstp_frame_parse(const uint8_t *buf, size_t avail, enum cstp_type *type,
    size_t *payload_len);

/* Return the name of a frame type for log messages, or "unknown". */
const char *
cstp_type_name(enum cstp_type type);

#endif
