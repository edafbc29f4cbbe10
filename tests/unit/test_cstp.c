#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cstp.h"

static const enum cstp_type all_types[] = {
	CSTP_DATA, CSTP_DPD_REQ, CSTP_DPD_RESP, CSTP_DISCONNECT,
	CSTP_KEEPALIVE, CSTP_COMPRESSED, CSTP_TERMINATE,
};

static void
test_round_trip(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN + 3] = { 0 };
	enum cstp_type type;
	size_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		cstp_header_write(frame, all_types[i], 3);
		type = (enum cstp_type)0xff;
		len = 0;
		assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type,
		    &len), CSTP_HEADER_LEN + 3);
		assert_int_equal(type, all_types[i]);
		assert_int_equal(len, 3);
	}
}

static void
test_header_bytes(void **state)
{
	static const uint8_t expected[CSTP_HEADER_LEN] = {
		0x53, 0x54, 0x46, 0x01, 0x01, 0x02, 0x05, 0x00,
	};
	uint8_t hdr[CSTP_HEADER_LEN];

	(void)state;
	cstp_header_write(hdr, CSTP_DISCONNECT, 0x0102);
	assert_memory_equal(hdr, expected, CSTP_HEADER_LEN);
}

static void
test_incomplete_header(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN];
	enum cstp_type type;
	size_t len;
	size_t avail;

	(void)state;
	cstp_header_write(frame, CSTP_KEEPALIVE, 0);
	for (avail = 0; avail < CSTP_HEADER_LEN; avail++)
		assert_int_equal(cstp_frame_parse(frame, avail, &type, &len),
		    0);
}

static void
test_incomplete_payload(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN + 10] = { 0 };
	enum cstp_type type = (enum cstp_type)0xff;
	size_t len = 0;

	(void)state;
	cstp_header_write(frame, CSTP_DATA, 10);
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame) - 1, &type,
	    &len), 0);
	assert_int_equal(type, CSTP_DATA);
	assert_int_equal(len, 10);
}

static void
test_bad_magic(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN];
	enum cstp_type type;
	size_t len;

	(void)state;
	cstp_header_write(frame, CSTP_DATA, 0);
	frame[0] = 'G';
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type, &len),
	    -EBADMSG);
}

static void
test_bad_magic_early(void **state)
{
	static const uint8_t http[] = { 'G', 'E', 'T' };
	enum cstp_type type;
	size_t len;

	(void)state;
	assert_int_equal(cstp_frame_parse(http, sizeof(http), &type, &len),
	    -EBADMSG);
}

static void
test_bad_version(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN];
	enum cstp_type type;
	size_t len;

	(void)state;
	cstp_header_write(frame, CSTP_DATA, 0);
	frame[3] = 0x02;
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type, &len),
	    -EBADMSG);
}

static void
test_byte7_nonzero(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN];
	enum cstp_type type;
	size_t len;

	(void)state;
	cstp_header_write(frame, CSTP_DATA, 0);
	frame[7] = 0x01;
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type, &len),
	    -EBADMSG);
}

static void
test_unknown_type(void **state)
{
	static const uint8_t unknown[] = { 0x01, 0x02, 0x06, 0x0a, 0xff };
	uint8_t frame[CSTP_HEADER_LEN];
	enum cstp_type type;
	size_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown); i++) {
		cstp_header_write(frame, CSTP_DATA, 0);
		frame[6] = unknown[i];
		assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type,
		    &len), -EBADMSG);
	}
}

static void
test_zero_length(void **state)
{
	uint8_t frame[CSTP_HEADER_LEN];
	enum cstp_type type;
	size_t len = 99;

	(void)state;
	cstp_header_write(frame, CSTP_DPD_REQ, 0);
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type, &len),
	    CSTP_HEADER_LEN);
	assert_int_equal(len, 0);
}

static void
test_max_length(void **state)
{
	static uint8_t frame[CSTP_HEADER_LEN + CSTP_PAYLOAD_MAX];
	enum cstp_type type;
	size_t len = 0;

	(void)state;
	cstp_header_write(frame, CSTP_DATA, CSTP_PAYLOAD_MAX);
	assert_int_equal(frame[4], 0xff);
	assert_int_equal(frame[5], 0xff);
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame), &type, &len),
	    CSTP_HEADER_LEN + CSTP_PAYLOAD_MAX);
	assert_int_equal(len, CSTP_PAYLOAD_MAX);
	assert_int_equal(cstp_frame_parse(frame, sizeof(frame) - 1, &type,
	    &len), 0);
}

static void
test_trailing_bytes(void **state)
{
	uint8_t buf[2 * CSTP_HEADER_LEN + 1] = { 0 };
	enum cstp_type type;
	size_t len;

	(void)state;
	cstp_header_write(buf, CSTP_DISCONNECT, 1);
	buf[CSTP_HEADER_LEN] = CSTP_DISCONNECT_USER_LOGOUT;
	cstp_header_write(buf + CSTP_HEADER_LEN + 1, CSTP_KEEPALIVE, 0);
	assert_int_equal(cstp_frame_parse(buf, sizeof(buf), &type, &len),
	    CSTP_HEADER_LEN + 1);
	assert_int_equal(type, CSTP_DISCONNECT);
}

static void
test_type_name(void **state)
{
	(void)state;
	assert_string_equal(cstp_type_name(CSTP_DPD_RESP), "DPD-RESP");
	assert_string_equal(cstp_type_name(CSTP_TERMINATE), "TERMINATE");
	assert_string_equal(cstp_type_name((enum cstp_type)0x42), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_incomplete_header),
		cmocka_unit_test(test_incomplete_payload),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_magic_early),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_byte7_nonzero),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_type_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
