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

#endif
