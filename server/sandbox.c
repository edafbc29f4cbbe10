/* The sandbox of the network process declared in sandbox.h. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

#ifdef HEADEND_SANITIZE
#define SANDBOX_SANITIZE	1
#else
#define SANDBOX_SANITIZE	0
#endif

/*
 * System calls allowed with any arguments. The list comes from strace -f
 * over the integration tests. It adds calls that glibc, libevent and
 * OpenSSL make on paths the tests may not reach, such as error handling,
 * the reconnect of syslog(3), timers and batched UDP input and output.
 * Names unknown on the build's architecture are skipped.
 */
static const char *const sandbox_syscalls[] = {
	/* Descriptors the process inherited or accepted. */
	"read", "readv", "recvfrom", "recvmsg", "recvmmsg",
	"write", "writev", "sendto", "sendmsg", "sendmmsg",
	"accept", "accept4", "listen", "connect", "shutdown", "close",
	"getsockopt", "setsockopt", "getsockname", "getpeername",
	"fcntl", "fstat", "newfstatat", "lseek",

	/* The event loop and its wakeup descriptors. */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "poll", "ppoll", "pipe2", "eventfd2",

	/* malloc(3); mmap and mprotect have their own rules. */
	"brk", "munmap", "mremap", "madvise",

	/* Time, when the vDSO is not used. */
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep",

	/* Signals, including the SIGSYS handler below. */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"restart_syscall",

	/* Identity, randomness, locks and exit. */
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "getrandom", "futex",
	"sched_yield", "sysinfo", "getrlimit", "exit", "exit_group",
};

/*
 * Names of the native system calls by number, resolved before the filter
 * is loaded, because the SIGSYS handler may not allocate. x86_64 numbers
 * stay below 512.
 */
#define SANDBOX_NAMES_MAX	512
static char *sandbox_names[SANDBOX_NAMES_MAX];

/* ioctl(2) requests the process may make, on any descriptor. */
static const unsigned long sandbox_ioctls[] = {
	FIONREAD,	/* libevent sizes its reads */
	FIONBIO,
	TIOCOUTQ,	/* bytes not yet sent on a socket */
	TCGETS,		/* isatty(3), from stdio */
};

/* Append the decimal digits of n to buf at *len. */
static void
sandbox_format_number(char *buf, size_t *len, unsigned int n)
{
	char digits[16];
	size_t i = 0;

	do {
		digits[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	while (i > 0)
		buf[(*len)++] = digits[--i];
}

static void
sandbox_append(char *buf, size_t *len, const char *text)
{
	size_t n = strlen(text);

	memcpy(buf + *len, text, n);
	*len += n;
}

/*
 * Report the blocked system call and stop with SIGSYS, so the parent logs
 * the signal and starts a new network process. Only async-signal-safe
 * calls are made here, so the message goes to stderr with write(2) and
 * not through the logger. The filter kills calls from other
 * architectures without a signal, so the number is a native one.
 */
static void
sandbox_sigsys(int sig, siginfo_t *info, void *context)
{
	struct sigaction sa;
	char msg[256];
	size_t len = 0;
	ssize_t rc;

	(void)context;
	sandbox_append(msg, &len, "headend: network process: system call ");
	sandbox_format_number(msg, &len, (unsigned int)info->si_syscall);
	if (info->si_syscall >= 0 && info->si_syscall < SANDBOX_NAMES_MAX &&
	    sandbox_names[info->si_syscall] != NULL &&
	    strlen(sandbox_names[info->si_syscall]) < 64) {
		sandbox_append(msg, &len, " (");
		sandbox_append(msg, &len, sandbox_names[info->si_syscall]);
		sandbox_append(msg, &len, ")");
	}
	sandbox_append(msg, &len, " is not allowed by the seccomp filter; "
	    "stopping\n");
	rc = write(STDERR_FILENO, msg, len);
	(void)rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	/* SIGSYS stays blocked until the handler returns, then ends it. */
	raise(sig);
}

static int
sandbox_catch_sigsys(void)
{
	struct sigaction sa;
	int nr;

	for (nr = 0; nr < SANDBOX_NAMES_MAX; nr++)
		if (sandbox_names[nr] == NULL)
			sandbox_names[nr] = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nr);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return (-errno);
	return (0);
}

static int
sandbox_allow_names(scmp_filter_ctx ctx)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < sizeof(sandbox_syscalls) /
	    sizeof(sandbox_syscalls[0]); i++) {
		nr = seccomp_syscall_resolve_name(sandbox_syscalls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc != 0) {
			log_warnx("seccomp: cannot allow %s: %s",
			    sandbox_syscalls[i], strerror(-rc));
			return (rc);
		}
	}
	return (0);
}

/*
 * ioctl(2) takes an unsigned long request, but the kernel reads only its
 * low 32 bits, so those are all the rule compares.
 */
static int
sandbox_allow_ioctls(scmp_filter_ctx ctx)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]);
	    i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
		    sandbox_ioctls[i]));
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/*
 * Calls allowed only with some arguments: memory is never made
 * executable, new sockets are Unix sockets (syslog(3) reconnects after
 * its daemon restarts), signals go only to this process, and resource
 * limits can be read but not changed. Files cannot be opened at all: the
 * attempt fails with EACCES, which libraries handle like a missing file.
 */
static int
sandbox_allow_arguments(scmp_filter_ctx ctx)
{
	int rc;

	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64),
	    2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(openat), 0)) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(open), 0)) != 0)
		return (rc);
	return (sandbox_allow_ioctls(ctx));
}

/*
 * Build and load the filter. The default action traps into
 * sandbox_sigsys; a call made through another architecture's system
 * call table (int 0x80 on x86_64) kills the process at once.
 * libseccomp sets no_new_privs before loading, which lets an
 * unprivileged process load a filter.
 */
static int
sandbox_load_filter(void)
{
	scmp_filter_ctx ctx;
	int rc;

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		return (-ENOMEM);
	/* TSYNC: the worker threads, started before, get the filter too. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0 ||
	    (rc = sandbox_allow_names(ctx)) != 0 ||
	    (rc = sandbox_allow_arguments(ctx)) != 0 ||
	    (rc = sandbox_catch_sigsys()) != 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return (rc);
}

int
sandbox_limit_capabilities(void)
{
	int rc;

	capng_clear(CAPNG_SELECT_BOUNDS);
	if ((rc = capng_apply(CAPNG_SELECT_BOUNDS)) != 0) {
		log_warnx("cannot empty the capability bounding set "
		    "(capng_apply returned %d); it needs CAP_SETPCAP", rc);
		return (-EPERM);
	}
	return (0);
}

/*
 * Setting the effective, permitted and inheritable sets only lowers
 * them, which needs no privilege. The uid switch already emptied the
 * first two, but not the inheritable set.
 */
static int
sandbox_clear_capabilities(void)
{
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		log_warnx("cannot clear the capability sets");
		return (-EPERM);
	}
	if (capng_get_caps_process() != 0 ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
	    capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE) {
		log_warnx("capabilities are left after clearing them");
		return (-EPERM);
	}
	return (0);
}

/*
 * LeakSanitizer stops the process with ptrace at exit, which a process
 * that switched its uid allows only when it is dumpable again.
 */
static int
sandbox_allow_leak_check(void)
{
	int rc;

	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
		rc = -errno;
		log_warn("cannot make the process dumpable for "
		    "LeakSanitizer");
		return (rc);
	}
	log_info("sanitizer build: running without the seccomp filter");
	return (0);
}

int
sandbox_enter(void)
{
	int rc;

	if ((rc = sandbox_clear_capabilities()) != 0)
		return (rc);
	/* libseccomp sets it too, but sanitizer builds load no filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		rc = -errno;
		log_warn("cannot set no_new_privs");
		return (rc);
	}
	if (SANDBOX_SANITIZE)
		return (sandbox_allow_leak_check());
	if ((rc = sandbox_load_filter()) != 0) {
		log_warnx("cannot load the seccomp filter: %s",
		    strerror(-rc));
		return (rc);
	}
	log_debug("seccomp filter loaded; no capabilities left");
	return (0);
}
