/* The logger declared in log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

/* Forward the variadic arguments of the enclosing function. */
#define LOG_FORWARD(priority)			\
	do {					\
		va_list ap;			\
		va_start(ap, fmt);		\
		log_vwrite(priority, fmt, ap);	\
		va_end(ap);			\
	} while (0)

static const char *log_role = "headend";
static bool log_stderr = true;
static int log_verbose;
static unsigned long log_warnings;	/* atomic: workers log too */

void
log_init(const char *role, bool to_stderr, int verbose)
{
	log_role = role;
	log_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog("headend", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_role(const char *role)
{
	log_role = role;
}

static const char *
log_level_name(int priority)
{
	switch (priority) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/*
 * Escape what a client could use to forge or garble log lines: control
 * characters (a newline would start a line of the client's choosing) and
 * bytes that are not valid UTF-8 become \xNN.
 */
void
log_escape(const char *in, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t used = 0, n;

	while (*p != '\0' && used + 5 < len) {
		if ((n = utf8_shown_length(p)) > 0) {
			memcpy(out + used, p, n);
			used += n;
			p += n;
		} else {
			used += (size_t)snprintf(out + used, len - used,
			    "\\x%02x", *p++);
		}
	}
	out[used] = '\0';
}

void
log_vwrite(int priority, const char *fmt, va_list ap)
{
	char raw[2048], line[4 * sizeof(raw)];
	struct timespec ts;
	struct tm tm;

	if (priority == LOG_DEBUG && log_verbose < 1)
		return;
	if (priority <= LOG_WARNING)
		__atomic_add_fetch(&log_warnings, 1, __ATOMIC_RELAXED);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, line, sizeof(line));
	if (!log_stderr) {
		syslog(priority, "%s: %s", log_role, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_role,
	    (int)getpid(), log_level_name(priority), line);
}

unsigned long
log_warning_count(void)
{
	return (__atomic_load_n(&log_warnings, __ATOMIC_RELAXED));
}

void
log_write(int priority, const char *fmt, ...)
{
	LOG_FORWARD(priority);
}

/* Format fmt, then append ": strerror(saved errno)". */
static void
log_with_errno(int priority, int saved_errno, const char *fmt, va_list ap)
{
	char msg[1536];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_write(priority, "%s: %s", msg, strerror(saved_errno));
}

void
log_err(const char *fmt, ...)
{
	LOG_FORWARD(LOG_ERR);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_FORWARD(LOG_WARNING);
}

void
log_notice(const char *fmt, ...)
{
	LOG_FORWARD(LOG_NOTICE);
}

void
log_info(const char *fmt, ...)
{
	LOG_FORWARD(LOG_INFO);
}

void
log_debug(const char *fmt, ...)
{
	LOG_FORWARD(LOG_DEBUG);
}

void
log_warn(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_with_errno(LOG_WARNING, saved_errno, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_with_errno(LOG_ERR, saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_FORWARD(LOG_ERR);
	exit(1);
}
