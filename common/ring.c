/* The lock-free record ring declared in ring.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

/*
 * Each record starts with this header and is padded to 8 bytes. A record
 * never wraps: when it does not fit before the end of the buffer, the
 * producer writes a header with RING_SKIP there and starts over at 0.
 */
struct ring_header {
	uint32_t	len;		/* payload bytes, or RING_SKIP */
	uint32_t	reserved;
};

#define RING_SKIP	UINT32_MAX
#define RING_ALIGN(n)	(((n) + 7) & ~(size_t)7)

struct ring *
ring_new(size_t size)
{
	struct ring *r;

	if (size < 64 || (size & (size - 1)) != 0) {
		errno = EINVAL;
		return (NULL);
	}
	if ((r = calloc(1, sizeof(*r) + size)) == NULL)
		return (NULL);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->size = size;
	return (r);
}

void
ring_free(struct ring *r)
{
	free(r);
}

static size_t
ring_iov_len(const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return (len);
}

static void
ring_copy_in(uint8_t *dst, const struct iovec *iov, int iovcnt)
{
	int i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
}

int
ring_push(struct ring *r, const struct iovec *iov, int iovcnt)
{
	size_t len = ring_iov_len(iov, iovcnt);
	size_t need = sizeof(struct ring_header) + RING_ALIGN(len);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t off = tail & (r->size - 1), gap = r->size - off;
	struct ring_header h = { .len = (uint32_t)len };

	/* Half the ring at most, so a skip never makes a record unfit. */
	if (need > r->size / 2)
		return (-EMSGSIZE);
	if (gap < need) {
		if (r->size - (tail - head) < gap + need)
			return (-ENOBUFS);
		h.len = RING_SKIP;
		memcpy(r->data + off, &h, sizeof(h));
		tail += gap;
		off = 0;
		h.len = (uint32_t)len;
	} else if (r->size - (tail - head) < need) {
		return (-ENOBUFS);
	}
	memcpy(r->data + off, &h, sizeof(h));
	ring_copy_in(r->data + off + sizeof(h), iov, iovcnt);

	/* Release: the consumer gets the bytes before the new tail. */
	atomic_store_explicit(&r->tail, tail + need, memory_order_release);
	return (0);
}

uint8_t *
ring_front(struct ring *r, size_t *len)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	struct ring_header h;
	size_t off;

	if (head == tail)
		return (NULL);
	off = head & (r->size - 1);
	memcpy(&h, r->data + off, sizeof(h));
	if (h.len == RING_SKIP) {
		head += r->size - off;
		atomic_store_explicit(&r->head, head, memory_order_release);
		if (head == tail)
			return (NULL);
		off = 0;
		memcpy(&h, r->data, sizeof(h));
	}
	*len = h.len;
	return (r->data + off + sizeof(h));
}

void
ring_pop(struct ring *r)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct ring_header h;

	memcpy(&h, r->data + (head & (r->size - 1)), sizeof(h));
	head += sizeof(h) + RING_ALIGN((size_t)h.len);

	/* Release: the producer may reuse the bytes only after this. */
	atomic_store_explicit(&r->head, head, memory_order_release);
}
