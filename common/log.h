/*
 * One logger for every process: syslog by default, stderr in the
 * foreground (-f). Lines carry the process role ("parent", "authd",
 * "network"); session lines add session=, user=, group= and peer= through
 * the session logger in server/session.c.
 */
#ifndef HEADEND_LOG_H
#define HEADEND_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void	log_init(const char *role, bool to_stderr, int verbose);
void	log_set_role(const char *role);

/* log_warn and fatal append strerror(errno); the x variants do not. */
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_write(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vwrite(int priority, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/*
 * Copy in to out (len bytes, with NUL) with control characters, hidden
 * characters and bytes that are not UTF-8 written as \xNN, as every log
 * line is, so that text from a file or a client cannot garble a line.
 */
void	log_escape(const char *in, char *out, size_t len);

/*
 * Lines this process logged at LOG_WARNING or worse, so far. A caller
 * takes the count before a step and after it, to say how many warnings
 * the step logged.
 */
unsigned long	log_warning_count(void);

void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
