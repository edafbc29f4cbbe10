/*
 * Counters that one thread writes and other threads read, such as a
 * tunnel's byte counts, which its worker thread adds to and the status
 * socket reads on the control thread.
 *
 * Each access is a relaxed atomic load or store. On x86-64 and arm64
 * that compiles to the same instruction as a plain access, so the packet
 * path pays nothing. A reader still gets whole values, and the compiler
 * may neither tear nor cache them. An add is a load and a store, not one
 * atomic read-modify-write, so each counter must have a single writer.
 */
#ifndef HEADEND_COUNTER_H
#define HEADEND_COUNTER_H

#include <stddef.h>
#include <stdint.h>

/* Add n to the counter and return its value before, for "every Nth". */
static inline uint64_t
counter_add(uint64_t *counter, uint64_t n)
{
	uint64_t before = __atomic_load_n(counter, __ATOMIC_RELAXED);

	__atomic_store_n(counter, before + n, __ATOMIC_RELAXED);
	return (before);
}

static inline void
counter_set(uint64_t *counter, uint64_t value)
{
	__atomic_store_n(counter, value, __ATOMIC_RELAXED);
}

static inline uint64_t
counter_get(const uint64_t *counter)
{
	return (__atomic_load_n(counter, __ATOMIC_RELAXED));
}

/* Add each of n counters to sum, an array that only the caller writes. */
static inline void
counters_sum(uint64_t *sum, const uint64_t *counters, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum[i] += counter_get(&counters[i]);
}

#endif
