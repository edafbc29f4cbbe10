/* The CRL file opener declared in certcrl.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "certcrl.h"
#include "ipc.h"
#include "log.h"

/* A request (error 0) or a reply, with the file attached on success. */
struct certcrl_message {
	uint32_t	tgroup;
	int32_t		error;	/* -errno of open(2), or 0 */
};

static struct {
	const struct config *cfg;
	int		thread_end;	/* the parent's thread reads here */
	int		network_end;	/* inherited by the network process */
	pthread_t	thread;
} certcrl_state = { .thread_end = -1, .network_end = -1 };

static void
certcrl_reply(const struct certcrl_message *req)
{
	const struct config *cfg = certcrl_state.cfg;
	struct certcrl_message rep = { req->tgroup, 0 };
	int fd = -1;

	if (req->tgroup >= cfg->ntgroups ||
	    cfg->tgroups[req->tgroup].crl_file[0] == '\0')
		rep.error = -EINVAL;
	else if ((fd = open(cfg->tgroups[req->tgroup].crl_file,
	    O_RDONLY | O_CLOEXEC)) < 0)
		rep.error = -errno;
	ipc_send(certcrl_state.thread_end, &rep, sizeof(rep), fd);
	if (fd >= 0)
		close(fd);
}

/*
 * The thread only opens files and sends descriptors: it allocates no
 * memory and takes no lock, so a fork by the parent's main thread cannot
 * catch it holding one.
 */
static void *
certcrl_main(void *arg)
{
	struct certcrl_message req;
	int n;

	(void)arg;
	for (;;) {
		n = ipc_recv(certcrl_state.thread_end, &req, sizeof(req),
		    NULL);
		if (n == (int)sizeof(req))
			certcrl_reply(&req);
		else if (n <= 0 && n != -EINTR && n != -EBADMSG)
			return (NULL);
	}
}

int
certcrl_start(const struct config *cfg)
{
	sigset_t all, old;
	int sv[2], rc;
	size_t i;

	for (i = 0; i < cfg->ntgroups; i++) {
		if (cfg->tgroups[i].crl_file[0] != '\0')
			break;
	}
	if (i == cfg->ntgroups)
		return (0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return (-errno);
	certcrl_state.cfg = cfg;
	certcrl_state.thread_end = sv[0];
	certcrl_state.network_end = sv[1];

	/* Signals stay with the main thread, whose event loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&certcrl_state.thread, NULL, certcrl_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		close(sv[0]);
		close(sv[1]);
		certcrl_state.thread_end = certcrl_state.network_end = -1;
		return (-rc);
	}
	pthread_detach(certcrl_state.thread);
	return (0);
}

int
certcrl_socket(void)
{
	return (certcrl_state.network_end);
}

int
certcrl_request(size_t tgroup)
{
	struct certcrl_message req = { (uint32_t)tgroup, 0 };

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
