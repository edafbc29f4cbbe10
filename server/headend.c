/*
 * headend: the SSL VPN headend daemon. Parses the command line and the
 * configuration, then becomes the parent process.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <syslog.h>

#include "authcheck.h"
#include "cert.h"
#include "certcrl.h"
#include "certdiag.h"
#include "config.h"
#include "hash.h"
#include "log.h"
#include "netcheck.h"
#include "parent.h"
#include "tls.h"

static void __attribute__((noreturn))
usage(FILE *out, int status)
{
	fprintf(out, "usage: headend [-ftv] [-c file]\n"
	    "  -c file  configuration file (default %s)\n"
	    "  -f       log to stderr, not to syslog (headend never\n"
	    "           puts itself in the background)\n"
	    "  -t       check the configuration and exit\n"
	    "  -v       log debug messages too\n"
	    "  -h       print this help\n", CONFIG_DEFAULT_PATH);
	exit(status);
}

/*
 * Print one message line, escaped as log lines are: a value from the
 * file may hold bytes that would garble the operator's terminal.
 */
static void
print_escaped(FILE *fp, const char *prefix, const char *text)
{
	char line[4 * 2048];

	log_escape(text, line, sizeof(line));
	fprintf(fp, "%s%s\n", prefix, line);
}

static void
print_config_error(void *arg, const char *message)
{
	(void)arg;
	print_escaped(stderr, "", message);
}

/* Load every listener's certificate and key; count the failures. */
static int
load_tls(const struct config *cfg, SSL_CTX **tls)
{
	char err[1024];
	size_t i;
	int errors = 0, line;

	for (i = 0; i < cfg->nlisteners; i++) {
		tls[i] = tls_ctx_new(&cfg->listeners[i], err, sizeof(err),
		    &line);
		if (tls[i] == NULL) {
			fprintf(stderr, "%s:%d: %s\n", cfg->path, line, err);
			errors++;
		}
	}
	return (errors);
}

/* headend -t prints the certificate hashes and warnings. */
static void
print_certdiag(void *arg, enum certdiag_level level, const char *line)
{
	(void)arg;
	if (level == CERTDIAG_ERROR)
		print_escaped(stderr, "error: ", line);
	else
		print_escaped(stdout, level == CERTDIAG_WARNING ?
		    "warning: " : "", line);
}

/* At startup they go to the log, where operators look for them. */
static void
log_certdiag(void *arg, enum certdiag_level level, const char *line)
{
	(void)arg;
	log_write(certdiag_priority(level), "%s", line);
}

/*
 * headend -t and a start print what authcheck finds: errors to stderr,
 * which shows the operator who starts it why it stops. Warnings go to
 * stdout with -t, and to the log at a start, where they are looked for.
 */
static void
print_authcheck(void *arg, bool error, const char *text)
{
	bool check = *(const bool *)arg;

	if (error)
		print_escaped(stderr, "", text);
	else if (check)
		print_escaped(stdout, "warning: ", text);
	else
		log_warnx("%s", text);
}

/* Free everything, so leak checkers see a clean exit after -t. */
static void
check_cleanup(struct config *cfg, SSL_CTX **tls)
{
	size_t i;

	for (i = 0; i < cfg->nlisteners; i++)
		SSL_CTX_free(tls[i]);
	cert_unload();
	config_free(cfg);
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	SSL_CTX *tls[CONFIG_MAX_LISTENERS] = { NULL };
	struct config *cfg = NULL;
	bool check = false, foreground = false;
	int ch, errors, rc, verbose = 0;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage(stdout, 0);
	while ((ch = getopt(argc, argv, "c:ftvh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			check = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout, 0);
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (!check)
		log_init("parent", foreground, verbose);

	/*
	 * SIGHUP's default action would end a daemon that is still reading
	 * its configuration. Until parent_main's event loop handles it, a
	 * reload request is dropped: the start reads the file anyway.
	 */
	if (!check)
		signal(SIGHUP, SIG_IGN);
	if (config_load(path, &cfg, print_config_error, NULL) != 0)
		return (1);

	/* Each check runs, so that one run lists every error. */
	errors = load_tls(cfg, tls);
	errors += cert_load(cfg, print_config_error, NULL);
	errors += authcheck_config(cfg, check, print_authcheck, &check);
	netcheck_pools(cfg, print_authcheck, &check);
	netcheck_forwarding(print_authcheck, &check);
	if (errors != 0) {
		if (!check)
			fprintf(stderr, "headend: not started: fix the errors "
			    "above (\"headend -t -c %s\" checks the file "
			    "again)\n", path);
		check_cleanup(cfg, tls);
		return (1);
	}

	cert_setup_listeners(cfg, tls);
	if (check) {
		certdiag_config(cfg, print_certdiag, NULL);
		printf("%s: configuration is valid\n", path);
		check_cleanup(cfg, tls);
		return (0);
	}
	if (hash_init() != 0) {
		fprintf(stderr, "headend: cannot initialize libsodium, which "
		    "keys the hash of the session tables\n");
		return (1);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "headend: must be started as root (it creates "
		    "the tun device and binds its ports, then drops "
		    "privileges)\n");
		return (1);
	}
	certdiag_config(cfg, log_certdiag, NULL);
	if ((rc = certcrl_start(cfg)) != 0) {
		log_warnx("cannot start the CRL file opener: %s",
		    strerror(-rc));
		return (1);
	}
	/* A reload replaces cfg and tls[], so the parent frees them. */
	return (parent_main(cfg, tls));
}
