/*
 * headend: the SSL VPN headend daemon. Parses the command line and the
 * configuration, then becomes the parent process.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <syslog.h>

#include "cert.h"
#include "certcrl.h"
#include "certdiag.h"
#include "config.h"
#include "hash.h"
#include "log.h"
#include "parent.h"
#include "tls.h"
#include "userfile.h"

/*
 * Where Linux-PAM 1.5 (Debian 12) looks for a service file, in this
 * order. A service with no file in either uses the "other" service.
 */
static const char *const pam_dirs[] = { "/etc/pam.d", "/usr/lib/pam.d" };

/* A user file that headend -t reads, and the errors found in it. */
struct user_file_errors {
	const char	*path;
	int		errors;
};

static void
usage(void)
{
	fprintf(stderr, "usage: headend [-ftv] [-c file]\n"
	    "  -c file  configuration file (default %s)\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "  -t       check the configuration and exit\n"
	    "  -v       log debug messages too\n", CONFIG_DEFAULT_PATH);
	exit(2);
}

static void
print_config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "%s\n", message);
}

/* Load every listener's certificate and key; count the failures. */
static int
load_tls(const struct config *cfg, SSL_CTX **tls)
{
	char err[1024];
	size_t i;
	int errors = 0;

	for (i = 0; i < cfg->nlisteners; i++) {
		tls[i] = tls_ctx_new(&cfg->listeners[i], err, sizeof(err));
		if (tls[i] == NULL) {
			fprintf(stderr, "%s:%d: %s\n", cfg->path,
			    cfg->listeners[i].line, err);
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
	printf("%s%s\n", level == CERTDIAG_WARNING ? "warning: " : "", line);
}

/* At startup they go to the log, where operators look for them. */
static void
log_certdiag(void *arg, enum certdiag_level level, const char *line)
{
	(void)arg;
	log_write(level == CERTDIAG_WARNING ? LOG_WARNING : LOG_INFO, "%s",
	    line);
}

static void
print_userfile_problem(void *arg, unsigned long line, const char *reason)
{
	struct user_file_errors *report = arg;

	fprintf(stderr, "%s:%lu: invalid line, %s: write \"username:hash\" "
	    "with a crypt(3) hash, a comment starting with '#' or a blank "
	    "line, or set the password again with \"headendctl user add\"\n",
	    report->path, line, reason);
	report->errors++;
}

/* Whether an earlier password group already uses tg's user file. */
static bool
user_file_seen(const struct config *cfg, const struct config_tgroup *tg)
{
	const struct config_tgroup *other;

	for (other = cfg->tgroups; other < tg; other++) {
		if (other->auth != AUTH_METHOD_CERTIFICATE &&
		    other->backend == PASSWORD_USER_FILE &&
		    strcmp(other->user_file, tg->user_file) == 0)
			return true;
	}
	return false;
}

/* Check each line of a tunnel-group's user file. Returns the errors. */
static int
check_user_file(const struct config *cfg, const struct config_tgroup *tg)
{
	struct user_file_errors report = { tg->user_file, 0 };
	int rc;

	rc = userfile_check(tg->user_file, print_userfile_problem, &report);
	if (rc == -ENOENT)
		fprintf(stderr, "%s:%d: user file %s of tunnel-group \"%s\" "
		    "does not exist: create it with \"headendctl user add -f "
		    "%s USERNAME\"\n", cfg->path, tg->line, tg->user_file,
		    tg->name, tg->user_file);
	else if (rc < 0 && rc != -EBADMSG)
		fprintf(stderr, "%s:%d: cannot read user file %s of "
		    "tunnel-group \"%s\": %s\n", cfg->path, tg->line,
		    tg->user_file, tg->name, strerror(-rc));

	if (rc < 0 && rc != -EBADMSG)
		return 1;
	return report.errors;
}

/*
 * PAM falls back to the "other" service for a name without a file, which
 * may be intended, so this is only a warning.
 */
static void
check_pam_service(const struct config *cfg, const struct config_tgroup *tg)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(pam_dirs) / sizeof(pam_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pam_dirs[i],
		    tg->pam_service);
		if (stat(path, &st) == 0)
			return;
	}

	printf("warning: %s:%d: pam-service \"%s\" of tunnel-group \"%s\" "
	    "has no file %s/%s or %s/%s, so PAM uses the \"other\" service: "
	    "create %s/%s unless that is intended\n", cfg->path, tg->line,
	    tg->pam_service, tg->name, pam_dirs[0], tg->pam_service,
	    pam_dirs[1], tg->pam_service, pam_dirs[0], tg->pam_service);
}

/* The network process switches to this account, so it must exist. */
static int
check_user_account(const struct config *cfg)
{
	struct passwd *pw;
	char where[PATH_MAX + 16];

	if (cfg->user_line > 0)
		snprintf(where, sizeof(where), "%s:%d", cfg->path,
		    cfg->user_line);
	else
		snprintf(where, sizeof(where), "%s", cfg->path);

	errno = 0;
	pw = getpwnam(cfg->user);
	if (pw != NULL)
		return 0;

	if (errno != 0 && errno != ENOENT)
		fprintf(stderr, "%s: cannot look up user \"%s\": %s\n", where,
		    cfg->user, strerror(errno));
	else
		fprintf(stderr, "%s: user \"%s\"%s does not exist: create it "
		    "with \"useradd --system %s\", or set user to an existing "
		    "account\n", where, cfg->user,
		    cfg->user_line > 0 ? "" : " (the default)", cfg->user);
	return 1;
}

/*
 * Check what a start reads besides the configuration: the account of the
 * network process, and the password source of every group that checks
 * passwords. Returns the number of errors.
 */
static int
check_auth(const struct config *cfg)
{
	const struct config_tgroup *tg;
	int errors = check_user_account(cfg);
	size_t i;

	for (i = 0; i < cfg->ntgroups; i++) {
		tg = &cfg->tgroups[i];
		if (tg->auth == AUTH_METHOD_CERTIFICATE)
			continue;
		if (tg->backend == PASSWORD_PAM)
			check_pam_service(cfg, tg);
		else if (!user_file_seen(cfg, tg))
			errors += check_user_file(cfg, tg);
	}
	return errors;
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
	int ch, rc, verbose = 0;

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
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (config_load(path, &cfg, print_config_error, NULL) != 0 ||
	    load_tls(cfg, tls) != 0 ||
	    cert_load(cfg, print_config_error, NULL) != 0)
		return (1);
	cert_setup_listeners(cfg, tls);
	if (check) {
		certdiag_config(cfg, print_certdiag, NULL);
		rc = check_auth(cfg) == 0 ? 0 : 1;
		if (rc == 0)
			printf("%s: configuration is valid\n", path);
		check_cleanup(cfg, tls);
		return (rc);
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
	log_init("parent", foreground, verbose);
	certdiag_config(cfg, log_certdiag, NULL);
	if ((rc = certcrl_start(cfg)) != 0) {
		log_warnx("cannot start the CRL file opener: %s",
		    strerror(-rc));
		return (1);
	}
	/* A reload replaces cfg and tls[], so the parent frees them. */
	return (parent_main(cfg, tls));
}
