/*
 * TLS handshakes on the worker threads. The control thread accepts a
 * connection and hands its socket and SSL object to the worker that
 * will own the client's tunnel, which runs the handshake, the costly
 * part of a connection, and hands both back with the result.
 */
#ifndef HEADEND_HANDSHAKE_H
#define HEADEND_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define HANDSHAKE_ERRORS_MAX	8	/* OpenSSL error codes kept */

struct conn;
struct netproc;

/* The result of a handshake, for the control thread. */
struct handshake_result {
	int		ok;		/* 1 when the handshake finished */
	unsigned long	errors[HANDSHAKE_ERRORS_MAX];
	size_t		nerrors;
	int		ssl_error;	/* SSL_get_error of the last step */
	int		sys_errno;	/* errno for SSL_ERROR_SYSCALL */
};

/*
 * On worker np: run the handshake of c (opaque here) on fd and ssl, then
 * report it to the control thread with worker_handshake_done.
 */
void	handshake_run(struct netproc *np, struct conn *c, uint64_t conn_id,
	    int fd, SSL *ssl);

/* On worker np: stop the handshake of connection conn_id, if running. */
void	handshake_cancel(struct netproc *np, uint64_t conn_id);

/*
 * On worker np, once its loop has ended: free the queue and forget its
 * handshakes without a report. The control thread owns their
 * connections and sockets.
 */
void	handshake_queue_free(struct netproc *np);

#endif
