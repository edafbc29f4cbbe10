/*
 * Unit tests for server/drain.c: a drain delivers every queued byte
 * behind what the socket already held, then FIN, also when the client
 * keeps sending or has closed its side first, and closes once the
 * client has closed. A client that never reads gets a reset at the
 * deadline, and a drain over the limits a reset at once, so that the
 * kernel keeps no unsent bytes in an orphaned connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "drain.h"

#define QUEUED_BYTES	(300 * 1024)

struct pair {
	struct event_base	*base;
	int			 server;	/* given to the drain */
	int			 client;	/* read by the test */
	size_t			 prefilled;	/* in the socket already */
};

/* A connected TCP pair on loopback; each side is non-blocking. */
static void
pair_connect(struct pair *p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int listener;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	assert_int_equal(listen(listener, 1), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&sin,
	    &len), 0);
	p->client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(p->client, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	p->server = accept(listener, NULL, NULL);
	assert_true(p->server >= 0);
	close(listener);
	fcntl(p->server, F_SETFL, O_NONBLOCK);
	fcntl(p->client, F_SETFL, O_NONBLOCK);
}

/* A pair whose server side cannot take another byte. */
static void
pair_open(struct pair *p)
{
	char block[4096];
	ssize_t n;

	pair_connect(p);
	p->prefilled = 0;
	p->base = event_base_new();
	assert_non_null(p->base);

	memset(block, 'p', sizeof(block));
	while ((n = write(p->server, block, sizeof(block))) > 0)
		p->prefilled += (size_t)n;
	assert_int_equal(errno, EAGAIN);
}

/*
 * Read from the client side, running the loop in between, until EOF
 * or until nothing arrives for many rounds. Returns the bytes read,
 * and sets *eof when the drain closed its side.
 */
static size_t
pair_read_all(struct pair *p, bool *eof)
{
	char block[65536];
	size_t total = 0;
	int idle = 0;
	ssize_t n;

	*eof = false;
	while (idle < 1000) {
		event_base_loop(p->base, EVLOOP_NONBLOCK);
		n = read(p->client, block, sizeof(block));
		if (n == 0) {
			*eof = true;
			break;
		}
		if (n > 0) {
			total += (size_t)n;
			idle = 0;
		} else {
			idle++;
			usleep(1000);
		}
	}
	return (total);
}

/* Run the loop for up to ms milliseconds, until no drain is open. */
static void
pair_wait_drained(struct pair *p, int ms)
{
	int waited;

	for (waited = 0; waited < ms && drain_active() > 0; waited += 10) {
		event_base_loop(p->base, EVLOOP_NONBLOCK);
		usleep(10000);
	}
}

/* Close the client side and wait until the drain has closed too. */
static void
pair_close(struct pair *p)
{
	close(p->client);
	pair_wait_drained(p, 1000);
	assert_int_equal(drain_active(), 0);
	event_base_free(p->base);
}

static struct evbuffer *
queue_of(size_t len)
{
	struct evbuffer *out = evbuffer_new();
	uint8_t *bytes = malloc(len);

	assert_non_null(out);
	assert_non_null(bytes);
	memset(bytes, 'q', len);
	assert_int_equal(evbuffer_add(out, bytes, len), 0);
	free(bytes);
	return (out);
}

static void
test_drain_delivers_all_then_closes(void **state)
{
	struct pair p;
	bool eof;

	(void)state;
	pair_open(&p);
	drain_start(p.base, p.server, queue_of(QUEUED_BYTES), "test");
	assert_int_equal(pair_read_all(&p, &eof), p.prefilled + QUEUED_BYTES);
	assert_true(eof);
	pair_close(&p);
}

/*
 * Unread bytes from the client would make close() send a reset, which
 * discards what the kernel has not sent yet.
 */
static void
test_drain_client_still_sending(void **state)
{
	char upload[4096];
	struct pair p;
	bool eof;

	(void)state;
	pair_open(&p);
	memset(upload, 'u', sizeof(upload));
	assert_int_equal(write(p.client, upload, sizeof(upload)),
	    (ssize_t)sizeof(upload));
	drain_start(p.base, p.server, queue_of(QUEUED_BYTES), "test");
	assert_int_equal(pair_read_all(&p, &eof), p.prefilled + QUEUED_BYTES);
	assert_true(eof);
	pair_close(&p);
}

static void
test_drain_empty_sends_fin(void **state)
{
	struct pair p;
	bool eof;

	(void)state;
	pair_open(&p);
	drain_start(p.base, p.server, evbuffer_new(), "test");
	assert_int_equal(pair_read_all(&p, &eof), p.prefilled);
	assert_true(eof);
	pair_close(&p);
}

/* The local port of a socket, as /proc/net/tcp shows it. */
static unsigned
local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return (ntohs(sin.sin_port));
}

/*
 * Whether a TCP socket of local port port is orphaned with bytes to
 * send: in FIN-WAIT-1 (state 04), LAST-ACK (09) or CLOSING (0B).
 */
static bool
orphan_on(unsigned port)
{
	char line[512];
	unsigned lport, state;
	bool found = false;
	FILE *f = fopen("/proc/net/tcp", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &lport,
		    &state) == 2 && lport == port && (state == 0x04 ||
		    state == 0x09 || state == 0x0b))
			found = true;
	}
	fclose(f);
	return (found);
}

/* Whether the client's reads end in a reset, after what was delivered. */
static bool
client_sees_reset(struct pair *p)
{
	char block[65536];
	ssize_t n;
	int idle;

	for (idle = 0; idle < 1000; idle++) {
		while ((n = read(p->client, block, sizeof(block))) > 0)
			idle = 0;
		if (n == 0)
			return (false);
		if (errno == ECONNRESET)
			return (true);
		usleep(1000);
	}
	return (false);
}

/*
 * A client that never reads: at the deadline the drain resets the
 * connection, and the kernel keeps no orphan in FIN-WAIT-1.
 */
static void
test_drain_deadline_resets(void **state)
{
	struct pair p;
	unsigned port;

	(void)state;
	pair_open(&p);
	port = local_port(p.server);
	drain_start(p.base, p.server, queue_of(QUEUED_BYTES), "test");
	pair_wait_drained(&p, (DRAIN_TIMEOUT + 5) * 1000);
	assert_int_equal(drain_active(), 0);
	assert_false(orphan_on(port));
	assert_true(client_sees_reset(&p));
	pair_close(&p);
}

/* A queue above the limit is not kept: the socket is reset at once. */
static void
test_drain_over_limit_resets(void **state)
{
	struct pair p;
	unsigned port;

	(void)state;
	pair_open(&p);
	port = local_port(p.server);
	drain_start(p.base, p.server, queue_of(DRAIN_BYTES_MAX + 1), "test");
	assert_int_equal(drain_active(), 0);
	assert_false(orphan_on(port));
	assert_true(client_sees_reset(&p));
	pair_close(&p);
}

/*
 * A client that sends FIN before it reads what is in the socket still
 * gets every byte and our FIN. The drain then closes long before the
 * deadline.
 */
static void
test_drain_client_closed_first(void **state)
{
	struct pair p;
	bool eof;

	(void)state;
	pair_open(&p);
	assert_int_equal(shutdown(p.client, SHUT_WR), 0);
	drain_start(p.base, p.server, evbuffer_new(), "test");
	pair_wait_drained(&p, 100);
	assert_int_equal(drain_active(), 1);
	assert_int_equal(pair_read_all(&p, &eof), p.prefilled);
	assert_true(eof);
	pair_wait_drained(&p, 1000);
	assert_int_equal(drain_active(), 0);
	pair_close(&p);
}

/* A client that sent FIN and never reads is reset at the deadline. */
static void
test_drain_client_closed_never_reads(void **state)
{
	struct pair p;
	unsigned port;

	(void)state;
	pair_open(&p);
	port = local_port(p.server);
	assert_int_equal(shutdown(p.client, SHUT_WR), 0);
	drain_start(p.base, p.server, evbuffer_new(), "test");
	pair_wait_drained(&p, (DRAIN_TIMEOUT + 5) * 1000);
	assert_int_equal(drain_active(), 0);
	assert_false(orphan_on(port));
	assert_true(client_sees_reset(&p));
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_delivers_all_then_closes),
		cmocka_unit_test(test_drain_client_still_sending),
		cmocka_unit_test(test_drain_empty_sends_fin),
		cmocka_unit_test(test_drain_over_limit_resets),
		cmocka_unit_test(test_drain_client_closed_first),
		cmocka_unit_test(test_drain_deadline_resets),
		cmocka_unit_test(test_drain_client_closed_never_reads),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
