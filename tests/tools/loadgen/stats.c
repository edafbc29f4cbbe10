/* Samples, percentiles and the one line of JSON that ends a run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "loadgen.h"

/* Keeps memory bounded: 4 M samples are 80,000 s of one voice stream. */
#define SAMPLES_MAX	(4u << 20)

int
samples_add(struct samples *s, uint64_t v)
{
	uint64_t *nv;
	size_t ncap;

	if (s->n == s->cap) {
		if (s->cap >= SAMPLES_MAX)
			return (-ENOSPC);
		ncap = s->cap ? 2 * s->cap : 1024;
		if ((nv = realloc(s->v, ncap * sizeof(*nv))) == NULL)
			return (-ENOMEM);
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = v;
	s->sorted = false;
	return (0);
}

static int
samples_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* The p-th percentile (0..100) by the nearest-rank method; 0 if empty. */
uint64_t
samples_percentile(struct samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return (0);
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(*s->v), samples_cmp);
		s->sorted = true;
	}
	rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return (s->v[rank - 1]);
}

static double
ns_to_ms(uint64_t ns)
{
	return ((double)ns / 1e6);
}

static void
stats_print_percentiles(const char *name, struct samples *s)
{
	printf("\"%s\":{\"n\":%zu,\"p50\":%.3f,\"p99\":%.3f,"
	    "\"p99_9\":%.3f,\"max\":%.3f}", name, s->n,
	    ns_to_ms(samples_percentile(s, 50)),
	    ns_to_ms(samples_percentile(s, 99)),
	    ns_to_ms(samples_percentile(s, 99.9)),
	    ns_to_ms(samples_percentile(s, 100)));
}

static double
stats_client_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return (-1);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec /
	    1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec /
	    1e6);
}

static void
stats_print_setup(struct loadgen *lg)
{
	double all = lg->all_set_ns > lg->start_ns ?
	    (double)(lg->all_set_ns - lg->start_ns) / 1e9 : 0;
	int k;

	printf("\"count\":%u,\"concurrency\":%u,\"ramp\":%g,"
	    "\"sessions_up\":%u,\"failures\":{", lg->opt.count,
	    lg->opt.concurrency, lg->opt.ramp, lg->up);
	for (k = 0; k < FAIL_KINDS; k++)
		printf("%s\"%s\":%u", k ? "," : "",
		    fail_kind_name((enum fail_kind)k), lg->fails[k]);
	printf("},\"time_to_all_up_s\":%.3f,\"connects_per_s\":%.1f,"
	    "\"deadline_s\":%g,\"within_deadline\":%u,"
	    "\"lost_after_up\":%u,", all, all > 0 ? lg->up / all : 0,
	    lg->opt.deadline, lg->on_time, lg->lost_after_up);
	stats_print_percentiles("setup_ms", &lg->setup_times);
	printf(",");
}

static void
stats_print_dtls(struct loadgen *lg)
{
	const struct dtls_stats *d = &lg->dtls;
	int k;

	printf("\"dtls\":{\"offer\":\"%s\",\"offered\":%u,"
	    "\"not_offered\":%u,\"up\":%u,\"failed\":%u,\"dead\":%u,"
	    "\"dialects\":{", dtls_name(lg->opt.dtls), d->offered,
	    d->not_offered, d->up, d->failed, d->dead);
	for (k = 0; k < DIALECTS; k++)
		printf("%s\"%s\":%u", k ? "," : "",
		    dtls_dialect_name((enum dtls_dialect)k), d->dialects[k]);
	printf("},\"data_sent\":%llu,\"data_received\":%llu,"
	    "\"send_errors\":%llu,", (unsigned long long)d->data_sent,
	    (unsigned long long)d->data_received,
	    (unsigned long long)d->send_errors);
	stats_print_percentiles("handshake_ms", &lg->dtls.handshake_times);
	printf("},");
}

static void
stats_print_voice(struct loadgen *lg)
{
	uint64_t lost = lg->voice_sent > lg->voice_received ?
	    lg->voice_sent - lg->voice_received : 0;

	printf("\"voice\":{\"sent\":%llu,\"received\":%llu,\"lost\":%llu,"
	    "\"bad\":%llu,", (unsigned long long)lg->voice_sent,
	    (unsigned long long)lg->voice_received, (unsigned long long)lost,
	    (unsigned long long)lg->voice_bad);
	stats_print_percentiles("rtt_ms", &lg->rtts);
	printf("},");
}

void
stats_print_json(struct loadgen *lg)
{
	printf("{\"tool\":\"loadgen\",\"mode\":\"%s\",\"flow\":\"%s\",",
	    mode_name(lg->opt.mode), flow_name(lg->opt.flow));
	if (lg->opt.mode == MODE_PROBE) {
		printf("\"answered\":%s,\"first_reply_realtime\":%.6f,"
		    "\"probes_sent\":%u,", lg->up ? "true" : "false",
		    lg->probe_reply_at, lg->probe_sent);
	} else if (lg->opt.mode == MODE_DIRECT) {
		stats_print_voice(lg);
	} else {
		stats_print_setup(lg);
		stats_print_dtls(lg);
		if (lg->opt.mode == MODE_VOICE)
			stats_print_voice(lg);
	}
	printf("\"client_cpu_s\":%.3f}\n", stats_client_cpu());
	fflush(stdout);
}
