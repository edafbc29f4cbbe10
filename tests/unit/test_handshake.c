/*
 * Unit tests for server/handshake.c: a worker starts a few handshakes
 * per turn of its loop, oldest first, and a handshake already started
 * takes its next step before more new ones start. So a storm of
 * connections does not keep thousands of half-done handshakes at once.
 * The clients are OpenSSL objects in the test, on socket pairs.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "handshake.h"
#include "netproc.h"
#include "test_cert_fixture.h"

#define CLIENTS		12
#define STARTS_PER_TURN	4	/* HANDSHAKE_STARTS_PER_TURN */

struct client {
	SSL	*ssl;
	SSL	*server_ssl;	/* the worker's */
	int	 fd;		/* the test's end */
	int	 server_fd;	/* given to the worker */
	bool	 done;		/* reported to the control thread */
	bool	 ok;
};

static struct client clients[CLIENTS];
static size_t done_order[CLIENTS];	/* clients, as reported */
static size_t ndone;

/*
 * The worker's two calls into worker.c, defined here so that the test
 * receives each result in place of the control thread.
 */
size_t
worker_index(const struct netproc *np)
{
	(void)np;
	return (0);
}

void
worker_handshake_done(struct netproc *np, struct conn *c,
    const struct handshake_result *r)
{
	size_t i = (size_t)(uintptr_t)c - 1;

	(void)np;
	assert_true(i < CLIENTS);
	clients[i].done = true;
	clients[i].ok = r->ok == 1;
	done_order[ndone++] = i;
}

static SSL_CTX *
server_ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key;
	X509 *x;

	assert_non_null(ctx);
	SSL_CTX_set_num_tickets(ctx, 0);
	cert_fixture_new("vpn.example.net", &key, &x);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	return (ctx);
}

/* A TLS 1.3 client whose ClientHello is already in the socket. */
static void
client_start(SSL_CTX *ctx, struct client *c)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	c->fd = sv[0];
	c->server_fd = sv[1];
	assert_non_null(c->ssl = SSL_new(ctx));
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_connect_state(c->ssl);
	assert_int_equal(SSL_do_handshake(c->ssl), -1);
	assert_int_equal(SSL_get_error(c->ssl, -1), SSL_ERROR_WANT_READ);
}

/* Whether the server has written to client c: its handshake started. */
static bool
client_answered(const struct client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	return (poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
}

static size_t
count_answered(void)
{
	size_t i, n = 0;

	for (i = 0; i < CLIENTS; i++)
		n += client_answered(&clients[i]);
	return (n);
}

struct fixture {
	struct netproc	 np;
	SSL_CTX		*client_ctx;
	SSL_CTX		*server_ctx;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	size_t i;

	assert_non_null(fx);
	assert_non_null(fx->np.base = event_base_new());
	assert_non_null(fx->client_ctx = SSL_CTX_new(TLS_client_method()));
	SSL_CTX_set_min_proto_version(fx->client_ctx, TLS1_3_VERSION);
	fx->server_ctx = server_ctx_new();
	memset(clients, 0, sizeof(clients));
	ndone = 0;
	for (i = 0; i < CLIENTS; i++)
		client_start(fx->client_ctx, &clients[i]);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	handshake_queue_free(&fx->np);
	for (i = 0; i < CLIENTS; i++) {
		SSL_free(clients[i].server_ssl);
		SSL_free(clients[i].ssl);
		close(clients[i].fd);
		close(clients[i].server_fd);
	}
	SSL_CTX_free(fx->client_ctx);
	SSL_CTX_free(fx->server_ctx);
	event_base_free(fx->np.base);
	free(fx);
	return (0);
}

static void
run_all(struct fixture *fx)
{
	struct client *c;
	size_t i;

	for (i = 0; i < CLIENTS; i++) {
		c = &clients[i];
		assert_non_null(c->server_ssl = SSL_new(fx->server_ctx));
		handshake_run(&fx->np, (struct conn *)(uintptr_t)(i + 1),
		    i + 1, c->server_fd, c->server_ssl);
	}
}

/* One turn of the worker's loop, without waiting. */
static void
turn(struct fixture *fx)
{
	assert_int_equal(event_base_loop(fx->np.base,
	    EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
}

static void
test_starts_a_few_per_turn(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	run_all(fx);
	assert_int_equal(count_answered(), 0);

	turn(fx);
	assert_int_equal(count_answered(), STARTS_PER_TURN);
	for (i = 0; i < STARTS_PER_TURN; i++)
		assert_true(client_answered(&clients[i]));

	turn(fx);
	assert_int_equal(count_answered(), 2 * STARTS_PER_TURN);
	turn(fx);
	assert_int_equal(count_answered(), CLIENTS);
	assert_int_equal(ndone, 0);
}

static void
test_started_ones_finish_first(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	run_all(fx);
	turn(fx);
	for (i = 0; i < STARTS_PER_TURN; i++)
		assert_int_equal(SSL_do_handshake(clients[i].ssl), 1);

	/* Their Finished is read before the next ones start. */
	turn(fx);
	assert_int_equal(ndone, STARTS_PER_TURN);
	for (i = 0; i < STARTS_PER_TURN; i++) {
		assert_int_equal(done_order[i], i);
		assert_true(clients[i].ok);
	}
	assert_int_equal(count_answered(), STARTS_PER_TURN);
	for (i = STARTS_PER_TURN; i < 2 * STARTS_PER_TURN; i++)
		assert_true(client_answered(&clients[i]));
}

static void
test_cancel_before_start(void **state)
{
	struct fixture *fx = *state;

	run_all(fx);
	handshake_cancel(&fx->np, CLIENTS);
	assert_int_equal(ndone, 1);
	assert_false(clients[CLIENTS - 1].ok);

	turn(fx);
	turn(fx);
	turn(fx);
	assert_int_equal(count_answered(), CLIENTS - 1);
	assert_false(client_answered(&clients[CLIENTS - 1]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_starts_a_few_per_turn,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_started_ones_finish_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_before_start,
		    setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
