/*
 * Unit tests for common/regfile.c: a FIFO or a device named where a file
 * belongs is refused at once, without waiting for a writer.
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "regfile.h"

static char test_dir[PATH_MAX];
static char test_path[PATH_MAX + 16];

static const char *
test_file(const char *name)
{
	snprintf(test_path, sizeof(test_path), "%s/%s", test_dir, name);
	return (test_path);
}

static void
test_regular_file(void **state)
{
	char buf[16] = { 0 };
	FILE *fp;
	int fd;

	(void)state;
	fp = fopen(test_file("plain"), "w");
	assert_non_null(fp);
	fputs("text\n", fp);
	fclose(fp);

	fd = regfile_open(test_path);
	assert_true(fd >= 0);
	/* The descriptor blocks again, as an ordinary open's would. */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 5);
	assert_string_equal(buf, "text\n");
	close(fd);

	fp = regfile_fopen(test_path);
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	unlink(test_path);
}

/* Without O_NONBLOCK, this open would wait for a writer forever. */
static void
test_fifo(void **state)
{
	(void)state;
	assert_int_equal(mkfifo(test_file("fifo"), 0600), 0);
	alarm(10);	/* a wait ends the test with SIGALRM */
	assert_int_equal(regfile_open(test_path), -REGFILE_ENOTREG);
	assert_null(regfile_fopen(test_path));
	assert_int_equal(errno, REGFILE_ENOTREG);
	alarm(0);
	assert_string_equal(regfile_strerror(REGFILE_ENOTREG),
	    "not a regular file");
	unlink(test_path);
}

/* /dev/zero would never end and fill the reader's memory. */
static void
test_device_and_directory(void **state)
{
	(void)state;
	assert_int_equal(regfile_open("/dev/zero"), -REGFILE_ENOTREG);
	assert_int_equal(regfile_open(test_dir), -EISDIR);
	assert_int_equal(regfile_open(test_file("missing")), -ENOENT);
	assert_string_equal(regfile_strerror(ENOENT), strerror(ENOENT));
}

static int
setup(void **state)
{
	char dir[] = "/tmp/test_regfile.XXXXXX";

	(void)state;
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(test_dir, sizeof(test_dir), "%s", dir);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	return (rmdir(test_dir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_device_and_directory),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
