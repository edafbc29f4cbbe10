/* The parent's side of a reload, declared in reload.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authcheck.h"
#include "cert.h"
#include "certcrl.h"
#include "cfgbundle.h"
#include "ipc.h"
#include "log.h"
#include "netcheck.h"
#include "reload.h"
#include "tls.h"

static void
reload_log_error(void *arg, const char *message)
{
	int *errors = arg;

	log_err("%s", message);
	(*errors)++;
}

/* Name one setting that the reload leaves as it runs. */
static void
reload_needs_restart(const struct config *cfg, const char *setting,
    const char *running, const char *file)
{
	log_warnx("%s: %s changed from %s to %s, which takes effect only "
	    "after a restart; it stays %s until then", cfg->path, setting,
	    running, file, running);
}

static void
reload_keep_string(const struct config *cfg, const char *setting,
    const char *running, char *file, size_t size)
{
	if (strcmp(running, file) == 0)
		return;
	reload_needs_restart(cfg, setting, running, file);
	snprintf(file, size, "%s", running);
}

static void
reload_keep_number(const struct config *cfg, const char *setting,
    long running, long *file)
{
	char a[32], b[32];

	if (running == *file)
		return;
	snprintf(a, sizeof(a), "%ld", running);
	snprintf(b, sizeof(b), "%ld", *file);
	reload_needs_restart(cfg, setting, a, b);
	*file = running;
}

/*
 * Keep the running tun device. A kept address must stay out of the pools
 * and static addresses, or a client could be given the headend's own.
 * Returns the number of errors.
 */
static int
reload_keep_tun(const struct config *run, struct config *cfg)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	long mtu = cfg->tun.mtu;
	int errors = 0;

	reload_keep_string(cfg, "tun name", run->tun.name, cfg->tun.name,
	    sizeof(cfg->tun.name));
	if (run->tun.address.s_addr != cfg->tun.address.s_addr) {
		inet_ntop(AF_INET, &run->tun.address, a, sizeof(a));
		inet_ntop(AF_INET, &cfg->tun.address, b, sizeof(b));
		reload_needs_restart(cfg, "tun address", a, b);
		/* reload_log_error counts the errors in errors. */
		(void)config_set_tun_address(cfg, run->tun.address,
		    reload_log_error, &errors);
	}
	reload_keep_number(cfg, "tun mtu", run->tun.mtu, &mtu);
	cfg->tun.mtu = (int)mtu;
	return (errors);
}

static void
reload_metrics_text(const struct config_metrics *m, char *buf, size_t len)
{
	if (m->enabled)
		snprintf(buf, len, "%s port %u", m->address,
		    (unsigned)m->port);
	else
		snprintf(buf, len, "off");
}

static void
reload_keep_metrics(const struct config *run, struct config *cfg)
{
	char a[64], b[64];

	reload_metrics_text(&run->metrics, a, sizeof(a));
	reload_metrics_text(&cfg->metrics, b, sizeof(b));
	if (strcmp(a, b) == 0)
		return;
	reload_needs_restart(cfg, "metrics", a, b);
	cfg->metrics = run->metrics;
}

/*
 * The network process has one bound socket per listener, so the
 * addresses and ports stay. A changed number of listeners keeps every
 * listener setting, certificates included.
 */
static void
reload_keep_listeners(const struct config *run, struct config *cfg)
{
	struct config_listener *l;
	char name[64];
	long port;
	size_t i;

	if (run->nlisteners != cfg->nlisteners) {
		log_warnx("%s: the number of listeners changed from %zu to "
		    "%zu, which takes effect only after a restart; every "
		    "listener keeps its running settings until then",
		    cfg->path, run->nlisteners, cfg->nlisteners);
		memcpy(cfg->listeners, run->listeners, sizeof(cfg->listeners));
		cfg->nlisteners = run->nlisteners;
		return;
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		l = &cfg->listeners[i];
		snprintf(name, sizeof(name), "listener %zu address", i + 1);
		reload_keep_string(cfg, name, run->listeners[i].address,
		    l->address, sizeof(l->address));
		snprintf(name, sizeof(name), "listener %zu tcp-port", i + 1);
		port = l->tcp_port;
		reload_keep_number(cfg, name, run->listeners[i].tcp_port,
		    &port);
		l->tcp_port = (uint16_t)port;
		snprintf(name, sizeof(name), "listener %zu udp-port", i + 1);
		port = l->udp_port;
		reload_keep_number(cfg, name, run->listeners[i].udp_port,
		    &port);
		l->udp_port = (uint16_t)port;
	}
}

/*
 * The parent opened a tun queue and a UDP socket per listener for each
 * worker at startup.
 */
static void
reload_keep_workers(const struct config *run, struct config *cfg)
{
	long workers = cfg->workers;

	reload_keep_number(cfg, "workers", run->workers, &workers);
	cfg->workers = (int)workers;
}

/* Put back what needs a restart; returns the number of errors. */
static int
reload_keep_restart_only(const struct config *run, struct config *cfg)
{
	int errors;

	reload_keep_string(cfg, "user", run->user, cfg->user,
	    sizeof(cfg->user));
	reload_keep_string(cfg, "status-socket", run->status_socket,
	    cfg->status_socket, sizeof(cfg->status_socket));
	reload_keep_string(cfg, "state-file", run->state_file,
	    cfg->state_file, sizeof(cfg->state_file));
	reload_keep_string(cfg, "key-file", run->key_file, cfg->key_file,
	    sizeof(cfg->key_file));
	reload_keep_workers(run, cfg);
	errors = reload_keep_tun(run, cfg);
	reload_keep_metrics(run, cfg);
	reload_keep_listeners(run, cfg);
	return (errors);
}

static void
reload_log_authcheck(void *arg, bool error, const char *text)
{
	(void)arg;
	if (error)
		log_err("%s", text);
	else
		log_warnx("%s", text);
}

/* Build every listener's context from the bundle; count the failures. */
static int
reload_check_tls(struct reload *r)
{
	char err[1024];
	size_t i;
	int errors = 0, line;

	for (i = 0; i < r->cfg->nlisteners; i++) {
		r->tls[i] = tls_ctx_new_from(&r->cfg->listeners[i], r->bundle,
		    err, sizeof(err), &line);
		if (r->tls[i] == NULL) {
			log_err("%s:%d: %s", r->cfg->path, line, err);
			errors++;
		}
	}
	return (errors);
}

int
reload_prepare(const struct config *running, struct reload **out)
{
	struct reload *r;
	bool state_moved;
	int errors = 0, rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_err("reload: out of memory");
		return (1);
	}
	if (config_load(running->path, &r->cfg, reload_log_error,
	    &errors) != 0)
		goto fail;
	/* The file's account, as headend -t checks it, not the running one. */
	errors += authcheck_config(r->cfg, false, reload_log_authcheck, NULL);
	netcheck_pools(r->cfg, reload_log_authcheck, NULL);
	netcheck_forwarding(reload_log_authcheck, NULL);
	state_moved = strcmp(running->state_file, r->cfg->state_file) != 0 ||
	    strcmp(running->key_file, r->cfg->key_file) != 0;
	errors += reload_keep_restart_only(running, r->cfg);

	/* The state paths in use are the running ones, now put back. */
	if (state_moved)
		errors += authcheck_state_paths(r->cfg, reload_log_authcheck,
		    NULL);
	if ((rc = cfgbundle_collect(r->cfg, &r->bundle)) != 0) {
		log_err("%s: cannot read the files it names: %s",
		    r->cfg->path, strerror(-rc));
		errors++;
		goto fail;
	}
	errors += reload_check_tls(r);
	if (cert_stores_load(r->cfg, r->bundle, &r->stores,
	    reload_log_error, &errors) != 0 || errors != 0)
		goto fail;
	*out = r;
	return (0);
fail:
	reload_free(r);
	return (errors > 0 ? errors : 1);
}

int
reload_send(const struct reload *r, int sock)
{
	struct ipc_config msg = { { IPC_CONFIG, sizeof(msg) }, 0 };
	int fd, rc;

	if ((fd = cfgbundle_to_memfd(r->bundle, &msg.size)) < 0)
		return (fd);
	rc = ipc_send(sock, &msg, sizeof(msg), fd);
	close(fd);
	return (rc);
}

void
reload_install(struct reload *r, struct config **cfg, SSL_CTX **tls)
{
	struct config *old = *cfg;
	SSL_CTX *ctx;
	size_t i;

	cert_stores_install(r->stores, r->cfg);
	r->stores = NULL;
	cert_setup_listeners(r->cfg, r->tls);
	certcrl_set_config(r->cfg);
	for (i = 0; i < CONFIG_MAX_LISTENERS; i++) {
		ctx = tls[i];
		tls[i] = r->tls[i];
		r->tls[i] = ctx;
	}
	*cfg = r->cfg;
	r->cfg = old;
}

void
reload_free(struct reload *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < CONFIG_MAX_LISTENERS; i++)
		SSL_CTX_free(r->tls[i]);
	cert_stores_free(r->stores);
	cfgbundle_free(r->bundle);
	config_free(r->cfg);
	free(r);
}
