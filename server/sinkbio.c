/* The write-only BIO method declared in sinkbio.h. */
#include "sinkbio.h"

/* libssl flushes after each flight, and no bytes wait here to be sent. */
static long
sinkbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return (cmd == BIO_CTRL_FLUSH ? 1 : 0);
}

static int
sinkbio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return (1);
}

BIO_METHOD *
sinkbio_method_new(const char *name, sinkbio_write_fn write)
{
	BIO_METHOD *m;

	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, name);
	if (m == NULL || BIO_meth_set_write(m, write) != 1 ||
	    BIO_meth_set_ctrl(m, sinkbio_ctrl) != 1 ||
	    BIO_meth_set_create(m, sinkbio_create) != 1) {
		BIO_meth_free(m);
		return (NULL);
	}
	return (m);
}
