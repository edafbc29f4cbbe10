/*
 * The headend configuration: one libconfig file, parsed and validated as a
 * whole into a struct config. Names in the file use dashes
 * ("group-policies"); the structs below mirror them with underscores.
 */
#ifndef HEADEND_CONFIG_H
#define HEADEND_CONFIG_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The build sets it from SYSCONFDIR. */
#ifndef HEADEND_SYSCONFDIR
#define HEADEND_SYSCONFDIR	"/etc"
#endif
#define CONFIG_DEFAULT_PATH	HEADEND_SYSCONFDIR "/headend/headend.conf"

#define CONFIG_NAME_MAX		64	/* pool, policy, group names */
#define CONFIG_URL_MAX		512
#define CONFIG_TEXT_MAX		512	/* cipher lists, domains */
#define CONFIG_MAX_LISTENERS	8
#define CONFIG_MAX_POOLS	64
#define CONFIG_MAX_POLICIES	64
#define CONFIG_MAX_TGROUPS	64
#define CONFIG_MAX_URLS		8	/* group-urls per tunnel-group */
#define CONFIG_MAX_EXCLUDES	64	/* excluded addresses per pool */
#define CONFIG_MAX_DNS		4
#define CONFIG_MAX_ROUTES	32	/* split-tunnel networks per policy */
#define CONFIG_MAX_CA_FILES	4	/* ca-files per tunnel-group */
#define CONFIG_MAX_STATIC_ADDRESSES 4096	/* in all tunnel-groups */
#define CONFIG_USER_MAX		128	/* a username, with NUL */
#define CONFIG_MAX_WORKERS	16	/* network process threads */

/* Timer value meaning "no timeout" (written as 0 in the file). */
#define CONFIG_TIMEOUT_NONE	0

/*
 * A listener's set of TLS defaults. "phone" allows TLS 1.0 to 1.2 with
 * the RSA AES-CBC-SHA suites first and OpenSSL security level 0, because
 * 79xx, 89xx and 99xx phones need them. Explicit tls-* settings win.
 */
enum tls_profile {
	TLS_PROFILE_DEFAULT,
	TLS_PROFILE_PHONE,
};

struct config_listener {
	char		address[INET6_ADDRSTRLEN];	/* default "0.0.0.0" */
	uint16_t	tcp_port;			/* default 443 */
	uint16_t	udp_port;			/* default 443 */
	char		certificate[PATH_MAX];		/* PEM, required */
	char		key[PATH_MAX];			/* PEM, required */
	char		chain[PATH_MAX];		/* PEM, "" when absent */
	char		next_certificate[PATH_MAX];	/* PEM, "" when absent */
	enum tls_profile tls_profile;
	int		tls_min_version;	/* TLS1_2_VERSION by default */
	int		tls_max_version;	/* TLS1_3_VERSION by default */
	char		tls12_ciphers[CONFIG_TEXT_MAX];	/* OpenSSL list */
	char		tls13_suites[CONFIG_TEXT_MAX];	/* OpenSSL list */
	int		link_mtu;	/* outer link MTU, default 1500 */
	int		line;
	/* Lines of single settings, or the listener's line without one. */
	int		certificate_line;
	int		key_line;
	int		chain_line;
	int		versions_line;	/* of tls-min-version */
	int		ciphers_line;	/* of tls12-ciphers */
	int		suites_line;	/* of tls13-suites */
};

struct config_tun {
	char		name[16];		/* IFNAMSIZ; default "headend0" */
	struct in_addr	address;		/* the headend's tun address */
	int		mtu;			/* tun device MTU, default 1500 */
	int		line;
};

/* An IPv4 pool: the addresses first..last (host order) less excludes. */
struct config_pool {
	char		name[CONFIG_NAME_MAX];
	uint32_t	network;	/* host order; 0 for a range */
	int		prefix;		/* 0..32 for a network, -1 for a range */
	uint32_t	first;		/* host order, inclusive */
	uint32_t	last;		/* host order, inclusive */
	uint32_t	exclude[CONFIG_MAX_EXCLUDES];	/* host order */
	size_t		nexclude;
	bool		retired;	/* removed or shrunk by a reload */
	int		line;
};

enum split_tunnel {
	SPLIT_TUNNEL_ALL,	/* no split routes: everything into the tunnel */
	SPLIT_INCLUDE,		/* only the listed networks */
	SPLIT_EXCLUDE,		/* everything but the listed networks */
};

struct config_route {
	uint32_t	network;	/* host order */
	int		prefix;
};

/* The action on a login beyond simultaneous-logins. */
enum simultaneous_action {
	SIMULTANEOUS_LOGOFF_OLDEST,	/* end the user's oldest session */
	SIMULTANEOUS_REJECT,		/* reject the new login */
};

struct config_policy {
	char		name[CONFIG_NAME_MAX];
	struct in_addr	dns[CONFIG_MAX_DNS];
	size_t		ndns;
	char		default_domain[CONFIG_TEXT_MAX];
	enum split_tunnel split;
	struct config_route routes[CONFIG_MAX_ROUTES];
	size_t		nroutes;
	int		idle_timeout;		/* seconds, 0 = none */
	int		session_timeout;	/* seconds, 0 = none */
	int		keepalive;		/* seconds, default 20 */
	int		dpd;			/* seconds, default 30 */
	int		data_mtu;		/* max tunnel data MTU, 1406 */
	int		simultaneous_logins;	/* per user, default 3 */
	enum simultaneous_action simultaneous_action;
	int		reconnect_window;	/* seconds, default 300 */
	int		rekey_time;		/* seconds, 0 = none */
	bool		client_to_client;	/* default false */
	bool		dtls;		/* offer DTLS, default true */
	int		line;
};

enum auth_method {
	AUTH_METHOD_PASSWORD,
	AUTH_METHOD_CERTIFICATE,	/* client certificate alone */
	AUTH_METHOD_BOTH,	/* certificate, then the password of its user */
};

/* The client certificate field that contains the username. */
enum cert_user_field {
	CERT_USER_FIELD_CN,		/* subject commonName */
	CERT_USER_FIELD_UID,		/* subject userId (0.9.2342...1.1) */
	CERT_USER_FIELD_SAN_EMAIL,	/* subjectAltName rfc822Name */
};

/* The rule that turns the field's value into the username. */
enum cert_user_rule {
	CERT_USER_RULE_AS_IS,
	CERT_USER_RULE_PHONE_NAME,	/* CP-7962G-SEP0011.. -> SEP0011.. */
};

enum password_backend {
	PASSWORD_USER_FILE,	/* crypt(3) hashes in a local file */
	PASSWORD_PAM,
};

struct config_tgroup {
	char		name[CONFIG_NAME_MAX];
	char		urls[CONFIG_MAX_URLS][CONFIG_URL_MAX];
	size_t		nurls;
	enum auth_method auth;
	enum password_backend backend;
	char		pam_service[CONFIG_NAME_MAX];	/* PAM backend */
	char		user_file[PATH_MAX];	/* user-file backend */
	char		ca_files[CONFIG_MAX_CA_FILES][PATH_MAX];
	int		ca_file_lines[CONFIG_MAX_CA_FILES];
	size_t		nca_files;
	char		crl_file[PATH_MAX];	/* "" when absent */
	enum cert_user_field cert_user_field;
	enum cert_user_rule cert_user_rule;
	bool		phone;		/* IP phones log in here */
	size_t		pool;		/* index into config.pools */
	size_t		policy;		/* index into config.policies */
	int		max_sessions;	/* 0 = no limit */
	bool		retired;	/* removed by a reload, still in use */
	int		line;
	/* Lines of single settings, or the group's line without one. */
	int		user_file_line;
	int		pam_service_line;
	int		crl_file_line;
};

/*
 * A user's fixed address from the static-addresses of a tunnel-group. It
 * lies in the group's pool, and the pool leases it to no other user.
 */
struct config_static_address {
	char		user[CONFIG_USER_MAX];
	uint32_t	address;	/* host order */
	size_t		tgroup;		/* index into config.tgroups */
	int		line;
};

/*
 * The optional HTTP listener that serves Prometheus metrics at /metrics.
 * Off unless the file has a metrics section.
 */
struct config_metrics {
	bool		enabled;
	char		address[INET_ADDRSTRLEN];	/* default "127.0.0.1" */
	uint16_t	port;
	int		line;
};

/*
 * Limits on what unauthenticated clients may hold, and the brute-force
 * rules. Timers in seconds; a count of 0 means no limit.
 */
struct config_limits {
	int		handshake_timeout;	/* TLS handshake, default 10 */
	int		request_timeout;	/* one request, first byte to
						   last, default 10 */
	int		idle_timeout;		/* between requests, 30 */
	int		connections_per_source;	/* default 256 */
	int		max_connections;	/* not yet tunnels, 20000 */
	int		logins_per_source;	/* in progress, default 256 */
	int		max_sessions;		/* all groups, default 0 */
	int		ban_user_threshold;	/* failures, default 5 */
	int		ban_address_threshold;	/* failures, default 30 */
	int		ban_time;		/* default 300 */
	int		ban_decay;		/* default 60 */
	int		line;
};

struct config {
	char		path[PATH_MAX];		/* the file this came from */
	char		user[CONFIG_NAME_MAX];	/* network process user */
	int		user_line;	/* of the user setting, 0 if absent */
	char		status_socket[PATH_MAX];
	int		workers;	/* network threads, 0 = one per CPU */
	struct config_listener listeners[CONFIG_MAX_LISTENERS];
	size_t		nlisteners;
	struct config_tun tun;
	struct config_pool pools[CONFIG_MAX_POOLS];
	size_t		npools;
	struct config_policy policies[CONFIG_MAX_POLICIES];
	size_t		npolicies;
	struct config_tgroup tgroups[CONFIG_MAX_TGROUPS];
	size_t		ntgroups;
	struct config_static_address static_addresses[
	    CONFIG_MAX_STATIC_ADDRESSES];
	size_t		nstatic_addresses;
	struct config_metrics metrics;
	struct config_limits limits;
	char		state_file[PATH_MAX];	/* the session journal */
	char		key_file[PATH_MAX];	/* "" for state_file + ".key" */
	bool		logoff_on_stop;		/* SIGTERM ends the sessions */
};

/*
 * Receives one error, already formatted as "file:line: message" (no
 * trailing newline). Called once per error found.
 */
typedef void config_error_fn(void *arg, const char *message);

/*
 * Parse and validate the file at path. On success store a new config in
 * *out (free it with config_free) and return 0. On failure report every
 * error found through on_error and return the number of errors (> 0);
 * *out is left untouched.
 */
int	config_load(const char *path, struct config **out,
	    config_error_fn *on_error, void *arg);
void	config_free(struct config *cfg);

/*
 * Return the number of network process threads: the workers setting, or
 * for 0 the number of online CPUs, at least 1 and at most
 * CONFIG_MAX_WORKERS.
 */
size_t	config_worker_count(const struct config *cfg);

/*
 * Set the tun address of cfg to address, which a reload keeps from the
 * running configuration, and keep it out of the pools and the static
 * addresses as config_load does with the file's. Returns the number of
 * errors, each reported through on_error: a pool that cannot exclude one
 * more address, or a user's static address that is the tun address.
 */
int	config_set_tun_address(struct config *cfg, struct in_addr address,
	    config_error_fn *on_error, void *arg);

/* Find a tunnel-group by name, not a retired one; NULL if none. */
const struct config_tgroup *config_find_tgroup(const struct config *cfg,
	    const char *name);

#endif
