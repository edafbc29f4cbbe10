/*
 * loadgen: a load generator that plays thousands of VPN clients against
 * one headend (or ocserv) from a single event-driven process. Each
 * simulated client opens TCP and TLS, logs in with the XML aggregate-auth
 * flow or the IP phone form flow, sends CONNECT /CSCOSSLC/tunnel, and then
 * keeps its CSTP tunnel alive with keepalives. With --dtls it also brings
 * up DTLS after CONNECT and sends its data, keepalives and DPD there,
 * staying on CSTP when the handshake fails. In voice mode it also sends
 * 50 packets per second of 200 bytes to a UDP echo server behind the
 * headend and measures each round trip.
 *
 * It only talks to the addresses given on the command line, its loops are
 * bounded by --count and --max-time, and it exits by itself.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#define LOADGEN_SOURCES_MAX	64	/* --source addresses */
#define LOADGEN_TEXT_MAX	256	/* host, path, user and password */
#define LOADGEN_COOKIE_MAX	512	/* one cookie's name=value */
#define LOADGEN_COOKIES		6	/* cookies kept per client */
#define LOADGEN_AUTH_ROUNDS	4	/* auth-requests before giving up */

/* Voice stream: G.711 at 20 ms packetisation, as an IP phone sends it. */
#define VOICE_INTERVAL_US	20000	/* 50 packets per second */
#define VOICE_PACKET_LEN	200	/* IPv4 + UDP + payload, in bytes */
#define VOICE_MAGIC		0x564f4943u	/* "VOIC" */

enum loadgen_mode {
	MODE_IDLE,	/* sessions only keep their tunnel alive */
	MODE_STORM,	/* all clients start at once, 30 s deadline each */
	MODE_VOICE,	/* sessions send a voice stream through the tunnel */
	MODE_DIRECT,	/* the voice stream over plain UDP, no VPN */
	MODE_PROBE,	/* ICMP echo every ms until the first reply */
};

enum loadgen_flow {
	FLOW_XML,	/* aggregate-auth XML, as AnyConnect and openconnect */
	FLOW_PHONE,	/* GET, then a form POST, as Cisco IP phones */
};

/*
 * The DTLS offer in CONNECT. The client then runs whatever dialect the
 * reply names, so the offer decides the dialect only as far as the
 * server follows it.
 */
enum loadgen_dtls {
	DTLS_NONE,	/* no DTLS headers; data on CSTP only */
	DTLS_PSK,	/* PSK-NEGOTIATE first, as openconnect offers */
	DTLS_LEGACY,	/* resumption only: 0x0100 or DTLS 1.2 suites */
};

#define DTLS_SECRET_LEN		48	/* X-DTLS-Master-Secret, bytes */

/* The dialect a CONNECT reply selects. */
enum dtls_dialect {
	DIALECT_PSK,		/* PSK-NEGOTIATE, key from the TLS exporter */
	DIALECT_DTLS12,		/* DTLS 1.2 resumption of a made-up session */
	DIALECT_LEGACY,		/* the same with version 0x0100 */
	DIALECTS
};

/* Why a client failed; the JSON output counts each kind. */
enum fail_kind {
	FAIL_TCP,	/* TCP connect failed or was refused */
	FAIL_TLS,	/* TLS handshake failed */
	FAIL_HTTP,	/* an HTTP response was malformed or not 200 */
	FAIL_AUTH,	/* the server rejected the credentials */
	FAIL_TUNNEL,	/* CONNECT was refused or its reply was unusable */
	FAIL_TIMEOUT,	/* setup took longer than --setup-timeout */
	FAIL_CLOSED,	/* the server closed an established tunnel */
	FAIL_KINDS
};

struct options {
	enum loadgen_mode mode;
	enum loadgen_flow flow;
	enum loadgen_dtls dtls;
	unsigned	count;		/* clients to start */
	unsigned	concurrency;	/* clients in setup at once */
	double		ramp;		/* starts per second, 0 = no limit */
	double		hold;		/* seconds up after the last setup */
	double		max_time;	/* hard limit on the whole run */
	double		setup_timeout;	/* seconds from start to tunnel up */
	double		deadline;	/* setup time that counts as on time */
	unsigned	voice_sessions;	/* sessions that send voice */
	struct sockaddr_in server;
	struct sockaddr_in target;	/* UDP echo server (voice, probe) */
	struct in_addr	sources[LOADGEN_SOURCES_MAX];
	unsigned	nsources;
	char		host[LOADGEN_TEXT_MAX];	/* Host header and SNI */
	char		path[LOADGEN_TEXT_MAX];	/* group-url path */
	char		user[LOADGEN_TEXT_MAX];
	unsigned	users;		/* >0: user is a prefix + index */
	char		password[LOADGEN_TEXT_MAX];
	char		user_agent[LOADGEN_TEXT_MAX];
	const char	*ready_file;	/* written once all setups ended */
	/* The DTLS cipher suite headers; NULL sends the offer's default. */
	const char	*dtls_ciphers;	/* X-DTLS-CipherSuite */
	const char	*dtls12_ciphers; /* X-DTLS12-CipherSuite */
	double		dtls_timeout;	/* seconds for the DTLS handshake */
	bool		new_conn;	/* CONNECT on a fresh TLS connection */
	bool		phone_tls;	/* TLS 1.2 and the suites of a phone */
	bool		verbose;
};

/* Setup state, freed once the tunnel is up to keep idle clients small. */
struct setup {
	char		cookies[LOADGEN_COOKIES][LOADGEN_COOKIE_MAX];
	char		token[LOADGEN_COOKIE_MAX];	/* webvpn value */
	unsigned	rounds;		/* auth-requests answered */
	bool		tunnel_phase;	/* --new-conn: login done */
	uint8_t		dtls_secret[DTLS_SECRET_LEN];	/* sent in CONNECT */
	struct event	*timeout;
};

enum client_state {
	CS_IDLE,
	CS_TCP,		/* TCP connect in progress */
	CS_TLS,		/* TLS handshake in progress */
	CS_LOGIN,	/* HTTP login requests */
	CS_CONNECT,	/* CONNECT sent */
	CS_DTLS,	/* CONNECT answered, DTLS handshake in progress */
	CS_UP,		/* tunnel up, CSTP frames flow */
	CS_DONE,	/* failed or finished */
};

struct evbuffer;
struct voice;
struct dtls_link;

struct client {
	struct loadgen	*lg;
	unsigned	id;
	enum client_state state;
	int		fd;
	struct event	*ev;		/* TCP connect, then keepalive */
	struct bufferevent *bev;
	struct setup	*setup;
	struct voice	*voice;		/* NULL unless this one sends voice */
	struct dtls_link *dtls;		/* NULL unless DTLS is up or starting */
	uint64_t	started_ns;
	uint32_t	addr;		/* leased address, network order */
	int		keepalive;	/* seconds, from X-CSTP-Keepalive */
	bool		phone_got_page;	/* phone flow: GET answered */
};

struct samples {
	uint64_t	*v;
	size_t		n;
	size_t		cap;
	bool		sorted;
};

/* DTLS outcomes of all clients, for the JSON output. */
struct dtls_stats {
	unsigned	offered;	/* replies that named a DTLS dialect */
	unsigned	not_offered;	/* replies without DTLS headers */
	unsigned	up;		/* handshakes that finished in time */
	unsigned	failed;		/* handshakes failed or timed out */
	unsigned	dead;		/* up, then DPD or an error ended it */
	unsigned	dialects[DIALECTS];	/* up, per dialect */
	uint64_t	data_sent;	/* DATA records sent over DTLS */
	uint64_t	data_received;
	uint64_t	send_errors;	/* records that SSL_write dropped */
	struct samples	handshake_times;	/* ns, of those up */
};

struct loadgen {
	struct options	opt;
	struct event_base *base;
	SSL_CTX		*ssl_ctx;
	SSL_CTX		*dtls_ctx;	/* NULL with --dtls none */
	struct client	*clients;
	unsigned	started;
	unsigned	in_setup;
	unsigned	finished;	/* setups that ended, up or failed */
	unsigned	up;
	unsigned	on_time;	/* up within --deadline */
	unsigned	lost_after_up;
	unsigned	fails[FAIL_KINDS];
	unsigned	next_source;
	uint64_t	start_ns;
	uint64_t	all_set_ns;	/* 0 until all setups ended */
	struct samples	setup_times;	/* ns from start to tunnel up */
	struct samples	rtts;		/* voice round trips, ns */
	uint64_t	voice_sent;
	uint64_t	voice_received;
	uint64_t	voice_bad;	/* replies that failed validation */
	struct dtls_stats dtls;
	struct event	*tick;
	struct event	*stop;
	struct event	*sigint;
	struct event	*sigterm;
	bool		stopping;
	bool		voice_running;
	double		probe_reply_at;	/* probe mode: realtime of reply */
	unsigned	probe_sent;
};

/* main.c */
uint64_t	now_ns(void);
void		loadgen_setup_ended(struct loadgen *lg);
void		loadgen_fail(struct loadgen *lg, enum fail_kind kind,
		    unsigned id, const char *why);
const char	*fail_kind_name(enum fail_kind kind);
const char	*mode_name(enum loadgen_mode mode);
const char	*flow_name(enum loadgen_flow flow);
const char	*dtls_name(enum loadgen_dtls dtls);

/* client.c */
int		client_start(struct client *c);
int		client_reconnect(struct client *c);
void		client_fail(struct client *c, enum fail_kind kind,
		    const char *why);
void		client_tunnel_up(struct client *c);
const char	*header_find(const char *head, const char *name,
		    const char **cursor);
void		header_copy(const char *value, char *out, size_t outlen);
void		client_disconnect(struct client *c);
void		client_send_frame(struct client *c, uint8_t type,
		    const void *payload, size_t len);
void		client_send_packet(struct client *c, const void *pkt,
		    size_t len);

/* dtls.c */
int		dtls_init(struct loadgen *lg);
const char	*dtls_dialect_name(enum dtls_dialect dialect);
void		dtls_request_headers(struct client *c, struct evbuffer *b);
int		dtls_start(struct client *c, const char *head);
bool		dtls_ready(const struct client *c);
int		dtls_send(struct client *c, uint8_t type, const void *payload,
		    size_t len);
void		dtls_close(struct client *c);

/* login.c */
int		login_send_first(struct client *c);
int		login_handle_response(struct client *c, int status,
		    const char *headers, const char *body, size_t body_len);
int		login_send_connect(struct client *c);

/* voice.c */
int		voice_start(struct client *c);
void		voice_pause(struct client *c);
void		voice_stop(struct client *c);
void		voice_receive(struct client *c, const uint8_t *pkt,
		    size_t len);
int		direct_run(struct loadgen *lg);
int		probe_run(struct loadgen *lg);

/* stats.c */
int		samples_add(struct samples *s, uint64_t v);
uint64_t	samples_percentile(struct samples *s, double p);
void		stats_print_json(struct loadgen *lg);

#endif
