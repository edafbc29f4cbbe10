/*
 * Unit tests for server/tls.c: a listener's context, loaded from a
 * configuration, completes TLS 1.3 and TLS 1.2 handshakes with an
 * OpenSSL client in memory and sends no session tickets. The cache is
 * off, so a ticket could never resume a session, and each one cost the
 * network process a copy of the session in every login of a storm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "test_cert_fixture.h"
#include "test_file_fixture.h"
#include "tls.h"

#define PUMP_ROUNDS	32

struct fixture {
	char		 dir[64];
	struct config	*cfg;
	SSL_CTX		*server_ctx;
	int		 sessions;	/* offered to the client's cache */
	int		 has_ticket;	/* the client's session has one */
};

/* A self-signed P-256 certificate and its key, as server.crt and .key. */
static void
write_certificate(const char *dir)
{
	EVP_PKEY *key;
	X509 *x;
	char path[128];
	FILE *f;

	cert_fixture_new("vpn.example.net", &key, &x);
	snprintf(path, sizeof(path), "%s/server.crt", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/server.key", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL), 1);
	assert_int_equal(fclose(f), 0);
	X509_free(x);
	EVP_PKEY_free(key);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[128], err[256] = "";
	int line;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-tls.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	write_certificate(fx->dir);
	file_fixture_write(fx->dir, "headend.conf",
	    "listeners = ( { certificate = \"server.crt\";"
	    " key = \"server.key\"; } );\n"
	    "tun = { address = \"198.19.255.1\"; };\n"
	    "pools = ( { name = \"staff\"; network = \"198.19.0.0/24\"; } );\n"
	    "group-policies = ( { name = \"all\"; } );\n"
	    "tunnel-groups = ( { name = \"staff\"; group-urls ="
	    " [ \"https://vpn.example.net/staff\" ];"
	    " authentication = \"password\"; pool = \"staff\";"
	    " group-policy = \"all\"; } );\n");
	snprintf(path, sizeof(path), "%s/headend.conf", fx->dir);
	assert_int_equal(config_load(path, &fx->cfg,
	    file_fixture_config_error, NULL), 0);
	fx->server_ctx = tls_ctx_new(&fx->cfg->listeners[0], err,
	    sizeof(err), &line);
	if (fx->server_ctx == NULL)
		fail_msg("tls_ctx_new, line %d: %s", line, err);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char command[128];

	SSL_CTX_free(fx->server_ctx);
	config_free(fx->cfg);
	snprintf(command, sizeof(command), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(command), 0);
	free(fx);
	return (0);
}

/*
 * Count the sessions offered to the client's cache: in TLS 1.3, one per
 * NewSessionTicket.
 */
static int
count_ticket(SSL *ssl, SSL_SESSION *session)
{
	struct fixture *fx = SSL_get_app_data(ssl);

	(void)session;
	fx->sessions++;
	return (0);
}

static SSL *
client_new(struct fixture *fx, int version, BIO *bio)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, version), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, version), 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
	SSL_CTX_sess_set_new_cb(ctx, count_ticket);
	assert_non_null(ssl = SSL_new(ctx));
	SSL_CTX_free(ctx);
	SSL_set_app_data(ssl, fx);
	SSL_set_bio(ssl, bio, bio);
	SSL_set_connect_state(ssl);
	return (ssl);
}

/*
 * Run both ends until the handshake is done and one byte has crossed
 * from the server to the client, so that the client has read whatever
 * the server sent after its Finished.
 */
static void
pump(SSL *client, SSL *server)
{
	char byte = 0;
	int i, written = 0;

	for (i = 0; i < PUMP_ROUNDS; i++) {
		SSL_do_handshake(client);
		SSL_do_handshake(server);
		if (!written && SSL_is_init_finished(server))
			written = SSL_write(server, "x", 1) == 1;
		if (written && SSL_read(client, &byte, 1) == 1)
			break;
	}
	assert_true(SSL_is_init_finished(client));
	assert_int_equal(byte, 'x');
}

static void
handshake_counts_tickets(struct fixture *fx, int version)
{
	BIO *client_bio, *server_bio;
	SSL *client, *server;

	assert_int_equal(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0),
	    1);
	client = client_new(fx, version, client_bio);
	assert_non_null(server = SSL_new(fx->server_ctx));
	SSL_set_bio(server, server_bio, server_bio);
	SSL_set_accept_state(server);

	pump(client, server);
	assert_int_equal(SSL_version(client), version);
	fx->has_ticket = SSL_SESSION_has_ticket(SSL_get0_session(client));

	SSL_free(client);
	SSL_free(server);
}

static void
test_tls13_sends_no_ticket(void **state)
{
	struct fixture *fx = *state;

	handshake_counts_tickets(fx, TLS1_3_VERSION);
	assert_int_equal(fx->sessions, 0);
	assert_false(fx->has_ticket);
}

static void
test_tls12_sends_no_ticket(void **state)
{
	struct fixture *fx = *state;

	handshake_counts_tickets(fx, TLS1_2_VERSION);
	assert_false(fx->has_ticket);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tls13_sends_no_ticket,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls12_sends_no_ticket,
		    setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
