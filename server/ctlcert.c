/* The "headendctl cert-hash" command declared in ctlcert.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "certdiag.h"
#include "config.h"
#include "ctlcert.h"

enum ctlcert_status {
	CTLCERT_OK = 0,
	CTLCERT_FAILED = 1,
	CTLCERT_USAGE = 2,
};

static void
ctlcert_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: headendctl cert-hash [-c CONFIG]\n"
	    "       headendctl cert-hash FILE...\n"
	    "\n"
	    "Print the SHA-1 fingerprint and the certHash value (base64 of\n"
	    "the SHA-1) that phones pin, for the listeners' certificates,\n"
	    "chains and next-certificates, or for each certificate in the\n"
	    "PEM files named.\n"
	    "  -c CONFIG  configuration file (default %s)\n",
	    CONFIG_DEFAULT_PATH);
}

/*
 * Warnings go to standard output too, so they stay next to the hashes.
 * Errors go to standard error.
 */
static void
ctlcert_print(void *arg, enum certdiag_level level, const char *line)
{
	(void)arg;
	if (level == CERTDIAG_ERROR)
		fprintf(stderr, "headendctl: %s\n", line);
	else
		printf("%s%s\n", level == CERTDIAG_WARNING ? "warning: " : "",
		    line);
}

static void
ctlcert_config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "%s\n", message);
}

static int
ctlcert_config(const char *path)
{
	struct config *cfg = NULL;
	int rc;

	/* A file that cannot be read needs no headend -t to say so. */
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "headendctl: cannot read the configuration "
		    "file %s: %s; name another with -c FILE\n", path,
		    strerror(errno));
		return (CTLCERT_FAILED);
	}
	if (config_load(path, &cfg, ctlcert_config_error, NULL) != 0) {
		fprintf(stderr, "headendctl: %s is not a valid configuration; "
		    "check it with headend -t -c %s\n", path, path);
		return (CTLCERT_FAILED);
	}
	rc = certdiag_config(cfg, ctlcert_print, NULL);
	config_free(cfg);
	return (rc < 0 ? CTLCERT_FAILED : CTLCERT_OK);
}

int
ctlcert_main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	int opt, i, status = CTLCERT_OK;

	optind = 1;
	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			ctlcert_usage(stdout);
			return (CTLCERT_OK);
		default:
			ctlcert_usage(stderr);
			return (CTLCERT_USAGE);
		}
	}
	if (optind == argc)
		return (ctlcert_config(path));
	if (optind > 1) {
		fprintf(stderr, "headendctl: cert-hash takes either -c or "
		    "files, not both\n");
		return (CTLCERT_USAGE);
	}
	for (i = optind; i < argc; i++) {
		if (certdiag_file(argv[i], ctlcert_print, NULL) < 0)
			status = CTLCERT_FAILED;
	}
	return (status);
}
