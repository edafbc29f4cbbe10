/*
 * A write-only BIO that appends to a libevent evbuffer. A tunnel gives
 * it to libssl as the write side of its TLS connection, so records
 * collect in memory and the tunnel writes them to the socket itself:
 * the dozens of records of one burst then cost one writev().
 */
#ifndef HEADEND_EVBIO_H
#define HEADEND_EVBIO_H

#include <event2/buffer.h>
#include <openssl/ssl.h>

/*
 * Make ssl write its records to the end of out, which must outlive ssl
 * or a later change of its write BIO. Reads still use the socket.
 * Returns 0 or -ENOMEM.
 */
int	evbio_attach(SSL *ssl, struct evbuffer *out);

/*
 * Write the bytes queued in out to the socket fd, as far as it takes
 * them. Returns 0 when bytes went, when the socket is full or when out
 * is empty, or -errno when the write failed. libevent's evbuffer_write
 * returns -1 for an empty buffer and leaves errno as it was, which
 * callers would take for a failed write.
 */
int	evbio_flush(struct evbuffer *out, int fd);

#endif
