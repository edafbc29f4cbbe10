/*
 * Tests for cfgbundle.c: a configuration and the files it names, carried
 * through a sealed memfd, read back and checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgbundle.h"
#include "config.h"
#include "test_file_fixture.h"

struct fixture {
	char		dir[64];
	struct config	*cfg;
};

/* A configuration whose certificate and key exist; the chain does not. */
static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[128];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-cfgbundle.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	file_fixture_write(fx->dir, "server.crt", "certificate text\n");
	file_fixture_write(fx->dir, "server.key", "key text\n");
	file_fixture_write(fx->dir, "headend.conf", "user = \"headend\";\n"
	    "listeners = ( { certificate = \"server.crt\";"
	    " key = \"server.key\"; chain = \"missing.pem\"; } );\n"
	    "tun = { address = \"198.19.255.1\"; };\n"
	    "pools = ( { name = \"a\"; network = \"198.19.0.0/24\"; } );\n"
	    "group-policies = ( { name = \"all\"; } );\n"
	    "tunnel-groups = ( { name = \"staff\";"
	    " group-urls = [ \"https://vpn/staff\" ]; pool = \"a\";"
	    " group-policy = \"all\"; } );\n");
	snprintf(path, sizeof(path), "%s/headend.conf", fx->dir);
	assert_int_equal(config_load(path, &fx->cfg,
	    file_fixture_config_error, NULL), 0);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = { "server.crt", "server.key", "headend.conf" };
	char path[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, names[i]);
		unlink(path);
	}
	rmdir(fx->dir);
	config_free(fx->cfg);
	free(fx);
	return (0);
}

/* Read all of a BIO into buf as a string. */
static void
bio_text(BIO *bio, char *buf, size_t size)
{
	int n = BIO_read(bio, buf, (int)size - 1);

	buf[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

static void
test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct cfgbundle *b, *copy;
	uint64_t size = 0;
	char text[64];
	BIO *bio;
	int fd, err;

	assert_int_equal(cfgbundle_collect(fx->cfg, &b), 0);
	fd = cfgbundle_to_memfd(b, &size);
	assert_true(fd >= 0);
	assert_true(size > sizeof(struct config));
	assert_int_equal(cfgbundle_from_fd(fd, size, &copy), 0);
	assert_memory_equal(cfgbundle_config(copy), fx->cfg,
	    sizeof(struct config));

	assert_non_null(bio = cfgbundle_open(copy,
	    fx->cfg->listeners[0].certificate, &err));
	bio_text(bio, text, sizeof(text));
	assert_string_equal(text, "certificate text\n");
	assert_non_null(bio = cfgbundle_open(copy, fx->cfg->listeners[0].key,
	    &err));
	bio_text(bio, text, sizeof(text));
	assert_string_equal(text, "key text\n");

	/* A file that could not be read keeps its error. */
	assert_null(cfgbundle_open(copy, fx->cfg->listeners[0].chain, &err));
	assert_int_equal(err, ENOENT);
	assert_null(cfgbundle_open(copy, "/etc/passwd", &err));
	assert_int_equal(err, ENOENT);
	cfgbundle_free(copy);
	cfgbundle_free(b);
	close(fd);
}

/*
 * A file over the bundle's limit fails when read directly too, as at a
 * start or in headend -t, so that they agree with a reload.
 */
static void
test_direct_open_size_limit(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	int err = 0;

	snprintf(path, sizeof(path), "%s/server.crt", fx->dir);
	assert_int_equal(truncate(path, CFGBUNDLE_FILE_MAX + 1), 0);
	assert_null(cfgbundle_open(NULL, path, &err));
	assert_int_equal(err, EFBIG);

	assert_int_equal(truncate(path, CFGBUNDLE_FILE_MAX), 0);
	BIO_free(cfgbundle_open(NULL, path, &err));
	assert_int_equal(err, 0);
}

/* The memfd is sealed, so no process can change what the reader checked. */
static void
test_memfd_sealed(void **state)
{
	struct fixture *fx = *state;
	struct cfgbundle *b;
	uint64_t size = 0;
	int fd;

	assert_int_equal(cfgbundle_collect(fx->cfg, &b), 0);
	assert_true((fd = cfgbundle_to_memfd(b, &size)) >= 0);
	assert_int_equal(pwrite(fd, "x", 1, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, 1), -1);
	cfgbundle_free(b);
	close(fd);
}

/* Read a bundle from a plain file holding data, of the given size. */
static int
from_bytes(const void *data, size_t len, uint64_t size)
{
	struct cfgbundle *b = NULL;
	FILE *f = tmpfile();
	int rc;

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fflush(f);
	rc = cfgbundle_from_fd(fileno(f), size, &b);
	cfgbundle_free(b);
	fclose(f);
	return (rc);
}

static void
test_malformed_rejected(void **state)
{
	struct fixture *fx = *state;
	struct cfgbundle *b;
	uint64_t size = 0;
	uint8_t *data;
	ssize_t n;
	int fd;

	assert_int_equal(cfgbundle_collect(fx->cfg, &b), 0);
	assert_true((fd = cfgbundle_to_memfd(b, &size)) >= 0);
	assert_non_null(data = malloc(size));
	n = pread(fd, data, size, 0);
	assert_int_equal(n, (ssize_t)size);
	assert_int_equal(from_bytes(data, size, size), 0);

	/* Cut short, one byte too long, a bad magic, a huge count. */
	assert_int_equal(from_bytes(data, size - 1, size - 1), -EBADMSG);
	assert_int_equal(from_bytes(data, size, size - 1), -EBADMSG);
	data[0] ^= 1;
	assert_int_equal(from_bytes(data, size, size), -EBADMSG);
	data[0] ^= 1;
	memset(data + 16 + sizeof(struct config), 0xff, 4);
	assert_int_equal(from_bytes(data, size, size), -EBADMSG);

	/* A configuration whose counts pass its arrays. */
	memcpy(data + 16 + sizeof(struct config), &(uint32_t){ 0 }, 4);
	((struct config *)(data + 16))->npools = CONFIG_MAX_POOLS + 1;
	assert_int_equal(from_bytes(data, 16 + sizeof(struct config) + 4,
	    16 + sizeof(struct config) + 4), -EBADMSG);
	assert_int_equal(from_bytes(data, size, CFGBUNDLE_SIZE_MAX + 1ull),
	    -EBADMSG);
	free(data);
	cfgbundle_free(b);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_direct_open_size_limit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_memfd_sealed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_rejected, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
