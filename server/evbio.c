/* The evbuffer BIO declared in evbio.h. */
#include <errno.h>
#include <pthread.h>

#include "evbio.h"
#include "sinkbio.h"

static BIO_METHOD *evbio_method;
static pthread_once_t evbio_once = PTHREAD_ONCE_INIT;

/*
 * A write never waits for room, so libssl never keeps a record back for
 * a retry. tunnel_write bounds the buffer before it sends a record.
 */
static int
evbio_write(BIO *b, const char *data, int len)
{
	BIO_clear_retry_flags(b);
	if (len <= 0)
		return (0);
	if (evbuffer_add(BIO_get_data(b), data, (size_t)len) != 0)
		return (-1);
	return (len);
}

static void
evbio_method_init(void)
{
	evbio_method = sinkbio_method_new("headend evbuffer", evbio_write);
}

int
evbio_attach(SSL *ssl, struct evbuffer *out)
{
	BIO *b;

	pthread_once(&evbio_once, evbio_method_init);
	if (evbio_method == NULL || (b = BIO_new(evbio_method)) == NULL)
		return (-ENOMEM);
	BIO_set_data(b, out);

	/* Frees this side's reference to the socket BIO; reads keep theirs. */
	SSL_set0_wbio(ssl, b);
	return (0);
}

int
evbio_flush(struct evbuffer *out, int fd)
{
	if (evbuffer_get_length(out) == 0)
		return (0);
	if (evbuffer_write(out, fd) >= 0 || errno == EAGAIN ||
	    errno == EINTR)
		return (0);
	return (-errno);
}
