/*
 * A BIO method for libssl's write side when the bytes go somewhere a
 * socket BIO cannot take them, such as a memory queue or one datagram
 * per record. The caller supplies the write. A flush returns success,
 * and any other control request returns 0 (not supported).
 */
#ifndef HEADEND_SINKBIO_H
#define HEADEND_SINKBIO_H

#include <openssl/bio.h>

typedef int (*sinkbio_write_fn)(BIO *b, const char *data, int len);

/* Create a method named name that writes with write; NULL on failure. */
BIO_METHOD	*sinkbio_method_new(const char *name, sinkbio_write_fn write);

#endif
