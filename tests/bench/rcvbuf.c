/*
 * A preload library for the benchmark's ceiling runs. It gives every UDP
 * socket that the client connects a receive buffer of BENCH_RCVBUF bytes
 * (4 MiB unless set), so that openconnect's DTLS socket no longer drops
 * the datagrams that arrive while its shared core runs something else.
 * The kernel caps the size at net.core.rmem_max, which a network
 * namespace takes from the host and cannot raise.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>

#define RCVBUF_DEFAULT	(4 * 1024 * 1024)

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static int
rcvbuf_size(void)
{
	const char *text = getenv("BENCH_RCVBUF");
	int size = text != NULL ? atoi(text) : 0;

	return (size > 0 ? size : RCVBUF_DEFAULT);
}

static int
socket_is_udp(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_DGRAM);
}

int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static connect_fn next;
	int size;

	if (next == NULL)
		next = (connect_fn)dlsym(RTLD_NEXT, "connect");
	if (socket_is_udp(fd)) {
		size = rcvbuf_size();
		/* If this fails, the run measures the default buffer. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	}
	return (next(fd, addr, len));
}
