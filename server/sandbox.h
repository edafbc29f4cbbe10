/*
 * The sandbox of the network process: no capabilities and a seccomp
 * filter that allows only the system calls the process makes once it
 * serves clients. The process needs no capability at all, because the
 * parent binds the privileged ports and creates and configures the tun
 * device before the fork, and the network process only reads and writes
 * the descriptors it inherits.
 *
 * Builds with -DHEADEND_SANITIZE load no seccomp filter, because
 * LeakSanitizer attaches to the process with ptrace when it exits.
 */
#ifndef HEADEND_SANDBOX_H
#define HEADEND_SANDBOX_H

/*
 * Empty the capability bounding set. Call it as root, before switching to
 * the unprivileged user, because emptying the set requires CAP_SETPCAP.
 * Returns 0 or -EPERM, and logs the reason.
 */
int	sandbox_limit_capabilities(void);

/*
 * Clear the remaining capability sets, check that none is left, and load
 * the seccomp filter. Call it after the switch to the unprivileged user,
 * after every setup step and before the event loop runs. A system call
 * outside the filter's list then stops the process with SIGSYS, after a
 * message on stderr that names the system call. Returns 0 or
 * -errno, and logs the reason.
 */
int	sandbox_enter(void);

#endif
