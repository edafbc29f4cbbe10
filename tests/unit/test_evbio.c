/*
 * Unit tests for evbio_flush in server/evbio.c: an empty queue is no
 * failed write, whatever errno held before, and a socket whose peer is
 * gone is one.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "evbio.h"

/* libevent's evbuffer_write fails on an empty buffer without errno. */
static void
test_empty_queue_is_no_failure(void **state)
{
	struct evbuffer *out = evbuffer_new();
	int sv[2];

	(void)state;
	assert_non_null(out);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

	errno = EPIPE;
	assert_int_equal(evbio_flush(out, sv[0]), 0);

	close(sv[0]);
	close(sv[1]);
	evbuffer_free(out);
}

static void
test_bytes_are_written(void **state)
{
	struct evbuffer *out = evbuffer_new();
	char got[8] = { 0 };
	int sv[2];

	(void)state;
	assert_non_null(out);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	evbuffer_add(out, "records", 7);

	assert_int_equal(evbio_flush(out, sv[0]), 0);
	assert_int_equal(evbuffer_get_length(out), 0);
	assert_int_equal(read(sv[1], got, sizeof(got)), 7);
	assert_memory_equal(got, "records", 7);

	close(sv[0]);
	close(sv[1]);
	evbuffer_free(out);
}

static void
test_closed_peer_is_a_failure(void **state)
{
	struct evbuffer *out = evbuffer_new();
	int sv[2];

	(void)state;
	assert_non_null(out);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	evbuffer_add(out, "records", 7);

	assert_int_equal(evbio_flush(out, sv[0]), -EPIPE);

	close(sv[0]);
	evbuffer_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_queue_is_no_failure),
		cmocka_unit_test(test_bytes_are_written),
		cmocka_unit_test(test_closed_peer_is_a_failure),
	};

	/* A write to the closed peer must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
