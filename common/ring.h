/*
 * A single-producer, single-consumer ring of variable-length records in
 * shared memory. One thread pushes and one other thread pops, without a
 * lock: the positions are C11 atomics with acquire and release ordering.
 * A full ring rejects the record, so the producer decides what to drop.
 */
#ifndef HEADEND_RING_H
#define HEADEND_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define RING_CACHE_LINE	64

struct ring {
	_Atomic size_t	head;		/* bytes consumed; the consumer's */
	uint8_t		pad1[RING_CACHE_LINE - sizeof(size_t)];
	_Atomic size_t	tail;		/* bytes produced; the producer's */
	uint8_t		pad2[RING_CACHE_LINE - sizeof(size_t)];
	size_t		size;		/* a power of two */
	uint8_t		data[];
};

/* Allocate a ring of size bytes, a power of two of at least 64. */
struct ring *ring_new(size_t size);
void	ring_free(struct ring *r);

/*
 * Copy the buffers of iov into one record. Returns 0, -EMSGSIZE for a
 * record that can never fit, or -ENOBUFS while the ring is too full.
 */
int	ring_push(struct ring *r, const struct iovec *iov, int iovcnt);

/* The oldest record and its length, or NULL when the ring is empty. */
uint8_t *ring_front(struct ring *r, size_t *len);

/* Release the record that ring_front returned. */
void	ring_pop(struct ring *r);

#endif
