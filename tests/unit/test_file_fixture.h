/*
 * Files for tests that load a configuration: text written into the
 * test's own folder, and configuration errors printed to stderr.
 */
#ifndef TEST_FILE_FIXTURE_H
#define TEST_FILE_FIXTURE_H

#include <stdio.h>

#define FILE_FIXTURE_FN	static __attribute__((unused))

/* Write text to the file name in folder dir. */
FILE_FIXTURE_FN void
file_fixture_write(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Print a configuration error. This is config_load's error callback. */
FILE_FIXTURE_FN void
file_fixture_config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "config: %s\n", message);
}

#endif
