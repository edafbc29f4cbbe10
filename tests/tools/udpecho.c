/*
 * udpecho: a UDP echo server for the benchmark's inside host. Every
 * datagram is sent back to its sender unchanged, so that loadgen can
 * measure the round trip of its voice stream. It receives and sends in
 * batches with recvmmsg and sendmmsg so that it adds little delay of its
 * own, and it exits after --max-time seconds or on SIGTERM.
 *
 * usage: udpecho [--address ADDR] [--port N] [--max-time S]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ECHO_BATCH	64
#define ECHO_BUF	2048

static volatile sig_atomic_t echo_stop;

static void
echo_signal(int sig)
{
	(void)sig;
	echo_stop = 1;
}

static double
echo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static int
echo_socket(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "udpecho: invalid address %s\n", addr);
		return (-1);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		fprintf(stderr, "udpecho: cannot bind %s:%d: %s\n", addr,
		    port, strerror(errno));
		return (-1);
	}
	return (fd);
}

/* Receive what is queued, at most one batch, and send it all back. */
static int
echo_batch(int fd)
{
	static uint8_t bufs[ECHO_BATCH][ECHO_BUF];
	static struct sockaddr_in peers[ECHO_BATCH];
	struct mmsghdr msgs[ECHO_BATCH];
	struct iovec iov[ECHO_BATCH];
	int i, n;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < ECHO_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = ECHO_BUF;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &peers[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
	}
	n = recvmmsg(fd, msgs, ECHO_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return (n < 0 && errno != EAGAIN && errno != EINTR ? -1 : 0);
	for (i = 0; i < n; i++)
		iov[i].iov_len = msgs[i].msg_len;
	/* A lost reply shows up as loss in loadgen, so errors are ignored. */
	sendmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT);
	return (n);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "max-time", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "0.0.0.0";
	double max_time = 600, end;
	int port = 7, ch, fd;
	struct pollfd pfd;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'a')
			addr = optarg;
		else if (ch == 'p')
			port = atoi(optarg);
		else if (ch == 't')
			max_time = atof(optarg);
		else {
			fprintf(stderr, "usage: udpecho [--address ADDR] "
			    "[--port N] [--max-time SECONDS]\n");
			return (2);
		}
	}
	if ((fd = echo_socket(addr, port)) < 0)
		return (1);
	signal(SIGTERM, echo_signal);
	signal(SIGINT, echo_signal);
	end = echo_now() + max_time;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!echo_stop && echo_now() < end) {
		if (poll(&pfd, 1, 200) > 0 && echo_batch(fd) < 0) {
			fprintf(stderr, "udpecho: receive failed: %s\n",
			    strerror(errno));
			return (1);
		}
	}
	close(fd);
	return (0);
}
