/*
 * phone-emu: a Cisco IP phone's VPN client, for the integration tests.
 *
 * It speaks the phone login dialogue (GET and POST on the gateway URL,
 * with a form or an empty body in certificate mode), sends the CONNECT a
 * phone sends, and then passes packets over CSTP: it can ping an inside
 * address from its leased address without a tun device, respond to DPD,
 * send keepalives and wait for the server to end the tunnel. With --dtls
 * it also brings up DTLS as a phone does (see emu_dtls_start) and sends
 * the packets there, keeping CSTP as the fallback. Each step prints one
 * "step: ..." line on standard output for the shell tests.
 *
 * Two profiles imitate a CP-7962G on 9.x firmware ("7962": TLS 1.0 only,
 * RSA AES-CBC suites, a legacy DTLS suite list) and a CP-8841 on
 * Enterprise firmware ("8841": TLS 1.2 with ECDHE GCM suites first, and
 * a DTLS 1.2 list as well). No public capture of a phone's requests
 * exists, so every guessed value is an option.
 *
 * Exit status: 0 all steps passed; 1 the server rejected the
 * credentials or certificate (401); 2 usage; 3 another HTTP status;
 * 4 a network, TLS or server identity failure; 5 no ping reply;
 * 6 the tunnel outlived --wait-close. A DTLS failure alone changes none
 * of them, because a phone then stays on CSTP. The "dtls:" lines report
 * it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cstp.h"
#include "packet.h"
#include "phone-emu-dtls.h"

#define EMU_BUF_SIZE		(CSTP_HEADER_LEN + 65536)
#define EMU_HEAD_MAX		16384	/* bytes of response headers */
#define EMU_PINS_MAX		10	/* certHash1 .. certHash10 */
#define EMU_PING_PAYLOAD	56
#define EMU_BURST_MAX		64	/* UDP GSO segments per send */
#define EMU_KEEPALIVE		60	/* phone default, seconds */
#define EMU_DTLS_PORT		443	/* phones ignore X-DTLS-Port */

enum emu_exit {
	EMU_OK = 0,
	EMU_DENIED = 1,
	EMU_USAGE = 2,
	EMU_HTTP = 3,
	EMU_NETWORK = 4,
	EMU_NO_REPLY = 5,
	EMU_STILL_UP = 6,
};

/* Everything a test can change; the profile sets the defaults. */
struct emu_opts {
	const char	*url;
	char		host[256];	/* from the URL */
	char		path[1024];
	unsigned	port;
	const char	*connect_addr;	/* where to connect instead of host */
	const char	*profile;
	const char	*user;
	const char	*password;
	const char	*cert;
	const char	*key;
	bool		cert_mode;	/* authMethod 2: empty POST */
	const char	*pins[EMU_PINS_MAX];
	size_t		npins;
	const char	*ca;
	bool		insecure;
	bool		host_id_check;
	bool		sni;
	int		tls_min;
	int		tls_max;
	const char	*ciphers;
	const char	*user_agent;
	bool		transcend;	/* send X-Transcend-Version */
	bool		login_cookie;	/* echo webvpnlogin=1 on the POST */
	bool		login_tail;	/* append &Login=Login */
	bool		content_type;
	bool		new_connection;	/* CONNECT on a new TLS connection */
	const char	*hostname;	/* X-CSTP-Hostname, "" to omit */
	int		mtu;		/* X-CSTP-MTU */
	int		base_mtu;	/* X-CSTP-Base-MTU, 0 to omit */
	const char	*address_type;	/* "" to omit */
	const char	*dtls_ciphers;	/* "" to omit */
	const char	*dtls12_ciphers;	/* "" to omit */
	bool		full_ipv6;
	const char	*accept_encoding;	/* "" to omit */
	bool		master_secret;
	bool		dtls;
	int		dtls_port;	/* 0: the reply's X-DTLS-Port */
	int		keepalive;	/* the phone's setting, seconds */
	const char	*step;		/* last step: get, login, connect */
	const char	*cookie;	/* skip the login, use this cookie */
	const char	*ping;
	int		count;
	int		timeout;	/* seconds per ping or response */
	int		hold;		/* seconds to keep the tunnel up */
	int		wait_close;	/* seconds until the server ends it */
	int		dtls_disconnect;	/* reason to send, or -1 */
	int		dtls_version;	/* 0: the one the reply chose */
	int		dtls_burst;	/* echo requests in one datagram */
	bool		show_cookie;
};

/* One TLS connection with a read buffer shared by HTTP and CSTP. */
struct emu_conn {
	int		fd;
	SSL		*ssl;
	uint8_t		buf[EMU_BUF_SIZE];
	size_t		len;
};

/* The parts of an HTTP response that the steps use. */
struct emu_response {
	int		status;
	char		reason[128];
	char		webvpn[512];	/* the webvpn cookie's value */
	bool		webvpn_seen;
	bool		webvpn_expires;
	char		webvpnlogin[64];
	char		address[64];	/* X-CSTP-Address */
	char		netmask[64];
	int		mtu;
	int		keepalive;
	int		dpd;
	char		dtls_cipher[128];
	char		dtls12_cipher[128];
	char		dtls_session_id[2 * EMU_DTLS_ID_LEN + 1];
	char		dtls_port[16];
	size_t		content_length;
};

static SSL_CTX *emu_ctx;

static void
emu_say(const char *step, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
emu_say(const char *step, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
emu_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: phone-emu [options] https://HOST[:PORT]/PATH\n"
	    "  --profile 7962|8841    phone to imitate (default 7962)\n"
	    "  --connect ADDR         IPv4 address to connect to for HOST\n"
	    "  --user NAME --password PASSWORD   credentials (authMethod 0)\n"
	    "  --cert FILE --key FILE client certificate (MIC or LSC)\n"
	    "  --cert-mode            empty POST, identity from the "
	    "certificate (authMethod 2)\n"
	    "  --cert-hash BASE64     pinned SHA-1 of a server chain "
	    "certificate (repeatable)\n"
	    "  --ca FILE | --insecure how else to trust the server\n"
	    "  --no-host-id-check     skip the URL host check against the "
	    "certificate\n"
	    "  --sni | --no-sni       send the URL host as SNI\n"
	    "  --tls-min V --tls-max V   1.0, 1.1, 1.2 or 1.3\n"
	    "  --ciphers LIST         OpenSSL cipher list offered\n"
	    "  --user-agent TEXT      User-Agent\n"
	    "  --no-transcend         omit X-Transcend-Version\n"
	    "  --no-login-cookie      do not echo webvpnlogin=1 on the POST\n"
	    "  --login-tail           append &Login=Login to the form\n"
	    "  --no-content-type      POST without Content-Type\n"
	    "  --new-connection       send CONNECT on a new TLS connection\n"
	    "  --hostname NAME        X-CSTP-Hostname (\"\" omits it)\n"
	    "  --mtu N                X-CSTP-MTU (default 1290)\n"
	    "  --base-mtu N           send X-CSTP-Base-MTU\n"
	    "  --address-type T       X-CSTP-Address-Type (\"\" omits it)\n"
	    "  --dtls-ciphers LIST    X-DTLS-CipherSuite (\"\" omits it)\n"
	    "  --dtls12-ciphers LIST  X-DTLS12-CipherSuite (\"\" omits it)\n"
	    "  --full-ipv6            send X-CSTP-Full-IPv6-Capability\n"
	    "  --accept-encoding L    X-CSTP-Accept-Encoding\n"
	    "  --no-master-secret     omit X-DTLS-Master-Secret\n"
	    "  --dtls                 bring up DTLS after CONNECT and send "
	    "packets there\n"
	    "  --dtls-port PORT|reply UDP port for DTLS (default 443 as "
	    "phones;\n"
	    "                         reply: the X-DTLS-Port of the reply)\n"
	    "  --keepalive S          the phone's keepalive setting, 0 for "
	    "none\n"
	    "                         (default 60; the server's value wins "
	    "when lower)\n"
	    "  --step get|login|connect   stop after this step\n"
	    "  --cookie TOKEN         skip the login and CONNECT with TOKEN\n"
	    "  --show-cookie          print the session cookie\n"
	    "  --ping ADDR [--count N]    ICMP echo through the tunnel\n"
	    "  --timeout S            seconds per answer (default 10)\n"
	    "  --hold S               keep the tunnel up S seconds\n"
	    "  --dtls-version 1.2|0.9 send the ClientHello with this version,\n"
	    "                         whatever the reply chose\n"
	    "  --dtls-burst N         with --ping: send N echo requests "
	    "(at most 64)\n"
	    "                         as one UDP GSO datagram over DTLS\n"
	    "  --dtls-disconnect R    send DISCONNECT with reason R (such as "
	    "0xb0)\n"
	    "                         over DTLS before --wait-close\n"
	    "  --wait-close S         wait up to S seconds for the server to "
	    "end the tunnel\n");
}

/* ---- options ------------------------------------------------------------ */

static void
emu_profile_7962(struct emu_opts *o)
{
	o->tls_min = TLS1_VERSION;
	o->tls_max = TLS1_VERSION;
	o->ciphers = "AES256-SHA:AES128-SHA:DES-CBC3-SHA:@SECLEVEL=0";
	o->sni = false;
	o->address_type = "IPv4";
	o->dtls_ciphers = "AES256-SHA:AES128-SHA:DES-CBC3-SHA:DES-CBC-SHA";
	o->dtls12_ciphers = "";
}

static void
emu_profile_8841(struct emu_opts *o)
{
	o->tls_min = TLS1_2_VERSION;
	o->tls_max = TLS1_2_VERSION;
	o->ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:"
	    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
	    "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:AES128-SHA:DES-CBC3-SHA";
	o->sni = true;
	o->address_type = "IPv6,IPv4";
	o->dtls_ciphers = "AES256-SHA:AES128-SHA:DES-CBC3-SHA";
	o->dtls12_ciphers = "ECDHE-RSA-AES256-GCM-SHA384:"
	    "ECDHE-RSA-AES128-GCM-SHA256";
}

static void
emu_defaults(struct emu_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->profile = "7962";
	o->host_id_check = true;
	o->user_agent = "Cisco SVC IPPhone Client v1.0 (1.0)";
	o->transcend = true;
	o->login_cookie = true;
	o->content_type = true;
	o->hostname = "SEP001122334455";
	o->mtu = 1290;
	o->accept_encoding = "";
	o->master_secret = true;
	o->dtls_port = EMU_DTLS_PORT;
	o->dtls_disconnect = -1;
	o->keepalive = EMU_KEEPALIVE;
	o->count = 1;
	o->timeout = 10;
}

static int
emu_tls_version(const char *v)
{
	if (strcmp(v, "1.0") == 0)
		return (TLS1_VERSION);
	if (strcmp(v, "1.1") == 0)
		return (TLS1_1_VERSION);
	if (strcmp(v, "1.2") == 0)
		return (TLS1_2_VERSION);
	if (strcmp(v, "1.3") == 0)
		return (TLS1_3_VERSION);
	return (-1);
}

/* Split https://HOST[:PORT]/PATH; IPv6 literals are not needed here. */
static int
emu_parse_url(struct emu_opts *o)
{
	const char *p = o->url, *slash, *colon;
	size_t n;

	if (strncasecmp(p, "https://", 8) != 0)
		return (-1);
	p += 8;
	slash = strchr(p, '/');
	if (slash == NULL || slash == p)
		return (-1);
	colon = memchr(p, ':', (size_t)(slash - p));
	n = (size_t)((colon != NULL ? colon : slash) - p);
	if (n >= sizeof(o->host) || strlen(slash) >= sizeof(o->path))
		return (-1);
	memcpy(o->host, p, n);
	o->host[n] = '\0';
	o->port = colon != NULL ? (unsigned)atoi(colon + 1) : 443;
	snprintf(o->path, sizeof(o->path), "%s", slash);
	return (o->port > 0 && o->port < 65536 ? 0 : -1);
}

enum {
	OPT_PROFILE = 256, OPT_CONNECT, OPT_USER, OPT_PASSWORD, OPT_CERT,
	OPT_KEY, OPT_CERT_MODE, OPT_CERT_HASH, OPT_CA, OPT_INSECURE,
	OPT_NO_HOST_ID, OPT_SNI, OPT_NO_SNI, OPT_TLS_MIN, OPT_TLS_MAX,
	OPT_CIPHERS, OPT_USER_AGENT, OPT_NO_TRANSCEND, OPT_NO_LOGIN_COOKIE,
	OPT_LOGIN_TAIL, OPT_NO_CONTENT_TYPE, OPT_NEW_CONNECTION,
	OPT_HOSTNAME, OPT_MTU, OPT_BASE_MTU, OPT_ADDRESS_TYPE,
	OPT_DTLS_CIPHERS, OPT_DTLS12_CIPHERS, OPT_FULL_IPV6,
	OPT_ACCEPT_ENCODING, OPT_NO_MASTER_SECRET, OPT_DTLS, OPT_DTLS_PORT,
	OPT_KEEPALIVE, OPT_STEP, OPT_COOKIE, OPT_SHOW_COOKIE, OPT_PING,
	OPT_COUNT, OPT_TIMEOUT, OPT_HOLD, OPT_WAIT_CLOSE, OPT_DTLS_DISCONNECT,
	OPT_DTLS_VERSION, OPT_DTLS_BURST, OPT_HELP,
};

static const struct option emu_long_options[] = {
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "cert-mode", no_argument, NULL, OPT_CERT_MODE },
	{ "cert-hash", required_argument, NULL, OPT_CERT_HASH },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "no-host-id-check", no_argument, NULL, OPT_NO_HOST_ID },
	{ "sni", no_argument, NULL, OPT_SNI },
	{ "no-sni", no_argument, NULL, OPT_NO_SNI },
	{ "tls-min", required_argument, NULL, OPT_TLS_MIN },
	{ "tls-max", required_argument, NULL, OPT_TLS_MAX },
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },
	{ "user-agent", required_argument, NULL, OPT_USER_AGENT },
	{ "no-transcend", no_argument, NULL, OPT_NO_TRANSCEND },
	{ "no-login-cookie", no_argument, NULL, OPT_NO_LOGIN_COOKIE },
	{ "login-tail", no_argument, NULL, OPT_LOGIN_TAIL },
	{ "no-content-type", no_argument, NULL, OPT_NO_CONTENT_TYPE },
	{ "new-connection", no_argument, NULL, OPT_NEW_CONNECTION },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "base-mtu", required_argument, NULL, OPT_BASE_MTU },
	{ "address-type", required_argument, NULL, OPT_ADDRESS_TYPE },
	{ "dtls-ciphers", required_argument, NULL, OPT_DTLS_CIPHERS },
	{ "dtls12-ciphers", required_argument, NULL, OPT_DTLS12_CIPHERS },
	{ "full-ipv6", no_argument, NULL, OPT_FULL_IPV6 },
	{ "accept-encoding", required_argument, NULL, OPT_ACCEPT_ENCODING },
	{ "no-master-secret", no_argument, NULL, OPT_NO_MASTER_SECRET },
	{ "dtls", no_argument, NULL, OPT_DTLS },
	{ "dtls-port", required_argument, NULL, OPT_DTLS_PORT },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "cookie", required_argument, NULL, OPT_COOKIE },
	{ "show-cookie", no_argument, NULL, OPT_SHOW_COOKIE },
	{ "ping", required_argument, NULL, OPT_PING },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "wait-close", required_argument, NULL, OPT_WAIT_CLOSE },
	{ "dtls-disconnect", required_argument, NULL, OPT_DTLS_DISCONNECT },
	{ "dtls-burst", required_argument, NULL, OPT_DTLS_BURST },
	{ "dtls-version", required_argument, NULL, OPT_DTLS_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Options that the profile's defaults must not overwrite. */
static int
emu_set_option(struct emu_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_CONNECT: o->connect_addr = arg; break;
	case OPT_USER: o->user = arg; break;
	case OPT_PASSWORD: o->password = arg; break;
	case OPT_CERT: o->cert = arg; break;
	case OPT_KEY: o->key = arg; break;
	case OPT_CERT_MODE: o->cert_mode = true; break;
	case OPT_CERT_HASH:
		if (o->npins == EMU_PINS_MAX)
			return (-1);
		o->pins[o->npins++] = arg;
		break;
	case OPT_CA: o->ca = arg; break;
	case OPT_INSECURE: o->insecure = true; break;
	case OPT_NO_HOST_ID: o->host_id_check = false; break;
	case OPT_SNI: o->sni = true; break;
	case OPT_NO_SNI: o->sni = false; break;
	case OPT_TLS_MIN: o->tls_min = emu_tls_version(arg); break;
	case OPT_TLS_MAX: o->tls_max = emu_tls_version(arg); break;
	case OPT_CIPHERS: o->ciphers = arg; break;
	case OPT_USER_AGENT: o->user_agent = arg; break;
	case OPT_NO_TRANSCEND: o->transcend = false; break;
	case OPT_NO_LOGIN_COOKIE: o->login_cookie = false; break;
	case OPT_LOGIN_TAIL: o->login_tail = true; break;
	case OPT_NO_CONTENT_TYPE: o->content_type = false; break;
	case OPT_NEW_CONNECTION: o->new_connection = true; break;
	case OPT_HOSTNAME: o->hostname = arg; break;
	case OPT_MTU: o->mtu = atoi(arg); break;
	case OPT_BASE_MTU: o->base_mtu = atoi(arg); break;
	case OPT_ADDRESS_TYPE: o->address_type = arg; break;
	case OPT_DTLS_CIPHERS: o->dtls_ciphers = arg; break;
	case OPT_DTLS12_CIPHERS: o->dtls12_ciphers = arg; break;
	case OPT_FULL_IPV6: o->full_ipv6 = true; break;
	case OPT_ACCEPT_ENCODING: o->accept_encoding = arg; break;
	case OPT_NO_MASTER_SECRET: o->master_secret = false; break;
	case OPT_DTLS: o->dtls = true; break;
	case OPT_DTLS_PORT:
		o->dtls_port = strcmp(arg, "reply") == 0 ? 0 : atoi(arg);
		if (o->dtls_port < 0 || o->dtls_port > 65535 ||
		    (o->dtls_port == 0 && strcmp(arg, "reply") != 0))
			return (-1);
		break;
	case OPT_KEEPALIVE:
		if ((o->keepalive = atoi(arg)) < 0)
			return (-1);
		break;
	case OPT_STEP: o->step = arg; break;
	case OPT_COOKIE: o->cookie = arg; break;
	case OPT_SHOW_COOKIE: o->show_cookie = true; break;
	case OPT_PING: o->ping = arg; break;
	case OPT_COUNT: o->count = atoi(arg); break;
	case OPT_TIMEOUT: o->timeout = atoi(arg); break;
	case OPT_HOLD: o->hold = atoi(arg); break;
	case OPT_WAIT_CLOSE: o->wait_close = atoi(arg); break;
	case OPT_DTLS_VERSION:
		if (strcmp(arg, "1.2") == 0)
			o->dtls_version = DTLS1_2_VERSION;
		else if (strcmp(arg, "0.9") == 0)
			o->dtls_version = DTLS1_BAD_VER;
		else
			return (-1);
		break;
	case OPT_DTLS_BURST:
		o->dtls_burst = atoi(arg);
		if (o->dtls_burst < 1 || o->dtls_burst > EMU_BURST_MAX)
			return (-1);
		break;
	case OPT_DTLS_DISCONNECT:
		o->dtls_disconnect = (int)strtol(arg, NULL, 0);
		if (o->dtls_disconnect < 0 || o->dtls_disconnect > 255)
			return (-1);
		break;
	default: return (-1);
	}
	return (0);
}

/*
 * Two passes: the first finds the profile, the second applies every
 * other option on top of its defaults.
 */
static int
emu_parse_args(int argc, char **argv, struct emu_opts *o)
{
	int opt;

	emu_defaults(o);
	while ((opt = getopt_long(argc, argv, "", emu_long_options,
	    NULL)) != -1) {
		if (opt == OPT_HELP) {
			emu_usage(stdout);
			exit(EMU_OK);
		}
		if (opt == '?')
			return (-1);
		if (opt == OPT_PROFILE)
			o->profile = optarg;
	}
	if (strcmp(o->profile, "7962") == 0)
		emu_profile_7962(o);
	else if (strcmp(o->profile, "8841") == 0)
		emu_profile_8841(o);
	else
		return (-1);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", emu_long_options,
	    NULL)) != -1) {
		if (opt != OPT_PROFILE && emu_set_option(o, opt, optarg) != 0)
			return (-1);
	}
	if (optind + 1 != argc)
		return (-1);
	o->url = argv[optind];
	if (o->tls_min < 0 || o->tls_max < 0 || emu_parse_url(o) != 0)
		return (-1);
	if (o->npins == 0 && o->ca == NULL && !o->insecure)
		return (-1);
	return (0);
}

/* ---- TLS ---------------------------------------------------------------- */

static void
emu_tls_error(const char *step, const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	emu_say(step, "%s failed: %s", what, e != 0 ? buf : "no detail");
	ERR_clear_error();
}

static int
emu_ctx_new(const struct emu_opts *o)
{
	emu_ctx = SSL_CTX_new(TLS_client_method());
	if (emu_ctx == NULL ||
	    SSL_CTX_set_min_proto_version(emu_ctx, o->tls_min) != 1 ||
	    SSL_CTX_set_max_proto_version(emu_ctx, o->tls_max) != 1 ||
	    SSL_CTX_set_cipher_list(emu_ctx, o->ciphers) != 1) {
		emu_tls_error("tls", "setting versions and ciphers");
		return (-1);
	}
	if (o->tls_min <= TLS1_1_VERSION)
		SSL_CTX_set_security_level(emu_ctx, 0);
	if (o->cert != NULL &&
	    (SSL_CTX_use_certificate_chain_file(emu_ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(emu_ctx, o->key ? o->key : o->cert,
	    SSL_FILETYPE_PEM) != 1)) {
		emu_tls_error("tls", "loading the client certificate");
		return (-1);
	}
	if (o->ca != NULL) {
		if (SSL_CTX_load_verify_locations(emu_ctx, o->ca, NULL) != 1) {
			emu_tls_error("tls", "loading the CA file");
			return (-1);
		}
		SSL_CTX_set_verify(emu_ctx, SSL_VERIFY_PEER, NULL);
	}
	return (0);
}

/* The phone compares base64(SHA-1) of the chain's certificates. */
static bool
emu_pins_match(const struct emu_opts *o, SSL *ssl)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	char b64[64];
	unsigned int n;
	size_t j;
	int i;

	if (o->npins == 0)
		return (true);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		if (X509_digest(sk_X509_value(chain, i), EVP_sha1(), md,
		    &n) != 1)
			continue;
		EVP_EncodeBlock((unsigned char *)b64, md, (int)n);
		for (j = 0; j < o->npins; j++) {
			if (strcmp(b64, o->pins[j]) == 0)
				return (true);
		}
	}
	return (false);
}

static bool
emu_host_id_ok(const struct emu_opts *o, SSL *ssl)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	unsigned int flags = X509_CHECK_FLAG_NO_WILDCARDS |
	    X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT;

	if (!o->host_id_check)
		return (true);
	return (leaf != NULL && (X509_check_ip_asc(leaf, o->host, 0) == 1 ||
	    X509_check_host(leaf, o->host, 0, flags, NULL) == 1));
}

static int
emu_tcp_connect(const struct emu_opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *addr = o->connect_addr ? o->connect_addr : o->host;
	int fd;

	sin.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		emu_say("tcp", "%s is not an IPv4 address; use --connect",
		    addr);
		return (-1);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		emu_say("tcp", "connect to %s port %u failed: %s", addr,
		    o->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	return (fd);
}

static void
emu_conn_close(struct emu_conn *ec)
{
	if (ec->ssl != NULL) {
		SSL_shutdown(ec->ssl);
		SSL_free(ec->ssl);
	}
	if (ec->fd >= 0)
		close(ec->fd);
	ec->ssl = NULL;
	ec->fd = -1;
	ec->len = 0;
}

static int
emu_conn_open(const struct emu_opts *o, struct emu_conn *ec)
{
	ec->len = 0;
	ec->ssl = NULL;
	if ((ec->fd = emu_tcp_connect(o)) < 0)
		return (-EMU_NETWORK);
	if ((ec->ssl = SSL_new(emu_ctx)) == NULL ||
	    SSL_set_fd(ec->ssl, ec->fd) != 1 ||
	    (o->sni && SSL_set_tlsext_host_name(ec->ssl, o->host) != 1)) {
		emu_tls_error("tls", "setting up the connection");
		emu_conn_close(ec);
		return (-EMU_NETWORK);
	}
	if (SSL_connect(ec->ssl) != 1) {
		emu_tls_error("tls", "handshake");
		emu_conn_close(ec);
		return (-EMU_NETWORK);
	}
	if (!emu_pins_match(o, ec->ssl) || !emu_host_id_ok(o, ec->ssl)) {
		emu_say("tls", "server identity rejected: %s",
		    emu_pins_match(o, ec->ssl) ? "host ID check failed" :
		    "no chain certificate matches a certHash");
		emu_conn_close(ec);
		return (-EMU_NETWORK);
	}
	emu_say("tls", "%s %s", SSL_get_version(ec->ssl),
	    SSL_get_cipher(ec->ssl));
	return (0);
}

/* ---- HTTP --------------------------------------------------------------- */

/*
 * Read more bytes into the buffer, waiting at most timeout seconds.
 * Returns the number read, 0 at the end of the connection, -1 on error
 * or timeout.
 */
static int
emu_conn_fill(struct emu_conn *ec, int timeout_ms)
{
	struct pollfd pfd = { .fd = ec->fd, .events = POLLIN };
	int n;

	if (ec->len == sizeof(ec->buf))
		return (-1);
	if (SSL_pending(ec->ssl) == 0 && poll(&pfd, 1, timeout_ms) <= 0)
		return (-1);
	n = SSL_read(ec->ssl, ec->buf + ec->len,
	    (int)(sizeof(ec->buf) - ec->len));
	if (n > 0) {
		ec->len += (size_t)n;
		return (n);
	}
	return (SSL_get_error(ec->ssl, n) == SSL_ERROR_ZERO_RETURN ||
	    SSL_get_error(ec->ssl, n) == SSL_ERROR_SYSCALL ? 0 : -1);
}

/*
 * emu_conn_fill without waiting: with only part of a TLS record in the
 * socket, SSL_read on the blocking socket would wait for the rest, and
 * the tunnel loop would send no keepalive meanwhile.
 */
static int
emu_conn_fill_now(struct emu_conn *ec)
{
	int flags = fcntl(ec->fd, F_GETFL), n;

	if (flags < 0 || fcntl(ec->fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return (-1);
	n = emu_conn_fill(ec, 0);
	fcntl(ec->fd, F_SETFL, flags);
	return (n);
}

static void
emu_conn_consume(struct emu_conn *ec, size_t n)
{
	memmove(ec->buf, ec->buf + n, ec->len - n);
	ec->len -= n;
}

static void
emu_copy_value(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Take the webvpn and webvpnlogin cookies out of a Set-Cookie value. */
static void
emu_parse_cookie(struct emu_response *r, const char *v)
{
	const char *end = strchr(v, ';');
	size_t n = end != NULL ? (size_t)(end - v) : strlen(v);

	if (strncmp(v, "webvpn=", 7) == 0) {
		r->webvpn_seen = true;
		emu_copy_value(r->webvpn, sizeof(r->webvpn), v + 7, n - 7);
		r->webvpn_expires = strcasestr(v, "expires=") != NULL;
	} else if (strncmp(v, "webvpnlogin=", 12) == 0) {
		emu_copy_value(r->webvpnlogin, sizeof(r->webvpnlogin),
		    v + 12, n - 12);
	}
}

static void
emu_parse_header(struct emu_response *r, const char *name, const char *v)
{
	if (strcasecmp(name, "Set-Cookie") == 0)
		emu_parse_cookie(r, v);
	else if (strcasecmp(name, "Content-Length") == 0)
		r->content_length = strtoul(v, NULL, 10);
	else if (strcasecmp(name, "X-CSTP-Address") == 0 &&
	    strchr(v, ':') == NULL)
		snprintf(r->address, sizeof(r->address), "%s", v);
	else if (strcasecmp(name, "X-CSTP-Netmask") == 0 &&
	    strchr(v, ':') == NULL)
		snprintf(r->netmask, sizeof(r->netmask), "%s", v);
	else if (strcasecmp(name, "X-CSTP-MTU") == 0)
		r->mtu = atoi(v);
	else if (strcasecmp(name, "X-CSTP-Keepalive") == 0)
		r->keepalive = atoi(v);
	else if (strcasecmp(name, "X-CSTP-DPD") == 0)
		r->dpd = atoi(v);
	else if (strcasecmp(name, "X-DTLS-CipherSuite") == 0)
		snprintf(r->dtls_cipher, sizeof(r->dtls_cipher), "%s", v);
	else if (strcasecmp(name, "X-DTLS12-CipherSuite") == 0)
		snprintf(r->dtls12_cipher, sizeof(r->dtls12_cipher), "%s", v);
	else if (strcasecmp(name, "X-DTLS-Session-ID") == 0 &&
	    strlen(v) == 2 * EMU_DTLS_ID_LEN)
		snprintf(r->dtls_session_id, sizeof(r->dtls_session_id), "%s",
		    v);
	else if (strcasecmp(name, "X-DTLS-Port") == 0)
		snprintf(r->dtls_port, sizeof(r->dtls_port), "%s", v);
}

/* Parse the head in place; the body stays in the buffer. */
static int
emu_parse_head(char *head, struct emu_response *r)
{
	char *line, *save = NULL, *colon, *v;

	line = strtok_r(head, "\r\n", &save);
	if (line == NULL || sscanf(line, "HTTP/1.%*d %d", &r->status) != 1)
		return (-1);
	v = strchr(line + 9, ' ');
	snprintf(r->reason, sizeof(r->reason), "%s", v ? v + 1 : "");
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		if ((colon = strchr(line, ':')) == NULL)
			return (-1);
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		emu_parse_header(r, line, v);
	}
	return (0);
}

/* Read one response; its body is dropped, bytes after it are kept. */
static int
emu_read_response(struct emu_conn *ec, int timeout, struct emu_response *r)
{
	char head[EMU_HEAD_MAX + 1];
	uint8_t *end = NULL;
	size_t hlen;

	memset(r, 0, sizeof(*r));
	while ((end = memmem(ec->buf, ec->len, "\r\n\r\n", 4)) == NULL) {
		if (ec->len > EMU_HEAD_MAX ||
		    emu_conn_fill(ec, timeout * 1000) <= 0)
			return (-1);
	}
	hlen = (size_t)(end - ec->buf) + 4;
	memcpy(head, ec->buf, hlen - 4);
	head[hlen - 4] = '\0';
	emu_conn_consume(ec, hlen);
	if (emu_parse_head(head, r) != 0)
		return (-1);
	if (r->status == 200 && r->address[0] != '\0')
		return (0);	/* CONNECT: CSTP follows, no body */
	while (ec->len < r->content_length) {
		if (emu_conn_fill(ec, timeout * 1000) <= 0)
			return (-1);
	}
	emu_conn_consume(ec, r->content_length);
	return (0);
}

static int
emu_send(struct emu_conn *ec, const char *data, size_t len)
{
	return (SSL_write(ec->ssl, data, (int)len) == (int)len ? 0 : -1);
}

/* Host as a phone sends it: with the port only when it is not 443. */
static void
emu_host_header(const struct emu_opts *o, char *buf, size_t len)
{
	if (o->port == 443)
		snprintf(buf, len, "%s", o->host);
	else
		snprintf(buf, len, "%s:%u", o->host, o->port);
}

/* The headers every phone request starts with. */
static int
emu_common_headers(const struct emu_opts *o, const char *method,
    const char *target, char *buf, size_t len)
{
	char host[300];

	emu_host_header(o, host, sizeof(host));
	return (snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: %s\r\n%s", method, target, host, o->user_agent,
	    o->transcend ? "X-Transcend-Version: 1\r\n" : ""));
}

/* ---- login -------------------------------------------------------------- */

static int
emu_status_exit(int status)
{
	return (status == 401 ? EMU_DENIED : EMU_HTTP);
}

static int
emu_get(const struct emu_opts *o, struct emu_conn *ec)
{
	char req[2048];
	struct emu_response r;
	int n;

	n = emu_common_headers(o, "GET", o->path, req, sizeof(req));
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	if (emu_send(ec, req, (size_t)n) != 0 ||
	    emu_read_response(ec, o->timeout, &r) != 0) {
		emu_say("get", "no answer");
		return (EMU_NETWORK);
	}
	if (r.status != 200 || !r.webvpn_seen || !r.webvpn_expires ||
	    r.webvpnlogin[0] == '\0') {
		emu_say("get", "%d %s: no login prompt (webvpn expired=%s, "
		    "webvpnlogin=%s)", r.status, r.reason,
		    r.webvpn_expires ? "yes" : "no", r.webvpnlogin);
		return (emu_status_exit(r.status));
	}
	emu_say("get", "%d webvpnlogin=%s webvpn-expired=yes", r.status,
	    r.webvpnlogin);
	return (EMU_OK);
}

/* URL-encode as a form: unreserved bytes as they are, space as '+'. */
static void
emu_form_encode(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t used = 0;

	for (; *s != '\0' && used + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			out[used++] = (char)ch;
		} else if (ch == ' ') {
			out[used++] = '+';
		} else {
			out[used++] = '%';
			out[used++] = hex[ch >> 4];
			out[used++] = hex[ch & 15];
		}
	}
	out[used] = '\0';
}

static void
emu_form_body(const struct emu_opts *o, char *body, size_t len)
{
	char user[512], password[1024];

	body[0] = '\0';
	if (o->cert_mode)
		return;
	emu_form_encode(o->user ? o->user : "", user, sizeof(user));
	emu_form_encode(o->password ? o->password : "", password,
	    sizeof(password));
	snprintf(body, len, "username=%s&password=%s%s", user, password,
	    o->login_tail ? "&Login=Login" : "");
}

static int
emu_post(const struct emu_opts *o, struct emu_conn *ec, char *cookie,
    size_t cookie_len)
{
	char req[4096], body[2048];
	struct emu_response r;
	int n;

	emu_form_body(o, body, sizeof(body));
	n = emu_common_headers(o, "POST", o->path, req, sizeof(req));
	n += snprintf(req + n, sizeof(req) - (size_t)n, "%s%sContent-Length: "
	    "%zu\r\n\r\n%s", o->login_cookie ? "Cookie: webvpnlogin=1\r\n" :
	    "", o->content_type ? "Content-Type: "
	    "application/x-www-form-urlencoded\r\n" : "", strlen(body), body);
	if (emu_send(ec, req, (size_t)n) != 0 ||
	    emu_read_response(ec, o->timeout, &r) != 0) {
		emu_say("login", "no answer");
		return (EMU_NETWORK);
	}
	if (r.status != 200 || r.webvpn[0] == '\0') {
		emu_say("login", "%d %s", r.status, r.reason);
		return (r.status == 200 ? EMU_HTTP : emu_status_exit(r.status));
	}
	snprintf(cookie, cookie_len, "%s", r.webvpn);
	if (o->show_cookie)
		emu_say("login", "%d cookie=%s", r.status, cookie);
	else
		emu_say("login", "%d cookie received", r.status);
	return (EMU_OK);
}

/* ---- CONNECT ------------------------------------------------------------ */

/* A fresh master secret for X-DTLS-Master-Secret, in uppercase hex. */
static void
emu_master_secret(char out[2 * EMU_DTLS_SECRET_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char raw[EMU_DTLS_SECRET_LEN];
	size_t i;

	RAND_bytes(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * EMU_DTLS_SECRET_LEN] = '\0';
}

/* Append "Name: value\r\n" when value is not empty. */
static int
emu_header(char *buf, size_t len, const char *name, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return (0);
	return (snprintf(buf, len, "%s: %s\r\n", name, value));
}

static size_t
emu_connect_request(const struct emu_opts *o, const char *cookie,
    const char *secret, char *req, size_t len)
{
	char num[16];
	size_t n;

	n = (size_t)emu_common_headers(o, "CONNECT", "/CSCOSSLC/tunnel", req,
	    len);
	n += (size_t)snprintf(req + n, len - n, "Cookie: webvpn=%s\r\n"
	    "X-CSTP-Version: 1\r\n", cookie);
	n += (size_t)emu_header(req + n, len - n, "X-CSTP-Hostname",
	    o->hostname);
	snprintf(num, sizeof(num), "%d", o->mtu);
	n += (size_t)emu_header(req + n, len - n, "X-CSTP-MTU", num);
	if (o->base_mtu > 0) {
		snprintf(num, sizeof(num), "%d", o->base_mtu);
		n += (size_t)emu_header(req + n, len - n, "X-CSTP-Base-MTU",
		    num);
	}
	n += (size_t)emu_header(req + n, len - n, "X-CSTP-Address-Type",
	    o->address_type);
	if (o->full_ipv6)
		n += (size_t)emu_header(req + n, len - n,
		    "X-CSTP-Full-IPv6-Capability", "true");
	n += (size_t)emu_header(req + n, len - n, "X-CSTP-Accept-Encoding",
	    o->accept_encoding);
	if (o->master_secret)
		n += (size_t)emu_header(req + n, len - n,
		    "X-DTLS-Master-Secret", secret);
	n += (size_t)emu_header(req + n, len - n, "X-DTLS-CipherSuite",
	    o->dtls_ciphers);
	n += (size_t)emu_header(req + n, len - n, "X-DTLS12-CipherSuite",
	    o->dtls12_ciphers);
	n += (size_t)snprintf(req + n, len - n, "\r\n");
	return (n);
}

static int
emu_connect(const struct emu_opts *o, struct emu_conn *ec,
    const char *cookie, const char *secret, struct emu_response *r)
{
	char req[4096];
	size_t n = emu_connect_request(o, cookie, secret, req, sizeof(req));

	if (emu_send(ec, req, n) != 0 ||
	    emu_read_response(ec, o->timeout, r) != 0) {
		emu_say("connect", "no answer");
		return (EMU_NETWORK);
	}
	if (r->status != 200 || r->address[0] == '\0') {
		emu_say("connect", "%d %s", r->status, r->reason);
		return (emu_status_exit(r->status));
	}
	emu_say("connect", "%d address=%s netmask=%s mtu=%d dtls-cipher=%s "
	    "dtls12-cipher=%s dtls-session-id=%s dtls-port=%s", r->status,
	    r->address, r->netmask, r->mtu,
	    r->dtls_cipher[0] ? r->dtls_cipher : "-",
	    r->dtls12_cipher[0] ? r->dtls12_cipher : "-",
	    r->dtls_session_id[0] ? "yes" : "no",
	    r->dtls_port[0] ? r->dtls_port : "-");
	return (EMU_OK);
}

/* ---- tunnel ------------------------------------------------------------- */

enum emu_channel {
	EMU_CSTP,
	EMU_DTLS,
	EMU_NCHANNELS,
};

static const char *const emu_channel_names[EMU_NCHANNELS] = {
	"cstp", "dtls",
};

/* What one channel carried. */
struct emu_counts {
	unsigned	data_out;	/* packets */
	unsigned	data_in;
	unsigned	dpd_answered;
	unsigned	keepalives;
};

/* The tunnel's state while packets flow. */
struct emu_tunnel {
	struct emu_conn	*ec;
	struct emu_dtls	dtls;
	bool		dtls_up;
	uint32_t	addr;		/* leased, network order */
	int		keepalive;	/* seconds between keepalives, 0 none */
	time_t		last_tx[EMU_NCHANNELS];
	struct emu_counts counts[EMU_NCHANNELS];
	bool		closed;
	char		close_reason[128];
};

static int
emu_send_frame(struct emu_tunnel *t, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	uint8_t frame[EMU_BUF_SIZE];

	cstp_header_write(frame, type, (uint16_t)len);
	if (len > 0)
		memcpy(frame + CSTP_HEADER_LEN, payload, len);
	t->last_tx[EMU_CSTP] = time(NULL);
	return (emu_send(t->ec, (const char *)frame, CSTP_HEADER_LEN + len));
}

/* Give up on DTLS for the rest of the tunnel, as a phone falls back. */
static void
emu_dtls_down(struct emu_tunnel *t, const char *why)
{
	emu_say("dtls", "down: %s; falling back to CSTP", why);
	emu_dtls_close(&t->dtls);
	t->dtls_up = false;
}

/* Send one packet on ch. Returns 0, or -1 when that channel failed. */
static int
emu_send_on(struct emu_tunnel *t, enum emu_channel ch, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	if (ch == EMU_CSTP)
		return (emu_send_frame(t, type, payload, len));
	if (emu_dtls_send(&t->dtls, type, payload, len) != 0) {
		emu_dtls_down(t, "sending a record failed");
		return (-1);
	}
	t->last_tx[EMU_DTLS] = time(NULL);
	return (0);
}

/*
 * Send on DTLS while it is up, else on CSTP, and count the packet.
 * Returns the channel that took it, or -1.
 */
static int
emu_send_packet(struct emu_tunnel *t, enum cstp_type type,
    const uint8_t *payload, size_t len)
{
	enum emu_channel ch = t->dtls_up ? EMU_DTLS : EMU_CSTP;

	if (emu_send_on(t, ch, type, payload, len) != 0) {
		if (ch == EMU_CSTP)
			return (-1);
		ch = EMU_CSTP;
		if (emu_send_on(t, ch, type, payload, len) != 0)
			return (-1);
	}
	if (type == CSTP_DATA)
		t->counts[ch].data_out++;
	else if (type == CSTP_KEEPALIVE)
		t->counts[ch].keepalives++;
	return ((int)ch);
}

static void
emu_build_echo(const struct emu_tunnel *t, uint32_t dst, uint16_t id,
    uint16_t seq, uint8_t *pkt, size_t *len)
{
	size_t total = 20 + 8 + EMU_PING_PAYLOAD;
	uint16_t sum;
	size_t i;

	memset(pkt, 0, total);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(total >> 8);
	pkt[3] = (uint8_t)total;
	pkt[8] = 64;		/* TTL */
	pkt[9] = 1;		/* ICMP */
	memcpy(pkt + 12, &t->addr, 4);
	memcpy(pkt + 16, &dst, 4);
	sum = packet_checksum(pkt, 20);
	pkt[10] = (uint8_t)(sum >> 8);
	pkt[11] = (uint8_t)sum;
	pkt[20] = 8;		/* echo request */
	pkt[24] = (uint8_t)(id >> 8);
	pkt[25] = (uint8_t)id;
	pkt[26] = (uint8_t)(seq >> 8);
	pkt[27] = (uint8_t)seq;
	for (i = 0; i < EMU_PING_PAYLOAD; i++)
		pkt[28 + i] = (uint8_t)i;
	sum = packet_checksum(pkt + 20, 8 + EMU_PING_PAYLOAD);
	pkt[22] = (uint8_t)(sum >> 8);
	pkt[23] = (uint8_t)sum;
	*len = total;
}

/* Return the sequence number of an echo reply from dst, or -1. */
static int
emu_reply_seq(const uint8_t *pkt, size_t len, uint32_t dst, uint16_t id)
{
	uint32_t src, to;
	size_t ihl;

	if (!packet_ipv4_addrs(pkt, len, &src, &to) || src != dst ||
	    pkt[9] != 1)
		return (-1);
	ihl = (size_t)(pkt[0] & 15) * 4;
	if (len < ihl + 8 || pkt[ihl] != 0 ||
	    (pkt[ihl + 4] << 8 | pkt[ihl + 5]) != id)
		return (-1);
	return (pkt[ihl + 6] << 8 | pkt[ihl + 7]);
}

/*
 * Respond to a DPD request on the channel it came on, and mark the
 * tunnel closed on DISCONNECT.
 */
static void
emu_handle_frame(struct emu_tunnel *t, enum emu_channel ch,
    enum cstp_type type, const uint8_t *payload, size_t len)
{
	switch (type) {
	case CSTP_DPD_REQ:
		if (emu_send_on(t, ch, CSTP_DPD_RESP, payload, len) == 0)
			t->counts[ch].dpd_answered++;
		break;
	case CSTP_DISCONNECT:
		t->closed = true;
		snprintf(t->close_reason, sizeof(t->close_reason),
		    "DISCONNECT reason 0x%02x on %s", len > 0 ? payload[0] : 0,
		    emu_channel_names[ch]);
		break;
	default:
		break;
	}
}

/*
 * Take the next DATA frame out of the CSTP buffer, handling control
 * frames on the way. Returns its length, 0 when no whole DATA frame is
 * buffered, or -1 when the tunnel closed.
 */
static int
emu_cstp_next(struct emu_tunnel *t, uint8_t *out, size_t outlen)
{
	enum cstp_type type;
	size_t plen;
	int rc;

	while ((rc = cstp_frame_parse(t->ec->buf, t->ec->len, &type,
	    &plen)) > 0) {
		bool data = type == CSTP_DATA && plen > 0 && plen <= outlen;

		if (data)
			memcpy(out, t->ec->buf + CSTP_HEADER_LEN, plen);
		else
			emu_handle_frame(t, EMU_CSTP, type,
			    t->ec->buf + CSTP_HEADER_LEN, plen);
		emu_conn_consume(t->ec, (size_t)rc);
		if (t->closed)
			return (-1);
		if (data) {
			t->counts[EMU_CSTP].data_in++;
			return ((int)plen);
		}
	}
	if (rc < 0) {
		t->closed = true;
		snprintf(t->close_reason, sizeof(t->close_reason),
		    "malformed CSTP frame");
		return (-1);
	}
	return (0);
}

/* Like emu_cstp_next for the records that DTLS has received. */
static int
emu_dtls_next(struct emu_tunnel *t, uint8_t *out, size_t outlen)
{
	uint8_t rec[EMU_BUF_SIZE];
	char err[256];
	size_t plen;
	int n;

	while (t->dtls_up && !t->closed) {
		n = emu_dtls_recv(&t->dtls, rec, sizeof(rec), err,
		    sizeof(err));
		if (n < 0)
			emu_dtls_down(t, err);
		if (n <= 0)
			return (t->closed ? -1 : 0);
		plen = (size_t)n - 1;
		if (rec[0] != CSTP_DATA) {
			emu_handle_frame(t, EMU_DTLS, (enum cstp_type)rec[0],
			    rec + 1, plen);
		} else if (plen > 0 && plen <= outlen) {
			memcpy(out, rec + 1, plen);
			t->counts[EMU_DTLS].data_in++;
			return ((int)plen);
		}
	}
	return (t->closed ? -1 : 0);
}

/*
 * Send a keepalive on the channel in use after a keepalive interval
 * without sending anything there.
 */
static void
emu_keepalive(struct emu_tunnel *t)
{
	enum emu_channel ch = t->dtls_up ? EMU_DTLS : EMU_CSTP;

	if (t->keepalive > 0 && time(NULL) - t->last_tx[ch] >= t->keepalive)
		emu_send_packet(t, CSTP_KEEPALIVE, NULL, 0);
}

/*
 * Wait up to timeout_ms for the TLS connection or the DTLS socket and
 * read what TLS has. Marks the tunnel closed when TLS ends.
 */
static void
emu_wait(struct emu_tunnel *t, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = t->ec->fd, .events = POLLIN },
		{ .fd = t->dtls_up ? t->dtls.fd : -1, .events = POLLIN },
	};

	if (SSL_pending(t->ec->ssl) == 0 && poll(pfd, 2, timeout_ms) <= 0)
		return;
	if (SSL_pending(t->ec->ssl) == 0 && (pfd[0].revents & POLLIN) == 0)
		return;
	if (emu_conn_fill_now(t->ec) == 0) {
		t->closed = true;
		snprintf(t->close_reason, sizeof(t->close_reason),
		    "the server closed the TLS connection");
	}
}

/*
 * Wait up to timeout_ms for the next DATA packet on either channel,
 * handling control packets on the way and sending keepalives. Returns
 * its length and sets *from, 0 on timeout, or -1 when the tunnel closed.
 */
static int
emu_next_packet(struct emu_tunnel *t, uint8_t *out, size_t outlen,
    int timeout_ms, enum emu_channel *from)
{
	struct timespec start, now;
	int n, left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		*from = EMU_CSTP;
		if ((n = emu_cstp_next(t, out, outlen)) != 0)
			return (n);
		*from = EMU_DTLS;
		if ((n = emu_dtls_next(t, out, outlen)) != 0)
			return (n);
		emu_keepalive(t);
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return (0);
		emu_wait(t, left > 1000 ? 1000 : left);	/* for keepalives */
		if (t->closed)
			return (-1);
	}
}

static double
emu_elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a->tv_sec) * 1000.0 +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e6);
}

static int
emu_ping_one(const struct emu_opts *o, struct emu_tunnel *t, uint32_t dst,
    uint16_t seq)
{
	uint8_t pkt[EMU_BUF_SIZE];
	uint16_t id = (uint16_t)getpid();
	enum emu_channel from;
	struct timespec sent;
	size_t len;
	int n, left, via;

	emu_build_echo(t, dst, id, seq, pkt, &len);
	clock_gettime(CLOCK_MONOTONIC, &sent);
	if ((via = emu_send_packet(t, CSTP_DATA, pkt, len)) < 0)
		return (EMU_NETWORK);
	for (;;) {
		left = o->timeout * 1000 - (int)emu_elapsed_ms(&sent);
		n = left > 0 ? emu_next_packet(t, pkt, sizeof(pkt), left,
		    &from) : 0;
		if (n < 0) {
			emu_say("ping", "tunnel closed: %s", t->close_reason);
			return (EMU_NETWORK);
		}
		if (n == 0) {
			emu_say("ping", "no reply from %s seq=%u (request on "
			    "%s)", o->ping, seq, emu_channel_names[via]);
			return (EMU_NO_REPLY);
		}
		if (emu_reply_seq(pkt, (size_t)n, dst, id) == seq)
			break;
	}
	emu_say("ping", "reply from %s seq=%u time=%.1f ms, request on %s, "
	    "reply on %s", o->ping, seq, emu_elapsed_ms(&sent),
	    emu_channel_names[via], emu_channel_names[from]);
	return (EMU_OK);
}

/*
 * Send --dtls-burst echo requests as one UDP GSO datagram over DTLS and
 * wait for all their replies, in any order.
 */
static int
emu_ping_burst(const struct emu_opts *o, struct emu_tunnel *t,
    uint32_t dst)
{
	uint8_t pkts[EMU_BURST_MAX][20 + 8 + EMU_PING_PAYLOAD];
	uint8_t pkt[EMU_BUF_SIZE];
	uint16_t id = (uint16_t)getpid();
	bool seen[EMU_BURST_MAX + 1] = { false };
	enum emu_channel from;
	int i, n, seq, replies = 0;
	size_t len = 0;

	if (!t->dtls_up) {
		emu_say("burst", "DTLS is not up");
		return (EMU_NETWORK);
	}
	for (i = 0; i < o->dtls_burst; i++)
		emu_build_echo(t, dst, id, (uint16_t)(i + 1), pkts[i], &len);
	if (emu_dtls_send_burst(&t->dtls, pkts[0], len, o->dtls_burst) != 0) {
		emu_say("burst", "sending %d records in one datagram failed: "
		    "%s", o->dtls_burst, strerror(errno));
		return (EMU_NETWORK);
	}
	t->counts[EMU_DTLS].data_out += (unsigned)o->dtls_burst;

	while (replies < o->dtls_burst && (n = emu_next_packet(t, pkt,
	    sizeof(pkt), o->timeout * 1000, &from)) > 0) {
		seq = emu_reply_seq(pkt, (size_t)n, dst, id);
		if (seq >= 1 && seq <= o->dtls_burst && !seen[seq]) {
			seen[seq] = true;
			replies++;
		}
	}
	emu_say("burst", "%d of %d replies from %s", replies, o->dtls_burst,
	    o->ping);
	return (replies == o->dtls_burst ? EMU_OK : EMU_NO_REPLY);
}

static int
emu_ping(const struct emu_opts *o, struct emu_tunnel *t)
{
	struct in_addr dst;
	int i, rc;

	if (inet_pton(AF_INET, o->ping, &dst) != 1) {
		emu_say("ping", "%s is not an IPv4 address", o->ping);
		return (EMU_USAGE);
	}
	if (o->dtls_burst > 0)
		return (emu_ping_burst(o, t, dst.s_addr));
	for (i = 1; i <= o->count; i++) {
		if ((rc = emu_ping_one(o, t, dst.s_addr, (uint16_t)i)) != 0)
			return (rc);
	}
	return (EMU_OK);
}

/* Keep the tunnel up; DATA packets are dropped as a quiet phone would. */
static void
emu_idle(struct emu_tunnel *t, int seconds)
{
	uint8_t pkt[EMU_BUF_SIZE];
	enum emu_channel from;
	struct timespec start;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!t->closed) {
		left = seconds * 1000 - (int)emu_elapsed_ms(&start);
		if (left <= 0 || emu_next_packet(t, pkt, sizeof(pkt), left,
		    &from) < 0)
			break;
	}
}

/* ---- DTLS --------------------------------------------------------------- */

/*
 * The dialect a phone runs for the reply: DTLS 1.2 resumption when the
 * reply names an X-DTLS12-CipherSuite, the 0x0100 dialect for a legacy
 * X-DTLS-CipherSuite name. Sets the version and the request list that
 * the ClientHello offers; returns -1 when the reply offers no DTLS a
 * phone can run.
 */
static int
emu_dtls_dialect(const struct emu_opts *o, const struct emu_response *r,
    int *version, const char **list, const char **named)
{
	*named = r->dtls12_cipher[0] ? r->dtls12_cipher : r->dtls_cipher;
	if (r->dtls_session_id[0] == '\0' || (*named)[0] == '\0') {
		emu_say("dtls", "the server offers no DTLS; staying on CSTP");
		return (-1);
	}
	if (r->dtls12_cipher[0] != '\0') {
		*version = o->dtls_version != 0 ? o->dtls_version :
		    DTLS1_2_VERSION;
		*list = o->dtls12_ciphers;
		return (0);
	}
	if (strncmp(*named, "OC-", 3) == 0 ||
	    strcmp(*named, "PSK-NEGOTIATE") == 0) {
		emu_say("dtls", "the server names %s, which phones do not "
		    "know; staying on CSTP", *named);
		return (-1);
	}
	*version = o->dtls_version != 0 ? o->dtls_version : DTLS1_BAD_VER;
	*list = o->dtls_ciphers;
	return (0);
}

static int
emu_dtls_port(const struct emu_opts *o, const struct emu_response *r)
{
	int port = o->dtls_port > 0 ? o->dtls_port : atoi(r->dtls_port);

	if (port <= 0 || port > 65535) {
		emu_say("dtls", "the reply has no valid X-DTLS-Port (%s); "
		    "staying on CSTP", r->dtls_port[0] ? r->dtls_port : "-");
		return (-1);
	}
	return (port);
}

/*
 * Fill the handshake parameters. The session's cipher is the TLS
 * connection's suite, which the ClientHello offers first, followed by
 * the list the CONNECT request sent for this dialect.
 */
static int
emu_dtls_params_fill(const struct emu_opts *o, const struct emu_tunnel *t,
    const struct emu_response *r, const char *secret,
    struct emu_dtls_params *p, char *offer, size_t offer_len)
{
	const SSL_CIPHER *tls = SSL_get_current_cipher(t->ec->ssl);
	const char *list, *named;
	size_t n;
	int port;

	if (emu_dtls_dialect(o, r, &p->version, &list, &named) != 0 ||
	    (port = emu_dtls_port(o, r)) < 0)
		return (-1);
	p->port = (uint16_t)port;
	inet_pton(AF_INET, o->connect_addr ? o->connect_addr : o->host,
	    &p->addr);
	p->session_cipher = SSL_CIPHER_get_protocol_id(tls);
	snprintf(offer, offer_len, "%s%s%s", SSL_CIPHER_get_name(tls),
	    list[0] ? ":" : "", list);
	p->offer = offer;
	p->timeout_ms = o->timeout * 1000;
	if (OPENSSL_hexstr2buf_ex(p->secret, sizeof(p->secret), &n, secret,
	    '\0') != 1 || OPENSSL_hexstr2buf_ex(p->session_id,
	    sizeof(p->session_id), &n, r->dtls_session_id, '\0') != 1) {
		emu_say("dtls", "X-DTLS-Session-ID %s is not hex; staying on "
		    "CSTP", r->dtls_session_id);
		return (-1);
	}
	emu_say("dtls", "resuming %s with the TLS suite %s on UDP port %d; "
	    "the server names %s", p->version == DTLS1_BAD_VER ?
	    "DTLSv0.9" : "DTLSv1.2", SSL_CIPHER_get_name(tls), port, named);
	return (0);
}

/*
 * Bring up DTLS as a phone does: to UDP port 443 whatever port
 * X-DTLS-Port names (--dtls-port changes that), resuming with the TLS
 * connection's suite even when the reply names another. In that case
 * OpenSSL rejects the server's hello with "old session cipher not
 * returned", the error reported from phones, and the tunnel stays on
 * CSTP.
 */
static void
emu_dtls_start(const struct emu_opts *o, struct emu_tunnel *t,
    const struct emu_response *r, const char *secret)
{
	struct emu_dtls_params p;
	char offer[512], err[256];

	memset(&p, 0, sizeof(p));
	if (emu_dtls_params_fill(o, t, r, secret, &p, offer,
	    sizeof(offer)) != 0)
		return;
	if (emu_dtls_open(&t->dtls, &p, err, sizeof(err)) != 0) {
		emu_say("dtls", "failed: %s; staying on CSTP", err);
		return;
	}
	t->dtls_up = true;
	t->last_tx[EMU_DTLS] = time(NULL);
	emu_say("dtls", "up %s %s", SSL_get_version(t->dtls.ssl),
	    SSL_get_cipher_name(t->dtls.ssl));
}

/* ---- tunnel life -------------------------------------------------------- */

/*
 * Return the keepalive interval: the lower of the phone's setting and
 * the server's X-CSTP-Keepalive. A 0 on one side leaves the other's
 * value, so there are no keepalives only when both are 0.
 */
static int
emu_keepalive_interval(int phone, int server)
{
	if (phone <= 0)
		return (server > 0 ? server : 0);
	if (server <= 0)
		return (phone);
	return (phone < server ? phone : server);
}

/* One line per channel with what it carried. */
static void
emu_report_channels(const struct emu_tunnel *t)
{
	const struct emu_counts *c;
	int ch;

	for (ch = 0; ch < EMU_NCHANNELS; ch++) {
		c = &t->counts[ch];
		emu_say(emu_channel_names[ch], "packets out=%u in=%u "
		    "dpd-answered=%u keepalives=%u", c->data_out, c->data_in,
		    c->dpd_answered, c->keepalives);
	}
}

/* Say goodbye over DTLS, as a client may; without DTLS it is a no-op. */
static void
emu_dtls_goodbye(struct emu_tunnel *t, uint8_t reason)
{
	if (!t->dtls_up) {
		emu_say("dtls", "not up; no DISCONNECT sent");
		return;
	}
	if (emu_dtls_send(&t->dtls, CSTP_DISCONNECT, &reason, 1) != 0) {
		emu_say("dtls", "sending DISCONNECT failed");
		return;
	}
	emu_say("dtls", "sent DISCONNECT with reason 0x%02x", reason);
}

static int
emu_tunnel_run(const struct emu_opts *o, struct emu_tunnel *t)
{
	int rc;

	if (o->ping != NULL && (rc = emu_ping(o, t)) != EMU_OK)
		return (rc);
	if (o->hold > 0) {
		emu_idle(t, o->hold);
		emu_say("tunnel", "%s after %d s", t->closed ? t->close_reason :
		    "still up", o->hold);
	}
	if (o->dtls_disconnect >= 0)
		emu_dtls_goodbye(t, (uint8_t)o->dtls_disconnect);
	if (o->wait_close > 0) {
		emu_idle(t, o->wait_close);
		if (!t->closed) {
			emu_say("tunnel", "still up after %d s",
			    o->wait_close);
			return (EMU_STILL_UP);
		}
		emu_say("tunnel", "closed by the server: %s", t->close_reason);
	}
	return (EMU_OK);
}

static int
emu_tunnel(const struct emu_opts *o, struct emu_conn *ec,
    const struct emu_response *r, const char *secret)
{
	struct emu_tunnel t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.ec = ec;
	t.dtls.fd = -1;
	t.last_tx[EMU_CSTP] = time(NULL);
	inet_pton(AF_INET, r->address, &t.addr);
	t.keepalive = emu_keepalive_interval(o->keepalive, r->keepalive);
	if (o->dtls)
		emu_dtls_start(o, &t, r, secret);
	rc = emu_tunnel_run(o, &t);
	/* A failed run ends without DISCONNECT, so the server keeps the
	 * session. */
	if (rc == EMU_OK && !t.closed)
		emu_send_frame(&t, CSTP_DISCONNECT, (const uint8_t *)"\xb0", 1);
	emu_report_channels(&t);
	emu_dtls_close(&t.dtls);
	return (rc);
}

/* ---- main --------------------------------------------------------------- */

static bool
emu_stop_after(const struct emu_opts *o, const char *step)
{
	return (o->step != NULL && strcmp(o->step, step) == 0);
}

static int
emu_login(const struct emu_opts *o, struct emu_conn *ec, char *cookie,
    size_t len)
{
	int rc;

	if ((rc = emu_get(o, ec)) != EMU_OK || emu_stop_after(o, "get"))
		return (rc);
	return (emu_post(o, ec, cookie, len));
}

static int
emu_run(const struct emu_opts *o)
{
	static struct emu_conn ec = { .fd = -1 };
	struct emu_response r;
	char cookie[512], secret[2 * EMU_DTLS_SECRET_LEN + 1];
	int rc;

	if (emu_conn_open(o, &ec) != 0)
		return (EMU_NETWORK);
	if (o->cookie != NULL) {
		snprintf(cookie, sizeof(cookie), "%s", o->cookie);
	} else if ((rc = emu_login(o, &ec, cookie, sizeof(cookie))) !=
	    EMU_OK || emu_stop_after(o, "get") ||
	    emu_stop_after(o, "login")) {
		emu_conn_close(&ec);
		return (rc);
	}
	if (o->new_connection) {
		emu_conn_close(&ec);
		if (emu_conn_open(o, &ec) != 0)
			return (EMU_NETWORK);
	}
	emu_master_secret(secret);
	rc = emu_connect(o, &ec, cookie, secret, &r);
	if (rc == EMU_OK && !emu_stop_after(o, "connect"))
		rc = emu_tunnel(o, &ec, &r, secret);
	emu_conn_close(&ec);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct emu_opts o;

	if (emu_parse_args(argc, argv, &o) != 0) {
		emu_usage(stderr);
		fprintf(stderr, "phone-emu: give the URL, a known --profile, "
		    "valid values and --cert-hash, --ca or --insecure\n");
		return (EMU_USAGE);
	}
	if (o.cert_mode && o.cert == NULL) {
		fprintf(stderr, "phone-emu: --cert-mode needs --cert\n");
		return (EMU_USAGE);
	}
	if (emu_ctx_new(&o) != 0)
		return (EMU_NETWORK);
	return (emu_run(&o));
}
