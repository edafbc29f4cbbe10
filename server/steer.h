/*
 * The rule that assigns each session to a worker of the network process.
 * The worker follows from the client's IPv4 address alone, so that the
 * kernel delivers the client's DTLS datagrams to the worker that owns
 * its session, without a handover between workers.
 */
#ifndef HEADEND_STEER_H
#define HEADEND_STEER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Return the index of the worker that owns the client at addr (host
 * order). The classic BPF program that parent.c attaches to each
 * listener's SO_REUSEPORT group computes the same value, so a change
 * here must change that program too.
 */
static inline size_t
steer_worker_of_ipv4(uint32_t addr, size_t nworkers)
{
	return (size_t)addr % nworkers;
}

#endif
