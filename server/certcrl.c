/* The CRL file opener declared in certcrl.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "certcrl.h"
#include "ipc.h"
#include "log.h"
#include "regfile.h"

/*
 * A request (error 0) or a reply, with the file attached on success. The
 * network process's index of the group comes back in the reply, but the
 * group is found by name: after a reload, the network process keeps
 * retired groups in slots that the parent's configuration does not have.
 */
struct certcrl_message {
	uint32_t	tgroup;
	int32_t		error;	/* -errno of open(2), or 0 */
	char		group[CONFIG_NAME_MAX];
};

static struct {
	const struct config *cfg;	/* under lock */
	pthread_mutex_t	lock;
	int		thread_end;	/* the parent's thread reads here */
	int		network_end;	/* inherited by the network process */
	pthread_t	thread;
} certcrl_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .thread_end = -1,
    .network_end = -1 };

/* Open the crl-file of the named group, or return -errno. */
static int
certcrl_open(const char *group)
{
	const struct config_tgroup *tg;
	int fd;

	pthread_mutex_lock(&certcrl_state.lock);
	tg = certcrl_state.cfg != NULL ?
	    config_find_tgroup(certcrl_state.cfg, group) : NULL;
	if (tg == NULL || tg->crl_file[0] == '\0')
		fd = -EINVAL;
	else
		fd = regfile_open(tg->crl_file);
	pthread_mutex_unlock(&certcrl_state.lock);
	return (fd);
}

static void
certcrl_reply(const struct certcrl_message *req)
{
	struct certcrl_message rep = { .tgroup = req->tgroup };
	int fd = -1;

	if (memchr(req->group, '\0', sizeof(req->group)) == NULL)
		rep.error = -EINVAL;
	else if ((fd = certcrl_open(req->group)) < 0)
		rep.error = fd;
	ipc_send(certcrl_state.thread_end, &rep, sizeof(rep), fd);
	if (fd >= 0)
		close(fd);
}

/*
 * The thread only opens files and sends descriptors. It allocates no
 * memory, so a fork by the parent's main thread cannot catch it holding
 * a lock of malloc. Its own lock is never taken in a child. The start of
 * a thread may allocate, as AddressSanitizer's does, so the thread writes
 * a byte to started_fd for certcrl_start when that is over.
 */
static void *
certcrl_main(void *arg)
{
	int started_fd = *(int *)arg;
	struct certcrl_message req;
	char byte = 0;
	int n;

	while (write(started_fd, &byte, 1) < 0 && errno == EINTR)
		;
	for (;;) {
		n = ipc_recv(certcrl_state.thread_end, &req, sizeof(req),
		    NULL);
		if (n == (int)sizeof(req))
			certcrl_reply(&req);
		else if (n <= 0 && n != -EINTR && n != -EBADMSG)
			return (NULL);
	}
}

/*
 * Start the thread with every signal blocked, because signals stay with
 * the main thread, whose event loop handles them. Returns 0 or -errno.
 */
static int
certcrl_spawn(int *started_fd)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&certcrl_state.thread, NULL, certcrl_main,
	    started_fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (-rc);
}

/* Wait until the thread has started, so that a fork cannot catch it. */
static void
certcrl_wait_started(int fd)
{
	char byte;

	while (read(fd, &byte, 1) < 0 && errno == EINTR)
		;
}

int
certcrl_start(const struct config *cfg)
{
	int sv[2], started[2], rc;

	if (pipe2(started, O_CLOEXEC) != 0)
		return (-errno);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		close(started[0]);
		close(started[1]);
		return (rc);
	}
	certcrl_state.cfg = cfg;
	certcrl_state.thread_end = sv[0];
	certcrl_state.network_end = sv[1];

	rc = certcrl_spawn(&started[1]);
	if (rc == 0) {
		certcrl_wait_started(started[0]);
		pthread_detach(certcrl_state.thread);
	} else {
		close(sv[0]);
		close(sv[1]);
		certcrl_state.thread_end = certcrl_state.network_end = -1;
	}
	close(started[0]);
	close(started[1]);
	return (rc);
}

void
certcrl_set_config(const struct config *cfg)
{
	pthread_mutex_lock(&certcrl_state.lock);
	certcrl_state.cfg = cfg;
	pthread_mutex_unlock(&certcrl_state.lock);
}

int
certcrl_socket(void)
{
	return (certcrl_state.network_end);
}

int
certcrl_request(size_t tgroup, const char *group)
{
	struct certcrl_message req = { .tgroup = (uint32_t)tgroup };

	snprintf(req.group, sizeof(req.group), "%s", group);

	if (certcrl_state.network_end < 0)
		return (-ENOTCONN);
	return (ipc_send(certcrl_state.network_end, &req, sizeof(req), -1));
}

int
certcrl_receive(size_t *tgroup, int *fd, int *open_error)
{
	struct certcrl_message rep;
	int n;

	n = ipc_recv(certcrl_state.network_end, &rep, sizeof(rep), fd);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return (-EAGAIN);
	if (n == 0 || (n < 0 && n != -EBADMSG))
		return (-EPIPE);
	if (n != (int)sizeof(rep) || (rep.error == 0) != (*fd >= 0)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return (-EBADMSG);
	}
	*tgroup = rep.tgroup;
	*open_error = rep.error;
	return (0);
}
