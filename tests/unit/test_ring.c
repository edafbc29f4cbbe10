#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"

static int
push_bytes(struct ring *r, const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };

	return (ring_push(r, &iov, 1));
}

static void
test_ring_rejects_bad_size(void **state)
{
	(void)state;
	assert_null(ring_new(100));
	assert_null(ring_new(32));
}

static void
test_ring_empty_front(void **state)
{
	struct ring *r = ring_new(256);
	size_t len;

	(void)state;
	assert_non_null(r);
	assert_null(ring_front(r, &len));
	ring_free(r);
}

static void
test_ring_keeps_order(void **state)
{
	struct ring *r = ring_new(256);
	const uint8_t *p;
	size_t len;

	(void)state;
	assert_int_equal(push_bytes(r, "one", 3), 0);
	assert_int_equal(push_bytes(r, "three", 5), 0);
	p = ring_front(r, &len);
	assert_non_null(p);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "one", 3);
	ring_pop(r);
	p = ring_front(r, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "three", 5);
	ring_pop(r);
	assert_null(ring_front(r, &len));
	ring_free(r);
}

static void
test_ring_joins_iovecs(void **state)
{
	struct ring *r = ring_new(256);
	struct iovec iov[2] = { { "head", 4 }, { "body", 4 } };
	const uint8_t *p;
	size_t len;

	(void)state;
	assert_int_equal(ring_push(r, iov, 2), 0);
	p = ring_front(r, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(p, "headbody", 8);
	ring_free(r);
}

static void
test_ring_full_then_room(void **state)
{
	struct ring *r = ring_new(128);
	uint8_t rec[40] = { 0 };
	size_t len;

	/* Each record takes 8 + 40 bytes, so two fit in 128 and not three. */
	(void)state;
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), 0);
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), 0);
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), -ENOBUFS);
	assert_non_null(ring_front(r, &len));
	ring_pop(r);
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), 0);
	ring_free(r);
}

static void
test_ring_too_big(void **state)
{
	struct ring *r = ring_new(128);
	uint8_t rec[64] = { 0 };

	(void)state;
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), -EMSGSIZE);
	ring_free(r);
}

static void
test_ring_wraps(void **state)
{
	struct ring *r = ring_new(128);
	uint8_t rec[40], out[40];
	const uint8_t *p;
	size_t len;
	int i;

	/* 48-byte records do not divide 128, so pushes must skip the end. */
	(void)state;
	for (i = 0; i < 20; i++) {
		memset(rec, i, sizeof(rec));
		assert_int_equal(push_bytes(r, rec, sizeof(rec)), 0);
		p = ring_front(r, &len);
		assert_non_null(p);
		assert_int_equal(len, sizeof(rec));
		memcpy(out, p, len);
		assert_memory_equal(out, rec, sizeof(rec));
		ring_pop(r);
	}
	assert_null(ring_front(r, &len));
	ring_free(r);
}

static void
test_ring_wrap_needs_room(void **state)
{
	struct ring *r = ring_new(256);
	uint8_t small[8] = { 0 }, mid[120] = { 0 }, big[88] = { 0 };
	uint8_t rec[16] = { 0 };
	size_t len;

	/*
	 * The records take 16, 128 and 96 bytes, so after popping the first
	 * one 32 bytes are free: 16 at the end and 16 at the start. A
	 * 24-byte record fits in neither piece and must wait.
	 */
	(void)state;
	assert_int_equal(push_bytes(r, small, sizeof(small)), 0);
	assert_int_equal(push_bytes(r, mid, sizeof(mid)), 0);
	assert_int_equal(push_bytes(r, big, sizeof(big)), 0);
	assert_non_null(ring_front(r, &len));
	ring_pop(r);
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), -ENOBUFS);
	assert_non_null(ring_front(r, &len));
	assert_int_equal(len, sizeof(mid));
	ring_pop(r);
	assert_int_equal(push_bytes(r, rec, sizeof(rec)), 0);
	assert_non_null(ring_front(r, &len));
	assert_int_equal(len, sizeof(big));
	ring_pop(r);
	assert_non_null(ring_front(r, &len));
	assert_int_equal(len, sizeof(rec));
	ring_free(r);
}

#define STRESS_RECORDS	200000

static void *
stress_producer(void *arg)
{
	struct ring *r = arg;
	uint8_t rec[300];
	uint32_t seq;
	size_t len;

	for (seq = 0; seq < STRESS_RECORDS; seq++) {
		len = 4 + seq % 290;
		memcpy(rec, &seq, sizeof(seq));
		memset(rec + 4, (int)(seq & 0xff), len - 4);
		while (push_bytes(r, rec, len) == -ENOBUFS)
			;
	}
	return (NULL);
}

static void
stress_check(const uint8_t *p, size_t len, uint32_t want)
{
	uint32_t seq;
	size_t i;

	memcpy(&seq, p, sizeof(seq));
	assert_int_equal(seq, want);
	assert_int_equal(len, 4 + want % 290);
	for (i = 4; i < len; i++)
		assert_int_equal(p[i], want & 0xff);
}

static void
test_ring_two_threads(void **state)
{
	struct ring *r = ring_new(4096);
	const uint8_t *p;
	pthread_t producer;
	uint32_t want = 0;
	size_t len;

	(void)state;
	assert_int_equal(pthread_create(&producer, NULL, stress_producer, r),
	    0);
	while (want < STRESS_RECORDS) {
		if ((p = ring_front(r, &len)) == NULL)
			continue;
		stress_check(p, len, want);
		ring_pop(r);
		want++;
	}
	pthread_join(producer, NULL);
	assert_null(ring_front(r, &len));
	ring_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_rejects_bad_size),
		cmocka_unit_test(test_ring_empty_front),
		cmocka_unit_test(test_ring_keeps_order),
		cmocka_unit_test(test_ring_joins_iovecs),
		cmocka_unit_test(test_ring_full_then_room),
		cmocka_unit_test(test_ring_too_big),
		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_ring_wrap_needs_room),
		cmocka_unit_test(test_ring_two_threads),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
