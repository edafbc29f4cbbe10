/*
 * Parse and validate the headend configuration file into struct config.
 *
 * Each section of the file is described by a table of fields. One walker
 * rejects unknown keys and wrong types for every section, so the field
 * parsers only ever see a value of the type they expect. Fields are
 * parsed in table order, not file order, so a tunnel-group can resolve
 * its pool and group-policy whatever order the file lists sections in.
 *
 * libconfig's own type is config_t and its functions start with config_,
 * so the helpers here start with cfg_. Nothing here prints or exits:
 * every error goes to the caller's callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <openssl/tls1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "groupurl.h"
#include "pool.h"
#include "regfile.h"
#include "userfile.h"

#define CFG_MESSAGE_MAX		2048
#define CFG_WHERE_MAX		(CONFIG_NAME_MAX + 32)
#define CFG_MTU_MIN		576
#define CFG_MTU_MAX		9000
#define CFG_TIMER_MAX		3600	/* keepalive and dpd, seconds */
#define CFG_NAME_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz" \
				"0123456789._-"
#define CFG_DOMAIN_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz" \
				"0123456789.-"
#define CFG_URL_EXAMPLE		"\"https://vpn.example.net/staff\""

#define CFG_USER		"headend"
#define CFG_STATUS_SOCKET	"/run/headend/status.sock"
#define CFG_STATE_FILE		"/var/lib/headend/sessions"
#define CFG_LISTEN_ADDRESS	"0.0.0.0"
#define CFG_PORT		443
#define CFG_TLS12_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20"
#define CFG_TLS13_SUITES	"TLS_AES_256_GCM_SHA384:" \
				"TLS_AES_128_GCM_SHA256:" \
				"TLS_CHACHA20_POLY1305_SHA256"
#define CFG_LINK_MTU		1500
#define CFG_TUN_NAME		"headend0"
#define CFG_TUN_MTU		1500
#define CFG_USER_FILE		"users"
#define CFG_IDLE_TIMEOUT	1800
#define CFG_KEEPALIVE		20
#define CFG_DPD			30
#define CFG_DATA_MTU		1406
#define CFG_LOGINS		3
#define CFG_RECONNECT_WINDOW	300

/*
 * The phone profile's TLS 1.2 list: the RSA AES-CBC-SHA suites first,
 * because legacy DTLS on older phones must use the TLS suite, then the
 * ECDHE-RSA GCM suites of newer firmware.
 */
#define CFG_PHONE_TLS12_CIPHERS	"AES256-SHA:AES128-SHA:" \
				"ECDHE-RSA-AES256-GCM-SHA384:" \
				"ECDHE-RSA-AES128-GCM-SHA256"

/* State of one config_load call. */
struct cfg_ctx {
	struct config	*cfg;
	const char	*path;		/* as the caller gave it */
	char		dir[PATH_MAX];	/* absolute directory of the file */
	char		item[CFG_WHERE_MAX];	/* "pool \"x\"", "" at top */
	char		where[CFG_WHERE_MAX + 4];	/* " in " item, or "" */
	config_error_fn	*on_error;
	void		*arg;
	int		nerrors;
	char		*text;		/* the file's lines, for cfg_int_cut */
	size_t		text_len;
};

struct cfg_field;

typedef void cfg_parse_fn(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *field, void *obj);
typedef void cfg_elem_fn(struct cfg_ctx *ctx, const config_setting_t *elem,
    const char *value, void *obj);
typedef void cfg_init_fn(struct cfg_ctx *ctx, void *obj);
typedef void cfg_check_fn(struct cfg_ctx *ctx, const config_setting_t *group,
    void *obj);

/* A string value of an enumerated setting and what it stores. */
struct cfg_keyword {
	const char	*name;
	int		value;
};

/* A group { } in the file and the struct it fills. */
struct cfg_section {
	const char		*noun;		/* for messages: "pool" */
	const struct cfg_field	*fields;
	size_t			nfields;
	size_t			line;		/* offset of the int line */
	cfg_init_fn		*init;		/* sets the defaults */
	cfg_check_fn		*check;		/* rules across fields */
};

/*
 * A list ( { }, { } ) of sections stored in an array of struct config.
 * Named items start with char name[CONFIG_NAME_MAX].
 */
struct cfg_list {
	const char		*plural;	/* for messages: "pools" */
	const struct cfg_section *section;
	size_t			max;
	size_t			items;		/* offset of the array */
	size_t			count;		/* offset of its size_t count */
	size_t			item_size;
	bool			named;
};

/*
 * One setting of a section. min and max bound an integer, the length of
 * a string (min only) or the number of array entries (max only).
 */
struct cfg_field {
	const char		*key;
	int			type;		/* expected CONFIG_TYPE_* */
	cfg_parse_fn		*parse;
	size_t			offset;		/* destination member */
	size_t			size;		/* its size in bytes */
	long long		min;
	long long		max;
	const char		*unit;		/* for range messages */
	bool			required;
	const struct cfg_keyword *keywords;
	const struct cfg_list	*list;
	const struct cfg_section *section;
	cfg_elem_fn		*elem;		/* for each array entry */
	size_t			line_at;	/* offset + 1 of an int line */
};

#define CFG_AT(type, member) \
	.offset = offsetof(type, member), \
	.size = sizeof(((type *)0)->member)

/* The member that receives the setting's line, for messages. */
#define CFG_LINE(type, member) \
	.line_at = offsetof(type, member) + 1

static void	cfg_error(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void	cfg_section_parse(struct cfg_ctx *ctx,
		    const config_setting_t *group,
		    const struct cfg_section *section, void *obj);

/* Error reporting */

static void
cfg_report(struct cfg_ctx *ctx, const char *file, int line,
    const char *text)
{
	char message[PATH_MAX + CFG_MESSAGE_MAX + 16];
	char *p;

	if (line > 0)
		snprintf(message, sizeof(message), "%s:%d: %s", file, line,
		    text);
	else
		snprintf(message, sizeof(message), "%s: %s", file, text);

	/*
	 * Messages quote values, and libconfig decodes escapes such as \n
	 * in strings, so control characters become '?' to keep each error
	 * on one line.
	 */
	for (p = message; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';

	ctx->nerrors++;
	if (ctx->on_error != NULL)
		ctx->on_error(ctx->arg, message);
}

/*
 * Report an error at the file and line of setting s. A NULL s, or the
 * root group which has no line, gives "file: message".
 */
static void
cfg_error(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
    ...)
{
	char text[CFG_MESSAGE_MAX];
	const char *file = ctx->path;
	int line = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);

	if (s != NULL && config_setting_source_file(s) != NULL)
		file = config_setting_source_file(s);
	if (s != NULL)
		line = (int)config_setting_source_line(s);
	cfg_report(ctx, file, line, text);
}

/* Small helpers */

static void *
cfg_member(void *obj, size_t offset)
{
	return (char *)obj + offset;
}

static void
cfg_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static const struct cfg_keyword *
cfg_keyword_find(const struct cfg_keyword *table, const char *name)
{
	for (; name != NULL && table->name != NULL; table++) {
		if (strcmp(table->name, name) == 0)
			return table;
	}
	return NULL;
}

static const char *
cfg_keyword_name(const struct cfg_keyword *table, int value)
{
	for (; table->name != NULL; table++) {
		if (table->value == value)
			return table->name;
	}
	return "?";
}

/* Format the keywords as "\"a\", \"b\"" for an error message. */
static void
cfg_keyword_list(const struct cfg_keyword *table, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (; table->name != NULL && used < size; table++) {
		int n = snprintf(buf + used, size - used, "%s\"%s\"",
		    used > 0 ? ", " : "", table->name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static bool
cfg_name_valid(const char *name, size_t size)
{
	size_t len = strlen(name);

	if (len == 0 || len >= size)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	return strspn(name, CFG_NAME_CHARS) == len;
}

/*
 * Join dir and name into dst, unless name is already absolute. Returns 0
 * or -ENAMETOOLONG.
 */
static int
cfg_path_join(const char *dir, const char *name, char *dst, size_t size)
{
	size_t dirlen = strlen(dir);
	int n;

	if (name[0] == '/')
		n = snprintf(dst, size, "%s", name);
	else if (dirlen > 0 && dir[dirlen - 1] == '/')
		n = snprintf(dst, size, "%s%s", dir, name);
	else
		n = snprintf(dst, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* IPv4 addresses and networks, in host byte order */

static int
cfg_ipv4_parse(const char *text, uint32_t *address)
{
	struct in_addr in;

	if (inet_pton(AF_INET, text, &in) != 1)
		return -EINVAL;

	*address = ntohl(in.s_addr);
	return 0;
}

static void
cfg_ipv4_format(uint32_t address, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(address) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/*
 * Parse a unicast host address. 0.0.0.0/8, loopback 127.0.0.0/8 and
 * everything from 224.0.0.0 up (multicast, reserved, broadcast) fail.
 */
static int
cfg_host_address_parse(const char *text, uint32_t *address)
{
	uint32_t first_octet;

	if (cfg_ipv4_parse(text, address) < 0)
		return -EINVAL;

	first_octet = *address >> 24;
	if (first_octet == 0 || first_octet == 127 || first_octet >= 224)
		return -EINVAL;
	return 0;
}

static uint32_t
cfg_mask(int prefix)
{
	return prefix == 0 ? 0 : ~0u << (32 - prefix);
}

/* Split "a.b.c.d/len" into address and prefix. Returns 0 or -EINVAL. */
static int
cfg_network_parse(const char *text, uint32_t *address, int *prefix)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(text, '/');
	size_t addrlen;
	char *end;
	long len;

	if (slash == NULL || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;

	addrlen = (size_t)(slash - text);
	if (addrlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, addrlen);
	buf[addrlen] = '\0';

	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len > 32)
		return -EINVAL;

	*prefix = (int)len;
	return cfg_ipv4_parse(buf, address);
}

/*
 * Parse a network that must have no host bits set, reporting errors at
 * setting s. Returns 0 or -EINVAL.
 */
static int
cfg_network_check(struct cfg_ctx *ctx, const config_setting_t *s,
    const char *text, uint32_t *address, int *prefix)
{
	char net[INET_ADDRSTRLEN];

	if (cfg_network_parse(text, address, prefix) < 0) {
		cfg_error(ctx, s, "invalid network \"%s\"%s: use an IPv4 "
		    "network in CIDR notation such as \"198.19.0.0/24\"",
		    text, ctx->where);
		return -EINVAL;
	}

	if ((*address & ~cfg_mask(*prefix)) != 0) {
		cfg_ipv4_format(*address & cfg_mask(*prefix), net);
		cfg_error(ctx, s, "invalid network \"%s\"%s: the address has "
		    "host bits set, so write the network address \"%s/%d\"",
		    text, ctx->where, net, *prefix);
		return -EINVAL;
	}
	return 0;
}

/* Remove leading and trailing spaces in place. */
static char *
cfg_trim(char *text)
{
	size_t len;

	text += strspn(text, " \t");
	len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	return text;
}

/* Split "first-last" into two addresses. Returns 0 or -EINVAL. */
static int
cfg_range_parse(const char *text, uint32_t *first, uint32_t *last)
{
	char buf[2 * INET_ADDRSTRLEN + 16];
	char *dash;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	cfg_copy(buf, sizeof(buf), text);

	dash = strchr(buf, '-');
	if (dash == NULL)
		return -EINVAL;
	*dash = '\0';

	if (cfg_ipv4_parse(cfg_trim(buf), first) < 0 ||
	    cfg_ipv4_parse(cfg_trim(dash + 1), last) < 0)
		return -EINVAL;
	return 0;
}

/* Generic field parsers */

static void
cfg_int_range_error(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, long long value)
{
	const char *space = f->unit != NULL ? " " : "";
	const char *unit = f->unit != NULL ? f->unit : "";

	if (f->max == INT_MAX)
		cfg_error(ctx, s, "invalid %s %lld%s: use %lld or more%s%s",
		    f->key, value, ctx->where, f->min, space, unit);
	else
		cfg_error(ctx, s, "invalid %s %lld%s: use a value from %lld "
		    "to %lld%s%s", f->key, value, ctx->where, f->min, f->max,
		    space, unit);
}

/* Return the start of line number (from 1) of the file's text, or NULL. */
static const char *
cfg_text_line(const struct cfg_ctx *ctx, int number)
{
	const char *p = ctx->text, *end = ctx->text + ctx->text_len;

	while (p != NULL && p < end && --number > 0)
		if ((p = memchr(p, '\n', (size_t)(end - p))) != NULL)
			p++;
	return (p != NULL && p < end && number == 0 ? p : NULL);
}

/*
 * Read the integer written after "key =" or "key:" at p, which starts
 * the key, into *value and its digits into literal. Returns false when
 * no integer follows.
 */
static bool
cfg_int_literal(const char *p, const char *key, long long *value,
    char *literal, size_t len)
{
	const char *q = p + strlen(key);
	char *end;

	q += strspn(q, " \t");
	if (*q != '=' && *q != ':')
		return (false);
	q += 1 + strspn(q + 1, " \t\r\n");
	errno = 0;
	*value = strncasecmp(q, "0x", 2) == 0 ? strtoll(q, &end, 16) :
	    strtoll(q, &end, 10);
	if (end == q)
		return (false);
	if (errno == ERANGE)
		*value = LLONG_MAX;	/* matches no setting */
	snprintf(literal, len, "%.*s", (int)(end - q), q);
	return (true);
}

/*
 * Find an integer that libconfig cut: libconfig 1.5 keeps only the low 32
 * bits of one written without an L suffix, so 4294967739 would pass as
 * 443. Return whether the setting's line has its key with another value
 * than value, and copy that literal. A key may appear more than once on
 * a line, so any occurrence with value clears it.
 */
static bool
cfg_int_cut(const struct cfg_ctx *ctx, const config_setting_t *s,
    const char *key, long long value, char *literal, size_t len)
{
	const char *line = cfg_text_line(ctx,
	    (int)config_setting_source_line(s));
	const char *eol, *p;
	bool cut = false;
	long long written;

	if (line == NULL)
		return (false);
	eol = memchr(line, '\n', ctx->text_len - (size_t)(line -
	    ctx->text));
	for (p = line; (p = strstr(p, key)) != NULL &&
	    (eol == NULL || p < eol); p++) {
		if (p > line && strchr(" \t{(;,/", p[-1]) == NULL)
			continue;
		if (!cfg_int_literal(p, key, &written, literal, len))
			continue;
		if (written == value)
			return (false);
		cut = true;
	}
	return (cut);
}

static void
cfg_parse_int(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	long long value = config_setting_get_int64(s);
	char literal[32];

	if (cfg_int_cut(ctx, s, f->key, value, literal, sizeof(literal))) {
		cfg_error(ctx, s, "invalid %s %s%s: use a value from %lld to "
		    "%lld", f->key, literal, ctx->where, f->min, f->max);
		return;
	}
	if (value < f->min || value > f->max) {
		cfg_int_range_error(ctx, s, f, value);
		return;
	}

	if (f->size == sizeof(uint16_t))
		*(uint16_t *)cfg_member(obj, f->offset) = (uint16_t)value;
	else
		*(int *)cfg_member(obj, f->offset) = (int)value;
}

static void
cfg_parse_bool(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	(void)ctx;
	*(bool *)cfg_member(obj, f->offset) = config_setting_get_bool(s);
}

/* Check a string's length against f->min and the destination size. */
static int
cfg_string_check(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, const char *value)
{
	size_t len = strlen(value);

	if (len < (size_t)f->min) {
		cfg_error(ctx, s, "%s%s must not be empty", f->key,
		    ctx->where);
		return -EINVAL;
	}

	if (len >= f->size) {
		cfg_error(ctx, s, "%s%s is too long: %zu characters, the "
		    "maximum is %zu", f->key, ctx->where, len, f->size - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

static void
cfg_parse_string(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);

	if (cfg_string_check(ctx, s, f, value) == 0)
		cfg_copy(cfg_member(obj, f->offset), f->size, value);
}

/*
 * Store a file path made absolute against the configuration file's
 * folder. Returns 0, or -EINVAL after reporting an error.
 */
static int
cfg_path_store(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);
	char *dst = cfg_member(obj, f->offset);

	if (value[0] == '\0') {
		dst[0] = '\0';
		if (f->min == 0)
			return 0;
		cfg_error(ctx, s, "%s%s must not be empty", f->key,
		    ctx->where);
		return -EINVAL;
	}

	if (cfg_path_join(ctx->dir, value, dst, f->size) < 0) {
		cfg_error(ctx, s, "%s \"%s\"%s is too long once made "
		    "absolute: the maximum is %zu characters", f->key, value,
		    ctx->where, f->size - 1);
		return -EINVAL;
	}
	return 0;
}

static void
cfg_parse_path(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	cfg_path_store(ctx, s, f, obj);
}

/* Names of pools, policies, groups, the tun device and PAM services. */
static void
cfg_parse_name(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);

	if (!cfg_name_valid(value, f->size)) {
		cfg_error(ctx, s, "invalid %s \"%s\"%s: use 1 to %zu letters, "
		    "digits, dots, underscores or dashes", f->key, value,
		    ctx->where, f->size - 1);
		return;
	}
	cfg_copy(cfg_member(obj, f->offset), f->size, value);
}

/*
 * The tun device's name: a name as above, but not one of the names that
 * the kernel rejects for a tun device ("." and "..", "all", "default").
 */
static void
cfg_parse_ifname(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	static const char *const reserved[] = { ".", "..", "all", "default" };
	const char *value = config_setting_get_string(s);
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (strcmp(value, reserved[i]) != 0)
			continue;
		cfg_error(ctx, s, "invalid %s \"%s\"%s: the kernel rejects this "
		    "name for a device, so choose another, such as "
		    "\"headend0\"",
		    f->key, value, ctx->where);
		return;
	}
	cfg_parse_name(ctx, s, f, obj);
}

static void
cfg_parse_keyword(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);
	const struct cfg_keyword *kw = cfg_keyword_find(f->keywords, value);
	char choices[256];

	if (kw == NULL) {
		cfg_keyword_list(f->keywords, choices, sizeof(choices));
		cfg_error(ctx, s, "invalid %s \"%s\"%s: use one of %s",
		    f->key, value, ctx->where, choices);
		return;
	}
	*(int *)cfg_member(obj, f->offset) = kw->value;
}

/* A unicast IPv4 address stored as struct in_addr. */
static void
cfg_parse_host_address(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);
	struct in_addr *dst = cfg_member(obj, f->offset);
	uint32_t address;

	if (cfg_host_address_parse(value, &address) < 0) {
		cfg_error(ctx, s, "invalid %s \"%s\"%s: use a unicast IPv4 "
		    "address such as \"198.19.0.1\"", f->key, value,
		    ctx->where);
		return;
	}
	dst->s_addr = htonl(address);
}

/* A listening IPv4 address kept as text, "0.0.0.0" for all. */
static void
cfg_parse_listen_address(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);
	uint32_t address;

	if (cfg_ipv4_parse(value, &address) < 0) {
		cfg_error(ctx, s, "invalid %s \"%s\"%s: use an IPv4 address, "
		    "or \"0.0.0.0\" for all addresses", f->key, value,
		    ctx->where);
		return;
	}
	cfg_ipv4_format(address, cfg_member(obj, f->offset));
}

/* Pass each string of an array to f->elem, at most f->max of them. */
static void
cfg_parse_array(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	unsigned int n = (unsigned int)config_setting_length(s);
	unsigned int i;

	if (n > f->max)
		cfg_error(ctx, s, "too many %s%s: %u given, the maximum is "
		    "%lld", f->key, ctx->where, n, f->max);

	for (i = 0; i < n && i < f->max; i++) {
		const config_setting_t *elem = config_setting_get_elem(s, i);

		if (config_setting_type(elem) != CONFIG_TYPE_STRING) {
			cfg_error(ctx, elem, "each entry of %s%s must be a "
			    "string", f->key, ctx->where);
			continue;
		}
		f->elem(ctx, elem, config_setting_get_string(elem), obj);
	}
}

/* Lists of named sections */

static void *
cfg_list_item(struct config *cfg, const struct cfg_list *list, size_t i)
{
	return (char *)cfg + list->items + i * list->item_size;
}

static size_t *
cfg_list_count(struct config *cfg, const struct cfg_list *list)
{
	return cfg_member(cfg, list->count);
}

static int
cfg_list_line(struct config *cfg, const struct cfg_list *list, size_t i)
{
	return *(int *)cfg_member(cfg_list_item(cfg, list, i),
	    list->section->line);
}

/* Find a named item. Returns 0 and its index, or -ENOENT. */
static int
cfg_list_find(struct config *cfg, const struct cfg_list *list,
    const char *name, size_t *index)
{
	size_t i;

	for (i = 0; i < *cfg_list_count(cfg, list); i++) {
		if (strcmp(cfg_list_item(cfg, list, i), name) == 0) {
			*index = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Format the defined names as "\"a\", \"b\"" for an error message. */
static void
cfg_list_names(struct config *cfg, const struct cfg_list *list, char *buf,
    size_t size)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < *cfg_list_count(cfg, list) && used < size; i++) {
		const char *name = cfg_list_item(cfg, list, i);
		int n;

		if (name[0] == '\0')
			continue;
		n = snprintf(buf + used, size - used, "%s\"%s\"",
		    used > 0 ? ", " : "", name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* A reference by name to a pool or group-policy, stored as its index. */
static void
cfg_parse_ref(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *name = config_setting_get_string(s);
	char names[CFG_MESSAGE_MAX / 2];

	if (cfg_list_find(ctx->cfg, f->list, name,
	    cfg_member(obj, f->offset)) == 0)
		return;

	cfg_list_names(ctx->cfg, f->list, names, sizeof(names));
	if (names[0] == '\0')
		cfg_error(ctx, s, "unknown %s \"%s\"%s: no valid %s are "
		    "defined", f->key, name, ctx->where, f->list->plural);
	else
		cfg_error(ctx, s, "unknown %s \"%s\"%s: the %s defined are %s",
		    f->key, name, ctx->where, f->list->plural, names);
}

/* Name items "pool \"staff\"" in messages, or "pool 2" before a name. */
static void
cfg_where_set(struct cfg_ctx *ctx, const char *noun,
    const config_setting_t *group, unsigned int index)
{
	const char *name = NULL;

	config_setting_lookup_string(group, "name", &name);
	if (name != NULL && name[0] != '\0')
		snprintf(ctx->item, sizeof(ctx->item), "%s \"%.*s\"", noun,
		    CONFIG_NAME_MAX, name);
	else
		snprintf(ctx->item, sizeof(ctx->item), "%s %u", noun,
		    index + 1);
	snprintf(ctx->where, sizeof(ctx->where), " in %s", ctx->item);
}

static void
cfg_where_clear(struct cfg_ctx *ctx)
{
	ctx->item[0] = '\0';
	ctx->where[0] = '\0';
}

static void
cfg_group_parse(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct cfg_section *section, void *obj)
{
	*(int *)cfg_member(obj, section->line) =
	    (int)config_setting_source_line(group);
	if (section->init != NULL)
		section->init(ctx, obj);
	cfg_section_parse(ctx, group, section, obj);
}

static void
cfg_list_check_unique(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct cfg_list *list, const char *name)
{
	size_t count = *cfg_list_count(ctx->cfg, list);
	size_t i;

	if (name[0] == '\0')
		return;

	for (i = 0; i < count; i++) {
		if (strcmp(cfg_list_item(ctx->cfg, list, i), name) != 0)
			continue;
		cfg_error(ctx, config_setting_get_member(group, "name"),
		    "%s \"%s\" is already defined at line %d: give each %s "
		    "a name of its own", list->section->noun, name,
		    cfg_list_line(ctx->cfg, list, i), list->section->noun);
		return;
	}
}

static void
cfg_list_item_parse(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct cfg_list *list, const char *key, unsigned int index)
{
	size_t *count = cfg_list_count(ctx->cfg, list);
	void *item = cfg_list_item(ctx->cfg, list, *count);

	if (!config_setting_is_group(group)) {
		cfg_error(ctx, group, "entry %u of %s must be a group { }",
		    index + 1, key);
		return;
	}

	cfg_where_set(ctx, list->section->noun, group, index);
	cfg_group_parse(ctx, group, list->section, item);
	if (list->named)
		cfg_list_check_unique(ctx, group, list, item);
	(*count)++;
}

static void
cfg_parse_list(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const struct cfg_list *list = f->list;
	unsigned int n = (unsigned int)config_setting_length(s);
	unsigned int i;

	(void)obj;
	if (n == 0)
		cfg_error(ctx, s, "%s is empty: define at least one %s",
		    f->key, list->section->noun);
	if (n > list->max)
		cfg_error(ctx, s, "too many %s: %u given, the maximum is %zu",
		    f->key, n, list->max);

	for (i = 0; i < n && i < list->max; i++)
		cfg_list_item_parse(ctx, config_setting_get_elem(s, i), list,
		    f->key, i);
	cfg_where_clear(ctx);
}

/* A single group such as tun = { }. */
static void
cfg_parse_group(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	snprintf(ctx->item, sizeof(ctx->item), "%s", f->key);
	snprintf(ctx->where, sizeof(ctx->where), " in %s", f->key);
	cfg_group_parse(ctx, s, f->section, cfg_member(obj, f->offset));
	cfg_where_clear(ctx);
}

/* The section walker */

static const char *const cfg_type_names[] = {
	[CONFIG_TYPE_NONE] = "nothing",
	[CONFIG_TYPE_GROUP] = "a group { }",
	[CONFIG_TYPE_INT] = "an integer",
	[CONFIG_TYPE_INT64] = "an integer",
	[CONFIG_TYPE_FLOAT] = "a floating-point number",
	[CONFIG_TYPE_STRING] = "a string",
	[CONFIG_TYPE_BOOL] = "a boolean",
	[CONFIG_TYPE_ARRAY] = "an array [ ]",
	[CONFIG_TYPE_LIST] = "a list ( )",
};

static const char *
cfg_type_name(int type)
{
	if (type < 0 || (size_t)type >= sizeof(cfg_type_names) /
	    sizeof(cfg_type_names[0]))
		return "of unknown type";
	return cfg_type_names[type];
}

/* Integers may be 64-bit, and string arrays may use ( ) as well as [ ]. */
static bool
cfg_type_matches(int expected, const config_setting_t *s)
{
	int type = config_setting_type(s);

	if (expected == CONFIG_TYPE_INT)
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	if (expected == CONFIG_TYPE_ARRAY)
		return type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST;
	return type == expected;
}

static const struct cfg_field *
cfg_field_find(const struct cfg_section *section, const char *key)
{
	size_t i;

	for (i = 0; i < section->nfields; i++) {
		if (strcmp(section->fields[i].key, key) == 0)
			return &section->fields[i];
	}
	return NULL;
}

static void
cfg_section_check_keys(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct cfg_section *section)
{
	int n = config_setting_length(group);
	int i;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group,
		    (unsigned int)i);
		const char *key = config_setting_name(s);

		if (cfg_field_find(section, key) == NULL)
			cfg_error(ctx, s, "unknown setting \"%s\"%s", key,
			    ctx->where);
	}
}

static void
cfg_field_parse(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct cfg_field *f, void *obj)
{
	const config_setting_t *s = config_setting_get_member(group, f->key);

	if (f->line_at != 0)
		*(int *)cfg_member(obj, f->line_at - 1) = (int)
		    config_setting_source_line(s != NULL ? s : group);
	if (s == NULL) {
		if (f->required)
			cfg_error(ctx, group, "missing setting \"%s\"%s",
			    f->key, ctx->where);
		return;
	}

	if (!cfg_type_matches(f->type, s)) {
		cfg_error(ctx, s, "%s%s must be %s, not %s", f->key,
		    ctx->where, cfg_type_name(f->type),
		    cfg_type_name(config_setting_type(s)));
		return;
	}
	f->parse(ctx, s, f, obj);
}

static void
cfg_section_parse(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct cfg_section *section, void *obj)
{
	size_t i;

	cfg_section_check_keys(ctx, group, section);

	for (i = 0; i < section->nfields; i++)
		cfg_field_parse(ctx, group, &section->fields[i], obj);

	if (section->check != NULL)
		section->check(ctx, group, obj);
}

/* Listeners */

static const struct cfg_keyword cfg_tls_versions[] = {
	{ "1.0", TLS1_VERSION },
	{ "1.1", TLS1_1_VERSION },
	{ "1.2", TLS1_2_VERSION },
	{ "1.3", TLS1_3_VERSION },
	{ NULL, 0 },
};

static const struct cfg_keyword cfg_tls_profiles[] = {
	{ "default", TLS_PROFILE_DEFAULT },
	{ "phone", TLS_PROFILE_PHONE },
	{ NULL, 0 },
};

static void
cfg_listener_init(struct cfg_ctx *ctx, void *obj)
{
	struct config_listener *l = obj;

	(void)ctx;
	cfg_copy(l->address, sizeof(l->address), CFG_LISTEN_ADDRESS);
	l->tcp_port = CFG_PORT;
	l->udp_port = CFG_PORT;
	l->tls_min_version = TLS1_2_VERSION;
	l->tls_max_version = TLS1_3_VERSION;
	cfg_copy(l->tls12_ciphers, sizeof(l->tls12_ciphers),
	    CFG_TLS12_CIPHERS);
	cfg_copy(l->tls13_suites, sizeof(l->tls13_suites), CFG_TLS13_SUITES);
	l->link_mtu = CFG_LINK_MTU;
}

/* Two listeners clash when their addresses are equal or one is 0.0.0.0. */
static bool
cfg_listener_addresses_clash(const struct config_listener *a,
    const struct config_listener *b)
{
	return strcmp(a->address, b->address) == 0 ||
	    strcmp(a->address, CFG_LISTEN_ADDRESS) == 0 ||
	    strcmp(b->address, CFG_LISTEN_ADDRESS) == 0;
}

static void
cfg_listener_check_ports(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct config_listener *l)
{
	size_t n = ctx->cfg->nlisteners;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct config_listener *p = &ctx->cfg->listeners[i];
		const char *proto;

		if (!cfg_listener_addresses_clash(p, l))
			continue;
		if (p->tcp_port == l->tcp_port)
			proto = "TCP";
		else if (p->udp_port == l->udp_port)
			proto = "UDP";
		else
			continue;
		cfg_error(ctx, group, "listener %zu (%s) uses the same %s "
		    "port as listener %zu (%s) at line %d: give each "
		    "listener its own address or port", n + 1, l->address,
		    proto, i + 1, p->address, p->line);
	}
}

/* Apply the phone profile to the tls-* settings that the file leaves out. */
static void
cfg_listener_apply_profile(const config_setting_t *group,
    struct config_listener *l)
{
	if (l->tls_profile != TLS_PROFILE_PHONE)
		return;

	if (config_setting_get_member(group, "tls-min-version") == NULL)
		l->tls_min_version = TLS1_VERSION;
	if (config_setting_get_member(group, "tls-max-version") == NULL)
		l->tls_max_version = TLS1_2_VERSION;
	if (config_setting_get_member(group, "tls12-ciphers") == NULL)
		cfg_copy(l->tls12_ciphers, sizeof(l->tls12_ciphers),
		    CFG_PHONE_TLS12_CIPHERS);
}

static void
cfg_listener_check(struct cfg_ctx *ctx, const config_setting_t *group,
    void *obj)
{
	struct config_listener *l = obj;
	const config_setting_t *s;

	cfg_listener_apply_profile(group, l);

	if (l->tls_min_version > l->tls_max_version) {
		s = config_setting_get_member(group, "tls-min-version");
		cfg_error(ctx, s != NULL ? s : group, "tls-min-version "
		    "\"%s\" is above tls-max-version \"%s\"%s: raise "
		    "tls-max-version or lower tls-min-version",
		    cfg_keyword_name(cfg_tls_versions, l->tls_min_version),
		    cfg_keyword_name(cfg_tls_versions, l->tls_max_version),
		    ctx->where);
	}

	cfg_listener_check_ports(ctx, group, l);
}

#define L struct config_listener
static const struct cfg_field cfg_listener_fields[] = {
	{ .key = "address", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_listen_address, CFG_AT(L, address) },
	{ .key = "tcp-port", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(L, tcp_port), .min = 1, .max = 65535 },
	{ .key = "udp-port", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(L, udp_port), .min = 1, .max = 65535 },
	{ .key = "certificate", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_path, CFG_AT(L, certificate), .min = 1,
	  .required = true, CFG_LINE(L, certificate_line) },
	{ .key = "key", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_path,
	  CFG_AT(L, key), .min = 1, .required = true,
	  CFG_LINE(L, key_line) },
	{ .key = "chain", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_path,
	  CFG_AT(L, chain), CFG_LINE(L, chain_line) },
	{ .key = "next-certificate", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_path, CFG_AT(L, next_certificate), .min = 1 },
	{ .key = "tls-profile", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(L, tls_profile),
	  .keywords = cfg_tls_profiles },
	{ .key = "tls-min-version", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(L, tls_min_version),
	  .keywords = cfg_tls_versions, CFG_LINE(L, versions_line) },
	{ .key = "tls-max-version", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(L, tls_max_version),
	  .keywords = cfg_tls_versions },
	{ .key = "tls12-ciphers", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_string, CFG_AT(L, tls12_ciphers), .min = 1,
	  CFG_LINE(L, ciphers_line) },
	{ .key = "tls13-suites", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_string, CFG_AT(L, tls13_suites), .min = 1,
	  CFG_LINE(L, suites_line) },
	{ .key = "link-mtu", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(L, link_mtu), .min = CFG_MTU_MIN, .max = CFG_MTU_MAX,
	  .unit = "bytes" },
};
#undef L

static const struct cfg_section cfg_listener_section = {
	.noun = "listener",
	.fields = cfg_listener_fields,
	.nfields = sizeof(cfg_listener_fields) / sizeof(cfg_listener_fields[0]),
	.line = offsetof(struct config_listener, line),
	.init = cfg_listener_init,
	.check = cfg_listener_check,
};

static const struct cfg_list cfg_listener_list = {
	.plural = "listeners",
	.section = &cfg_listener_section,
	.max = CONFIG_MAX_LISTENERS,
	.items = offsetof(struct config, listeners),
	.count = offsetof(struct config, nlisteners),
	.item_size = sizeof(struct config_listener),
};

/* The tun device */

static void
cfg_tun_init(struct cfg_ctx *ctx, void *obj)
{
	struct config_tun *tun = obj;

	(void)ctx;
	cfg_copy(tun->name, sizeof(tun->name), CFG_TUN_NAME);
	tun->mtu = CFG_TUN_MTU;
}

#define T struct config_tun
static const struct cfg_field cfg_tun_fields[] = {
	{ .key = "name", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_ifname,
	  CFG_AT(T, name) },
	{ .key = "address", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_host_address, CFG_AT(T, address),
	  .required = true },
	{ .key = "mtu", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(T, mtu), .min = CFG_MTU_MIN, .max = CFG_MTU_MAX,
	  .unit = "bytes" },
};
#undef T

static const struct cfg_section cfg_tun_section = {
	.noun = "tun",
	.fields = cfg_tun_fields,
	.nfields = sizeof(cfg_tun_fields) / sizeof(cfg_tun_fields[0]),
	.line = offsetof(struct config_tun, line),
	.init = cfg_tun_init,
};

/* Address pools */

/* A pool whose network or range failed to parse has first > last. */
static bool
cfg_pool_valid(const struct config_pool *pool)
{
	return pool->first <= pool->last;
}

/* Every address the pool covers, network and broadcast included. */
static void
cfg_pool_span(const struct config_pool *pool, uint32_t *low, uint32_t *high)
{
	if (pool->prefix < 0) {
		*low = pool->first;
		*high = pool->last;
		return;
	}
	*low = pool->network;
	*high = pool->network | ~cfg_mask(pool->prefix);
}

static void
cfg_pool_format(const struct config_pool *pool, char *buf, size_t size)
{
	char first[INET_ADDRSTRLEN];
	char last[INET_ADDRSTRLEN];

	if (pool->prefix >= 0) {
		cfg_ipv4_format(pool->network, first);
		snprintf(buf, size, "%s/%d", first, pool->prefix);
		return;
	}
	cfg_ipv4_format(pool->first, first);
	cfg_ipv4_format(pool->last, last);
	snprintf(buf, size, "%s-%s", first, last);
}

static void
cfg_pool_init(struct cfg_ctx *ctx, void *obj)
{
	struct config_pool *pool = obj;

	(void)ctx;
	pool->prefix = -1;
	pool->first = 1;
	pool->last = 0;
}

/* An address block that no pool may reach into, because it is not unicast. */
struct cfg_block {
	uint32_t	network;	/* host order */
	int		prefix;
	const char	*name;
};

static const struct cfg_block cfg_nonunicast_blocks[] = {
	{ 0x00000000u, 8, "the block 0.0.0.0/8, which means this network" },
	{ 0x7f000000u, 8, "the loopback block 127.0.0.0/8" },
	{ 0xe0000000u, 4, "the multicast block 224.0.0.0/4" },
	{ 0xf0000000u, 4, "the reserved block 240.0.0.0/4, which holds the "
	  "broadcast address 255.255.255.255" },
};

/*
 * Clients cannot use an address outside unicast space as their own.
 * Testing the leasable addresses is enough: networks and blocks are both
 * aligned, so a network that touches a block also leases addresses in it.
 */
static int
cfg_pool_check_unicast(struct cfg_ctx *ctx, const config_setting_t *s,
    uint32_t first, uint32_t last)
{
	const struct cfg_block *b;
	uint32_t low, high;
	size_t i;

	for (i = 0; i < sizeof(cfg_nonunicast_blocks) /
	    sizeof(cfg_nonunicast_blocks[0]); i++) {
		b = &cfg_nonunicast_blocks[i];
		low = b->network;
		high = b->network | ~cfg_mask(b->prefix);
		if (last < low || first > high)
			continue;
		cfg_error(ctx, s, "invalid %s \"%s\"%s: it reaches into %s, "
		    "whose addresses cannot be leased to clients, so use "
		    "unicast addresses such as network = \"198.19.0.0/24\"",
		    config_setting_name(s), config_setting_get_string(s),
		    ctx->where, b->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Check a parsed first..last against unicast space and the pool code's
 * size limit.
 */
static int
cfg_pool_set_range(struct cfg_ctx *ctx, const config_setting_t *s,
    struct config_pool *pool, uint32_t first, uint32_t last)
{
	uint64_t size = (uint64_t)last - first + 1;

	if (cfg_pool_check_unicast(ctx, s, first, last) < 0)
		return -EINVAL;

	if (size > POOL_ADDRESSES_MAX) {
		cfg_error(ctx, s, "%s has %llu addresses, more than the "
		    "maximum of %u (a /12): use a smaller network or range",
		    ctx->item, (unsigned long long)size, POOL_ADDRESSES_MAX);
		return -E2BIG;
	}
	pool->first = first;
	pool->last = last;
	return 0;
}

/*
 * The network's own address and its broadcast address are not leased,
 * except in /31 and /32 networks where every address is a host (RFC 3021).
 */
static void
cfg_parse_pool_network(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	struct config_pool *pool = obj;
	uint32_t network, first, last;
	int prefix;

	(void)f;
	if (cfg_network_check(ctx, s, config_setting_get_string(s),
	    &network, &prefix) < 0)
		return;

	first = network;
	last = network | ~cfg_mask(prefix);
	if (prefix <= 30) {
		first++;
		last--;
	}

	if (cfg_pool_set_range(ctx, s, pool, first, last) < 0)
		return;

	pool->network = network;
	pool->prefix = prefix;
}

static void
cfg_parse_pool_range(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	struct config_pool *pool = obj;
	const char *text = config_setting_get_string(s);
	uint32_t first, last;

	(void)f;
	if (cfg_range_parse(text, &first, &last) < 0) {
		cfg_error(ctx, s, "invalid range \"%s\"%s: write two IPv4 "
		    "addresses such as \"198.19.1.10-198.19.1.50\"", text,
		    ctx->where);
		return;
	}

	if (first > last) {
		cfg_error(ctx, s, "invalid range \"%s\"%s: the first address "
		    "is above the last, so swap them", text, ctx->where);
		return;
	}
	cfg_pool_set_range(ctx, s, pool, first, last);
}

static bool
cfg_pool_excludes(const struct config_pool *pool, uint32_t address)
{
	size_t i;

	for (i = 0; i < pool->nexclude; i++) {
		if (pool->exclude[i] == address)
			return true;
	}
	return false;
}

/*
 * No bounds check is needed, because cfg_parse_array passes at most
 * CONFIG_MAX_EXCLUDES entries.
 */
static void
cfg_pool_exclude_add(struct cfg_ctx *ctx, const config_setting_t *elem,
    const char *value, void *obj)
{
	struct config_pool *pool = obj;
	char first[INET_ADDRSTRLEN];
	char last[INET_ADDRSTRLEN];
	uint32_t address;

	if (cfg_ipv4_parse(value, &address) < 0) {
		cfg_error(ctx, elem, "invalid excluded address \"%s\"%s: use "
		    "an IPv4 address such as \"198.19.0.10\"", value,
		    ctx->where);
		return;
	}

	if (cfg_pool_excludes(pool, address)) {
		cfg_error(ctx, elem, "excluded address %s is listed twice%s",
		    value, ctx->where);
		return;
	}

	if (cfg_pool_valid(pool) &&
	    (address < pool->first || address > pool->last)) {
		cfg_ipv4_format(pool->first, first);
		cfg_ipv4_format(pool->last, last);
		cfg_error(ctx, elem, "excluded address %s%s is not one of "
		    "the pool's leasable addresses %s-%s: remove it or fix "
		    "the pool", value, ctx->where, first, last);
		return;
	}
	pool->exclude[pool->nexclude++] = address;
}

static const config_setting_t *
cfg_pool_setting(const config_setting_t *group)
{
	const config_setting_t *s = config_setting_get_member(group,
	    "network");

	if (s == NULL)
		s = config_setting_get_member(group, "range");
	return s != NULL ? s : group;
}

static void
cfg_pool_check_overlap(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct config_pool *pool)
{
	char mine[2 * INET_ADDRSTRLEN + 4];
	char theirs[2 * INET_ADDRSTRLEN + 4];
	uint32_t low, high, other_low, other_high;
	size_t i;

	cfg_pool_span(pool, &low, &high);
	for (i = 0; i < ctx->cfg->npools; i++) {
		const struct config_pool *other = &ctx->cfg->pools[i];

		if (!cfg_pool_valid(other))
			continue;
		cfg_pool_span(other, &other_low, &other_high);
		if (high < other_low || low > other_high)
			continue;

		cfg_pool_format(pool, mine, sizeof(mine));
		cfg_pool_format(other, theirs, sizeof(theirs));
		cfg_error(ctx, cfg_pool_setting(group), "pool \"%s\" (%s) "
		    "overlaps pool \"%s\" (%s) at line %d: pools must not "
		    "share addresses", pool->name, mine, other->name, theirs,
		    other->line);
	}
}

/*
 * The pool code never leases an excluded address, so the headend's own
 * tun address is excluded here when it falls inside the pool.
 */
static void
cfg_pool_exclude_tun(struct cfg_ctx *ctx, const config_setting_t *group,
    struct config_pool *pool)
{
	uint32_t tun = ntohl(ctx->cfg->tun.address.s_addr);

	if (tun == 0 || tun < pool->first || tun > pool->last ||
	    cfg_pool_excludes(pool, tun))
		return;

	if (pool->nexclude == CONFIG_MAX_EXCLUDES) {
		cfg_error(ctx, cfg_pool_setting(group), "pool \"%s\" contains "
		    "the tun address, which headend must exclude, but it "
		    "already excludes the maximum of %d addresses: remove "
		    "one", pool->name, CONFIG_MAX_EXCLUDES);
		return;
	}
	pool->exclude[pool->nexclude++] = tun;
}

static void
cfg_pool_check(struct cfg_ctx *ctx, const config_setting_t *group,
    void *obj)
{
	struct config_pool *pool = obj;
	bool network = config_setting_get_member(group, "network") != NULL;
	bool range = config_setting_get_member(group, "range") != NULL;

	if (network && range) {
		cfg_error(ctx, group, "%s sets both network and range: keep "
		    "one of them", ctx->item);
		return;
	}

	if (!network && !range) {
		cfg_error(ctx, group, "%s has neither network nor range: add "
		    "one, e.g. network = \"198.19.0.0/24\"", ctx->item);
		return;
	}

	if (!cfg_pool_valid(pool))
		return;

	cfg_pool_check_overlap(ctx, group, pool);
	cfg_pool_exclude_tun(ctx, group, pool);
	if ((uint64_t)pool->last - pool->first + 1 == pool->nexclude)
		cfg_error(ctx, cfg_pool_setting(group), "%s has no address "
		    "left to lease: every address is excluded", ctx->item);
}

#define P struct config_pool
static const struct cfg_field cfg_pool_fields[] = {
	{ .key = "name", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_name,
	  CFG_AT(P, name), .required = true },
	{ .key = "network", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_pool_network },
	{ .key = "range", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_pool_range },
	{ .key = "exclude", .type = CONFIG_TYPE_ARRAY,
	  .parse = cfg_parse_array, .max = CONFIG_MAX_EXCLUDES,
	  .elem = cfg_pool_exclude_add },
};
#undef P

static const struct cfg_section cfg_pool_section = {
	.noun = "pool",
	.fields = cfg_pool_fields,
	.nfields = sizeof(cfg_pool_fields) / sizeof(cfg_pool_fields[0]),
	.line = offsetof(struct config_pool, line),
	.init = cfg_pool_init,
	.check = cfg_pool_check,
};

static const struct cfg_list cfg_pool_list = {
	.plural = "pools",
	.section = &cfg_pool_section,
	.max = CONFIG_MAX_POOLS,
	.items = offsetof(struct config, pools),
	.count = offsetof(struct config, npools),
	.item_size = sizeof(struct config_pool),
	.named = true,
};

/* Group policies */

static const struct cfg_keyword cfg_split_modes[] = {
	{ "tunnel-all", SPLIT_TUNNEL_ALL },
	{ "include", SPLIT_INCLUDE },
	{ "exclude", SPLIT_EXCLUDE },
	{ NULL, 0 },
};

static const struct cfg_keyword cfg_simultaneous_actions[] = {
	{ "logoff-oldest", SIMULTANEOUS_LOGOFF_OLDEST },
	{ "reject", SIMULTANEOUS_REJECT },
	{ NULL, 0 },
};

static void
cfg_policy_init(struct cfg_ctx *ctx, void *obj)
{
	struct config_policy *policy = obj;

	(void)ctx;
	policy->split = SPLIT_TUNNEL_ALL;
	policy->idle_timeout = CFG_IDLE_TIMEOUT;
	policy->session_timeout = CONFIG_TIMEOUT_NONE;
	policy->keepalive = CFG_KEEPALIVE;
	policy->dpd = CFG_DPD;
	policy->data_mtu = CFG_DATA_MTU;
	policy->simultaneous_logins = CFG_LOGINS;
	policy->simultaneous_action = SIMULTANEOUS_LOGOFF_OLDEST;
	policy->reconnect_window = CFG_RECONNECT_WINDOW;
	policy->rekey_time = CONFIG_TIMEOUT_NONE;
	policy->client_to_client = false;
	policy->dtls = true;
}

static void
cfg_policy_dns_add(struct cfg_ctx *ctx, const config_setting_t *elem,
    const char *value, void *obj)
{
	struct config_policy *policy = obj;
	uint32_t address;

	if (cfg_host_address_parse(value, &address) < 0) {
		cfg_error(ctx, elem, "invalid dns server \"%s\"%s: use a "
		    "unicast IPv4 address such as \"198.19.0.1\"", value,
		    ctx->where);
		return;
	}
	policy->dns[policy->ndns++].s_addr = htonl(address);
}

static void
cfg_policy_route_add(struct cfg_ctx *ctx, const config_setting_t *elem,
    const char *value, void *obj)
{
	struct config_policy *policy = obj;
	struct config_route *route = &policy->routes[policy->nroutes];

	if (cfg_network_check(ctx, elem, value, &route->network,
	    &route->prefix) == 0)
		policy->nroutes++;
}

/*
 * The domain goes to clients in the X-CSTP-Default-Domain header, so
 * only DNS name characters pass.
 */
static void
cfg_parse_domain(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);

	if (strspn(value, CFG_DOMAIN_CHARS) != strlen(value)) {
		cfg_error(ctx, s, "invalid %s \"%s\"%s: use a DNS domain name "
		    "such as \"example.net\"", f->key, value, ctx->where);
		return;
	}
	cfg_parse_string(ctx, s, f, obj);
}

static void
cfg_policy_check(struct cfg_ctx *ctx, const config_setting_t *group,
    void *obj)
{
	struct config_policy *policy = obj;
	const config_setting_t *split = config_setting_get_member(group,
	    "split-tunnel");
	const config_setting_t *routes = config_setting_get_member(group,
	    "routes");

	/* An invalid split-tunnel was already reported. */
	if (split != NULL && cfg_keyword_find(cfg_split_modes,
	    config_setting_get_string(split)) == NULL)
		return;

	if (policy->split == SPLIT_TUNNEL_ALL && routes != NULL)
		cfg_error(ctx, routes, "routes%s are only used with "
		    "split-tunnel \"include\" or \"exclude\": remove them or "
		    "change split-tunnel", ctx->where);
	else if (policy->split != SPLIT_TUNNEL_ALL &&
	    (routes == NULL || config_setting_length(routes) == 0))
		cfg_error(ctx, split, "split-tunnel \"%s\"%s needs routes: "
		    "list the networks, e.g. routes = [ \"198.18.1.0/24\" ]",
		    cfg_keyword_name(cfg_split_modes, (int)policy->split),
		    ctx->where);
}

#define G struct config_policy
static const struct cfg_field cfg_policy_fields[] = {
	{ .key = "name", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_name,
	  CFG_AT(G, name), .required = true },
	{ .key = "dns", .type = CONFIG_TYPE_ARRAY, .parse = cfg_parse_array,
	  .max = CONFIG_MAX_DNS, .elem = cfg_policy_dns_add },
	{ .key = "default-domain", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_domain, CFG_AT(G, default_domain) },
	{ .key = "split-tunnel", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(G, split),
	  .keywords = cfg_split_modes },
	{ .key = "routes", .type = CONFIG_TYPE_ARRAY, .parse = cfg_parse_array,
	  .max = CONFIG_MAX_ROUTES, .elem = cfg_policy_route_add },
	{ .key = "idle-timeout", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(G, idle_timeout), .min = 0,
	  .max = INT_MAX, .unit = "seconds" },
	{ .key = "session-timeout", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(G, session_timeout), .min = 0,
	  .max = INT_MAX, .unit = "seconds" },
	{ .key = "keepalive", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(G, keepalive), .min = 0, .max = CFG_TIMER_MAX,
	  .unit = "seconds" },
	{ .key = "dpd", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(G, dpd), .min = 0, .max = CFG_TIMER_MAX, .unit = "seconds" },
	{ .key = "data-mtu", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(G, data_mtu), .min = CFG_MTU_MIN, .max = CFG_MTU_MAX,
	  .unit = "bytes" },
	{ .key = "simultaneous-logins", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(G, simultaneous_logins), .min = 1,
	  .max = INT_MAX },
	{ .key = "simultaneous-login-action", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(G, simultaneous_action),
	  .keywords = cfg_simultaneous_actions },
	{ .key = "reconnect-window", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(G, reconnect_window), .min = 1,
	  .max = 86400, .unit = "seconds" },
	{ .key = "rekey-time", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(G, rekey_time), .min = 0,
	  .max = INT_MAX, .unit = "seconds" },
	{ .key = "client-to-client", .type = CONFIG_TYPE_BOOL,
	  .parse = cfg_parse_bool, CFG_AT(G, client_to_client) },
	{ .key = "dtls", .type = CONFIG_TYPE_BOOL, .parse = cfg_parse_bool,
	  CFG_AT(G, dtls) },
};
#undef G

static const struct cfg_section cfg_policy_section = {
	.noun = "group-policy",
	.fields = cfg_policy_fields,
	.nfields = sizeof(cfg_policy_fields) / sizeof(cfg_policy_fields[0]),
	.line = offsetof(struct config_policy, line),
	.init = cfg_policy_init,
	.check = cfg_policy_check,
};

static const struct cfg_list cfg_policy_list = {
	.plural = "group-policies",
	.section = &cfg_policy_section,
	.max = CONFIG_MAX_POLICIES,
	.items = offsetof(struct config, policies),
	.count = offsetof(struct config, npolicies),
	.item_size = sizeof(struct config_policy),
	.named = true,
};

/* Tunnel groups */

static const struct cfg_keyword cfg_auth_methods[] = {
	{ "password", AUTH_METHOD_PASSWORD },
	{ "certificate", AUTH_METHOD_CERTIFICATE },
	{ "both", AUTH_METHOD_BOTH },
	{ NULL, 0 },
};

static const struct cfg_keyword cfg_cert_user_fields[] = {
	{ "CN", CERT_USER_FIELD_CN },
	{ "UID", CERT_USER_FIELD_UID },
	{ "SAN-email", CERT_USER_FIELD_SAN_EMAIL },
	{ NULL, 0 },
};

static const struct cfg_keyword cfg_cert_user_rules[] = {
	{ "as-is", CERT_USER_RULE_AS_IS },
	{ "phone-name", CERT_USER_RULE_PHONE_NAME },
	{ NULL, 0 },
};

/* Settings that only certificate authentication uses. */
static const char *const cfg_cert_keys[] = {
	"ca-files",
	"crl-file",
	"cert-user-field",
	"cert-user-rule",
};

/* The names Cisco ASA gives its built-in default groups. */
static const char *const cfg_reserved_groups[] = {
	"DefaultWEBVPNGroup",
	"DefaultRAGroup",
	"DefaultL2LGroup",
};

static void
cfg_tgroup_init(struct cfg_ctx *ctx, void *obj)
{
	struct config_tgroup *tg = obj;

	tg->auth = AUTH_METHOD_PASSWORD;
	tg->backend = PASSWORD_USER_FILE;
	if (cfg_path_join(ctx->dir, CFG_USER_FILE, tg->user_file,
	    sizeof(tg->user_file)) < 0)
		cfg_error(ctx, NULL, "the default user-file path %s/%s is "
		    "too long", ctx->dir, CFG_USER_FILE);
}

static void
cfg_parse_tgroup_name(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *name = config_setting_get_string(s);
	size_t i;

	for (i = 0; i < sizeof(cfg_reserved_groups) /
	    sizeof(cfg_reserved_groups[0]); i++) {
		if (strcasecmp(name, cfg_reserved_groups[i]) != 0)
			continue;
		cfg_error(ctx, s, "tunnel-group \"%s\" is not allowed: "
		    "headend has no default group, so give the group a name "
		    "of its own and select it with group-urls", name);
		return;
	}
	cfg_parse_name(ctx, s, f, obj);
}

/*
 * Return why url cannot be a group-url, or NULL when it can. A URL whose
 * path is empty or "/" would catch every client that does not ask for a
 * group, which makes it the default group that headend does not have.
 */
static const char *
cfg_url_problem(const char *url, struct groupurl *parsed)
{
	if (strlen(url) >= CONFIG_URL_MAX)
		return "it is too long";
	if (strncasecmp(url, "https://", strlen("https://")) != 0)
		return "it does not start with https://";
	if (groupurl_parse(url, parsed) < 0)
		return "it is not a valid URL, so check its host, port and "
		    "path";
	if (strcmp(parsed->path, "/") == 0)
		return "it has no path after the host, so it would select "
		    "this group for every client";
	return NULL;
}

static void
cfg_url_report_duplicate(struct cfg_ctx *ctx, const config_setting_t *elem,
    const struct config_tgroup *other, bool same_group)
{
	const char *url = config_setting_get_string(elem);

	if (same_group)
		cfg_error(ctx, elem, "group-url \"%s\" is listed twice%s",
		    url, ctx->where);
	else
		cfg_error(ctx, elem, "group-url \"%s\"%s is already used by "
		    "tunnel-group \"%s\" at line %d: each group-url must "
		    "select one group", url, ctx->where, other->name,
		    other->line);
}

/* Report and return true when the URL already selects a group. */
static bool
cfg_url_is_duplicate(struct cfg_ctx *ctx, const config_setting_t *elem,
    const struct config_tgroup *tg, const struct groupurl *parsed)
{
	const struct config *cfg = ctx->cfg;
	struct groupurl other;
	size_t i, j;

	for (i = 0; i <= cfg->ntgroups; i++) {
		const struct config_tgroup *g = i < cfg->ntgroups ?
		    &cfg->tgroups[i] : tg;

		for (j = 0; j < g->nurls; j++) {
			if (groupurl_parse(g->urls[j], &other) < 0 ||
			    !groupurl_equal(parsed, &other))
				continue;
			cfg_url_report_duplicate(ctx, elem, g, g == tg);
			return true;
		}
	}
	return false;
}

/*
 * No bounds check is needed, because cfg_parse_array passes at most
 * CONFIG_MAX_URLS entries.
 */
static void
cfg_tgroup_url_add(struct cfg_ctx *ctx, const config_setting_t *elem,
    const char *value, void *obj)
{
	struct config_tgroup *tg = obj;
	struct groupurl parsed;
	const char *problem = cfg_url_problem(value, &parsed);

	if (problem != NULL) {
		cfg_error(ctx, elem, "invalid group-url \"%s\"%s: %s. Use a "
		    "full https URL with a host and a path such as "
		    CFG_URL_EXAMPLE, value, ctx->where, problem);
		return;
	}

	if (cfg_url_is_duplicate(ctx, elem, tg, &parsed))
		return;
	cfg_copy(tg->urls[tg->nurls++], CONFIG_URL_MAX, value);
}

/*
 * A CA file made absolute; cfg_parse_array passes at most
 * CONFIG_MAX_CA_FILES entries.
 */
static void
cfg_tgroup_ca_add(struct cfg_ctx *ctx, const config_setting_t *elem,
    const char *value, void *obj)
{
	struct config_tgroup *tg = obj;
	char *dst = tg->ca_files[tg->nca_files];

	if (value[0] == '\0') {
		cfg_error(ctx, elem, "an entry of ca-files%s is empty: give "
		    "the path of a PEM file of CA certificates", ctx->where);
		return;
	}

	if (cfg_path_join(ctx->dir, value, dst, PATH_MAX) < 0) {
		cfg_error(ctx, elem, "ca-files entry \"%s\"%s is too long once "
		    "made absolute: the maximum is %d characters", value,
		    ctx->where, PATH_MAX - 1);
		return;
	}
	tg->ca_file_lines[tg->nca_files] =
	    (int)config_setting_source_line(elem);
	tg->nca_files++;
}

static void
cfg_parse_pam_service(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	struct config_tgroup *tg = obj;

	tg->backend = PASSWORD_PAM;
	cfg_parse_name(ctx, s, f, obj);
}

/* Password groups take no certificate settings; the others need a CA. */
static void
cfg_tgroup_check_certs(struct cfg_ctx *ctx, const config_setting_t *group,
    const struct config_tgroup *tg)
{
	const config_setting_t *auth = config_setting_get_member(group,
	    "authentication");
	const config_setting_t *s;
	size_t i;

	/* An invalid authentication was already reported. */
	if (auth != NULL && cfg_keyword_find(cfg_auth_methods,
	    config_setting_get_string(auth)) == NULL)
		return;

	if (tg->auth == AUTH_METHOD_PASSWORD) {
		for (i = 0; i < sizeof(cfg_cert_keys) /
		    sizeof(cfg_cert_keys[0]); i++) {
			s = config_setting_get_member(group, cfg_cert_keys[i]);
			if (s != NULL)
				cfg_error(ctx, s, "%s%s is only used with "
				    "authentication \"certificate\" or "
				    "\"both\": remove it or change "
				    "authentication", cfg_cert_keys[i],
				    ctx->where);
		}
		return;
	}

	if (tg->nca_files == 0)
		cfg_error(ctx, auth, "authentication \"%s\"%s needs ca-files: "
		    "list the PEM files of the CAs that issue the client "
		    "certificates, e.g. ca-files = [ \"phone-ca.pem\" ]",
		    cfg_keyword_name(cfg_auth_methods, (int)tg->auth),
		    ctx->where);

	s = config_setting_get_member(group, "user-file");
	if (s == NULL)
		s = config_setting_get_member(group, "pam-service");
	if (tg->auth == AUTH_METHOD_CERTIFICATE && s != NULL)
		cfg_error(ctx, s, "%s%s is not used with authentication "
		    "\"certificate\", which checks no password: remove it or "
		    "use authentication \"both\"", config_setting_name(s),
		    ctx->where);
}

static void
cfg_tgroup_check(struct cfg_ctx *ctx, const config_setting_t *group,
    void *obj)
{
	const config_setting_t *urls = config_setting_get_member(group,
	    "group-urls");
	const config_setting_t *pam = config_setting_get_member(group,
	    "pam-service");

	cfg_tgroup_check_certs(ctx, group, obj);
	if (urls == NULL || config_setting_length(urls) == 0)
		cfg_error(ctx, urls != NULL ? urls : group, "no group-urls%s: "
		    "clients select a tunnel-group only by its group-urls, "
		    "so add one such as group-urls = [ " CFG_URL_EXAMPLE " ]",
		    ctx->where);

	if (pam != NULL && config_setting_get_member(group, "user-file"))
		cfg_error(ctx, pam, "both user-file and pam-service are "
		    "set%s: keep user-file to check passwords against a local "
		    "file, or pam-service to use PAM, not both", ctx->where);
}

/* Static addresses of a tunnel-group */

static void
cfg_parse_static_address(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *value = config_setting_get_string(s);

	if (cfg_host_address_parse(value, cfg_member(obj, f->offset)) < 0)
		cfg_error(ctx, s, "invalid static address \"%s\"%s: use a "
		    "unicast IPv4 address of the group's pool, such as "
		    "\"198.19.0.50\"", value, ctx->where);
}

#define S struct config_static_address
static const struct cfg_field cfg_static_fields[] = {
	{ .key = "user", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_string, CFG_AT(S, user), .min = 1,
	  .required = true },
	{ .key = "address", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_static_address, CFG_AT(S, address),
	  .required = true },
};
#undef S

static const struct cfg_section cfg_static_section = {
	.noun = "static address",
	.fields = cfg_static_fields,
	.nfields = sizeof(cfg_static_fields) / sizeof(cfg_static_fields[0]),
	.line = offsetof(struct config_static_address, line),
};

/* The address must be one that the pool could lease. */
static void
cfg_static_check_pool(struct cfg_ctx *ctx, const config_setting_t *elem,
    const struct config_static_address *st, size_t pool)
{
	const struct config_pool *p = &ctx->cfg->pools[pool];
	char addr[INET_ADDRSTRLEN], first[INET_ADDRSTRLEN];
	char last[INET_ADDRSTRLEN];

	if (!cfg_pool_valid(p))
		return;
	cfg_ipv4_format(st->address, addr);
	cfg_ipv4_format(p->first, first);
	cfg_ipv4_format(p->last, last);
	if (st->address < p->first || st->address > p->last)
		cfg_error(ctx, elem, "static address %s of user \"%s\"%s is "
		    "outside pool \"%s\", whose leasable addresses are %s-%s: "
		    "choose an address of the pool", addr, st->user,
		    ctx->where, p->name, first, last);
	else if (st->address == ntohl(ctx->cfg->tun.address.s_addr))
		cfg_error(ctx, elem, "static address %s of user \"%s\"%s is "
		    "the tun address, which headend uses itself: choose "
		    "another address", addr, st->user, ctx->where);
	else if (cfg_pool_excludes(p, st->address))
		cfg_error(ctx, elem, "static address %s of user \"%s\"%s is "
		    "excluded from pool \"%s\": remove it from the pool's "
		    "exclude list or choose another address", addr, st->user,
		    ctx->where, p->name);
}

/*
 * A user has one static address per tunnel-group, and an address belongs
 * to one user in its pool, even when several tunnel-groups share it.
 */
static void
cfg_static_check_unique(struct cfg_ctx *ctx, const config_setting_t *elem,
    const struct config_static_address *st, size_t pool)
{
	const struct config *cfg = ctx->cfg;
	const struct config_static_address *o;
	char addr[INET_ADDRSTRLEN];
	size_t i;

	cfg_ipv4_format(st->address, addr);
	for (i = 0; i < cfg->nstatic_addresses; i++) {
		o = &cfg->static_addresses[i];
		if (o->tgroup == st->tgroup && strcmp(o->user, st->user) == 0) {
			cfg_error(ctx, elem, "user \"%s\" has a second static "
			    "address%s: the first is at line %d, so keep one",
			    st->user, ctx->where, o->line);
			return;
		}
		if (o->address == st->address &&
		    cfg->tgroups[o->tgroup].pool == pool &&
		    strcmp(o->user, st->user) != 0) {
			cfg_error(ctx, elem, "static address %s of user "
			    "\"%s\"%s is already the static address of user "
			    "\"%s\" at line %d: give each user an address of "
			    "their own", addr, st->user, ctx->where, o->user,
			    o->line);
			return;
		}
	}
}

/*
 * Parse one { user = ...; address = ...; } entry. pool is NULL when the
 * group's pool is unknown, which was reported already.
 */
static void
cfg_static_add(struct cfg_ctx *ctx, const config_setting_t *elem,
    const size_t *pool, bool typed)
{
	struct config *cfg = ctx->cfg;
	struct config_static_address *st =
	    &cfg->static_addresses[cfg->nstatic_addresses];
	int errors = ctx->nerrors;

	memset(st, 0, sizeof(*st));
	/* The group being parsed becomes tgroups[ntgroups] when done. */
	st->tgroup = cfg->ntgroups;
	cfg_group_parse(ctx, elem, &cfg_static_section, st);
	if (ctx->nerrors == errors && typed && !userfile_name_valid(st->user))
		cfg_error(ctx, elem, "static address user \"%s\"%s cannot "
		    "log in with a password, since usernames may not contain "
		    "spaces, colons or control characters nor start with "
		    "'#': correct the name", st->user, ctx->where);
	if (ctx->nerrors != errors || pool == NULL)
		return;
	cfg_static_check_pool(ctx, elem, st, *pool);
	cfg_static_check_unique(ctx, elem, st, *pool);
	if (ctx->nerrors == errors)
		cfg->nstatic_addresses++;
}

/* Runs after the pool field, so the group's pool is resolved. */
static void
cfg_parse_static_addresses(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	unsigned int n = (unsigned int)config_setting_length(s);
	const struct config_tgroup *tg = obj;
	const char *name = NULL;
	size_t pool = 0;
	bool known;
	unsigned int i;

	(void)f;
	known = config_setting_lookup_string(config_setting_parent(s), "pool",
	    &name) && cfg_list_find(ctx->cfg, &cfg_pool_list, name,
	    &pool) == 0;
	for (i = 0; i < n; i++) {
		const config_setting_t *elem = config_setting_get_elem(s, i);

		if (!config_setting_is_group(elem)) {
			cfg_error(ctx, elem, "entry %u of static-addresses%s "
			    "must be a group such as { user = \"alice\"; "
			    "address = \"198.19.0.50\"; }", i + 1,
			    ctx->where);
			continue;
		}
		if (ctx->cfg->nstatic_addresses ==
		    CONFIG_MAX_STATIC_ADDRESSES) {
			cfg_error(ctx, elem, "too many static-addresses: the "
			    "maximum is %d in all tunnel-groups together",
			    CONFIG_MAX_STATIC_ADDRESSES);
			return;
		}
		cfg_static_add(ctx, elem, known ? &pool : NULL,
		    tg->auth == AUTH_METHOD_PASSWORD);
	}
}

#define R struct config_tgroup
static const struct cfg_field cfg_tgroup_fields[] = {
	{ .key = "name", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_tgroup_name, CFG_AT(R, name), .required = true },
	{ .key = "group-urls", .type = CONFIG_TYPE_ARRAY,
	  .parse = cfg_parse_array, .max = CONFIG_MAX_URLS,
	  .elem = cfg_tgroup_url_add },
	{ .key = "authentication", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(R, auth),
	  .keywords = cfg_auth_methods },
	{ .key = "user-file", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_path, CFG_AT(R, user_file), .min = 1,
	  CFG_LINE(R, user_file_line) },
	{ .key = "pam-service", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_pam_service, CFG_AT(R, pam_service),
	  CFG_LINE(R, pam_service_line) },
	{ .key = "ca-files", .type = CONFIG_TYPE_ARRAY,
	  .parse = cfg_parse_array, .max = CONFIG_MAX_CA_FILES,
	  .elem = cfg_tgroup_ca_add },
	{ .key = "crl-file", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_path, CFG_AT(R, crl_file), .min = 1,
	  CFG_LINE(R, crl_file_line) },
	{ .key = "cert-user-field", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(R, cert_user_field),
	  .keywords = cfg_cert_user_fields },
	{ .key = "cert-user-rule", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_keyword, CFG_AT(R, cert_user_rule),
	  .keywords = cfg_cert_user_rules },
	{ .key = "phone", .type = CONFIG_TYPE_BOOL, .parse = cfg_parse_bool,
	  CFG_AT(R, phone) },
	{ .key = "max-sessions", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(R, max_sessions), .min = 0,
	  .max = 10000000 },
	{ .key = "pool", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_ref,
	  CFG_AT(R, pool), .required = true, .list = &cfg_pool_list },
	{ .key = "group-policy", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_ref, CFG_AT(R, policy), .required = true,
	  .list = &cfg_policy_list },
	{ .key = "static-addresses", .type = CONFIG_TYPE_LIST,
	  .parse = cfg_parse_static_addresses },
};
#undef R

static const struct cfg_section cfg_tgroup_section = {
	.noun = "tunnel-group",
	.fields = cfg_tgroup_fields,
	.nfields = sizeof(cfg_tgroup_fields) / sizeof(cfg_tgroup_fields[0]),
	.line = offsetof(struct config_tgroup, line),
	.init = cfg_tgroup_init,
	.check = cfg_tgroup_check,
};

static const struct cfg_list cfg_tgroup_list = {
	.plural = "tunnel-groups",
	.section = &cfg_tgroup_section,
	.max = CONFIG_MAX_TGROUPS,
	.items = offsetof(struct config, tgroups),
	.count = offsetof(struct config, ntgroups),
	.item_size = sizeof(struct config_tgroup),
	.named = true,
};

/* The Prometheus metrics listener */

#define CFG_METRICS_ADDRESS	"127.0.0.1"

/* Runs only when the file has a metrics section, which turns it on. */
static void
cfg_metrics_init(struct cfg_ctx *ctx, void *obj)
{
	struct config_metrics *m = obj;

	(void)ctx;
	m->enabled = true;
	cfg_copy(m->address, sizeof(m->address), CFG_METRICS_ADDRESS);
}

/*
 * The unprivileged network process binds this port itself, so ports
 * below 1024 would fail at startup.
 */
#define M struct config_metrics
static const struct cfg_field cfg_metrics_fields[] = {
	{ .key = "address", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_listen_address, CFG_AT(M, address) },
	{ .key = "port", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(M, port), .min = 1024, .max = 65535, .required = true },
};
#undef M

static const struct cfg_section cfg_metrics_section = {
	.noun = "metrics",
	.fields = cfg_metrics_fields,
	.nfields = sizeof(cfg_metrics_fields) / sizeof(cfg_metrics_fields[0]),
	.line = offsetof(struct config_metrics, line),
	.init = cfg_metrics_init,
};

/* Limits and brute-force rules */

#define L struct config_limits
static const struct cfg_field cfg_limits_fields[] = {
	{ .key = "handshake-timeout", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, handshake_timeout), .min = 1,
	  .max = 300 },
	{ .key = "request-timeout", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, request_timeout), .min = 1,
	  .max = 300 },
	{ .key = "idle-timeout", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, idle_timeout), .min = 1,
	  .max = 3600 },
	{ .key = "connections-per-source", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, connections_per_source),
	  .min = 0, .max = 1000000 },
	{ .key = "max-connections", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, max_connections), .min = 0,
	  .max = 10000000 },
	{ .key = "logins-per-source", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, logins_per_source), .min = 0,
	  .max = 1000000 },
	{ .key = "max-sessions", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, max_sessions), .min = 0,
	  .max = 10000000 },
	{ .key = "ban-user-threshold", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, ban_user_threshold), .min = 0,
	  .max = 1000000 },
	{ .key = "ban-address-threshold", .type = CONFIG_TYPE_INT,
	  .parse = cfg_parse_int, CFG_AT(L, ban_address_threshold),
	  .min = 0, .max = 1000000 },
	{ .key = "ban-time", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(L, ban_time), .min = 1, .max = 86400 },
	{ .key = "ban-decay", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(L, ban_decay), .min = 0, .max = 86400 },
};
#undef L

static const struct cfg_section cfg_limits_section = {
	.noun = "limits",
	.fields = cfg_limits_fields,
	.nfields = sizeof(cfg_limits_fields) / sizeof(cfg_limits_fields[0]),
	.line = offsetof(struct config_limits, line),
};

/* Defaults of the limits section, which may be left out entirely. */
static void
cfg_limits_defaults(struct config_limits *l)
{
	l->handshake_timeout = 10;
	l->request_timeout = 10;
	l->idle_timeout = 30;
	/*
	 * A site's phones may all sit behind one NAT address and log in
	 * at once after a power cut, so the per-source shares are generous.
	 */
	l->connections_per_source = 256;
	l->logins_per_source = 256;

	/*
	 * A TLS handshake in progress takes about 44 KiB (measured with
	 * OpenSSL 3.0), so this keeps them under 1 GiB, with room for a
	 * storm of 10,000 phones.
	 */
	l->max_connections = 20000;
	l->max_sessions = 0;
	l->ban_user_threshold = 5;
	l->ban_address_threshold = 30;
	l->ban_time = 300;
	l->ban_decay = 60;
}

/* The top level */

/* The path must fit sockaddr_un.sun_path with its NUL. */
static void
cfg_parse_socket_path(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	const char *path = cfg_member(obj, f->offset);
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (cfg_path_store(ctx, s, f, obj) == 0 && strlen(path) > max)
		cfg_error(ctx, s, "%s \"%s\" is too long for a Unix socket: "
		    "the maximum is %zu characters", f->key, path, max);
}

/* The network process user, whose line headend -t names in errors. */
static void
cfg_parse_user(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_field *f, void *obj)
{
	struct config *cfg = obj;

	cfg_parse_string(ctx, s, f, obj);
	cfg->user_line = (int)config_setting_source_line(s);
}

static void
cfg_root_init(struct cfg_ctx *ctx, void *obj)
{
	struct config *cfg = obj;

	(void)ctx;
	cfg_copy(cfg->user, sizeof(cfg->user), CFG_USER);
	cfg_copy(cfg->status_socket, sizeof(cfg->status_socket),
	    CFG_STATUS_SOCKET);
	cfg_copy(cfg->state_file, sizeof(cfg->state_file), CFG_STATE_FILE);
	cfg_limits_defaults(&cfg->limits);
}

/* The tun section comes before pools, which exclude its address. */
#define C struct config
static const struct cfg_field cfg_root_fields[] = {
	{ .key = "user", .type = CONFIG_TYPE_STRING, .parse = cfg_parse_user,
	  CFG_AT(C, user), .min = 1 },
	{ .key = "status-socket", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_socket_path, CFG_AT(C, status_socket),
	  .min = 1 },
	{ .key = "workers", .type = CONFIG_TYPE_INT, .parse = cfg_parse_int,
	  CFG_AT(C, workers), .min = 0, .max = CONFIG_MAX_WORKERS },
	{ .key = "listeners", .type = CONFIG_TYPE_LIST,
	  .parse = cfg_parse_list, .required = true,
	  .list = &cfg_listener_list },
	{ .key = "tun", .type = CONFIG_TYPE_GROUP, .parse = cfg_parse_group,
	  CFG_AT(C, tun), .required = true, .section = &cfg_tun_section },
	{ .key = "pools", .type = CONFIG_TYPE_LIST, .parse = cfg_parse_list,
	  .required = true, .list = &cfg_pool_list },
	{ .key = "group-policies", .type = CONFIG_TYPE_LIST,
	  .parse = cfg_parse_list, .required = true,
	  .list = &cfg_policy_list },
	{ .key = "tunnel-groups", .type = CONFIG_TYPE_LIST,
	  .parse = cfg_parse_list, .required = true,
	  .list = &cfg_tgroup_list },
	{ .key = "metrics", .type = CONFIG_TYPE_GROUP,
	  .parse = cfg_parse_group, CFG_AT(C, metrics),
	  .section = &cfg_metrics_section },
	{ .key = "limits", .type = CONFIG_TYPE_GROUP,
	  .parse = cfg_parse_group, CFG_AT(C, limits),
	  .section = &cfg_limits_section },
	{ .key = "state-file", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_path, CFG_AT(C, state_file), .min = 1 },
	{ .key = "key-file", .type = CONFIG_TYPE_STRING,
	  .parse = cfg_parse_path, CFG_AT(C, key_file), .min = 1 },
	{ .key = "logoff-on-stop", .type = CONFIG_TYPE_BOOL,
	  .parse = cfg_parse_bool, CFG_AT(C, logoff_on_stop) },
};
#undef C

static const struct cfg_section cfg_root_section = {
	.noun = "configuration",
	.fields = cfg_root_fields,
	.nfields = sizeof(cfg_root_fields) / sizeof(cfg_root_fields[0]),
	.init = cfg_root_init,
};

_Static_assert(sizeof(enum split_tunnel) == sizeof(int) &&
    sizeof(enum auth_method) == sizeof(int) &&
    sizeof(enum tls_profile) == sizeof(int) &&
    sizeof(enum cert_user_field) == sizeof(int) &&
    sizeof(enum cert_user_rule) == sizeof(int) &&
    sizeof(enum simultaneous_action) == sizeof(int),
    "cfg_parse_keyword stores enum settings through an int pointer");
_Static_assert(offsetof(struct config_pool, name) == 0,
    "cfg_list_find reads a pool's name at offset 0");
_Static_assert(offsetof(struct config_policy, name) == 0,
    "cfg_list_find reads a policy's name at offset 0");
_Static_assert(offsetof(struct config_tgroup, name) == 0,
    "cfg_list_find reads a tunnel-group's name at offset 0");

/* Loading */

/*
 * Store the absolute path of the file in cfg->path and its folder in
 * ctx->dir, without resolving symbolic links, so relative paths in the
 * file stay relative to where the operator put it.
 */
static int
cfg_dir_init(struct cfg_ctx *ctx, const char *path)
{
	char cwd[PATH_MAX] = "";
	char *slash;

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return -errno;
	while (strncmp(path, "./", 2) == 0)
		path += 2;
	if (cfg_path_join(cwd, path, ctx->cfg->path,
	    sizeof(ctx->cfg->path)) < 0)
		return -ENAMETOOLONG;

	cfg_copy(ctx->dir, sizeof(ctx->dir), ctx->cfg->path);
	slash = strrchr(ctx->dir, '/');
	if (slash == ctx->dir)
		slash++;	/* keep "/" for a file in the root folder */
	*slash = '\0';
	return 0;
}

/*
 * Report each @include line of the file's text. libconfig would open the
 * named file itself, where regfile_open cannot check it, so a FIFO there
 * would block the parent, and libconfig 1.5 puts the configuration's
 * folder in front of absolute paths. headend reads one file instead.
 * Returns whether there was one.
 */
static bool
cfg_has_include(struct cfg_ctx *ctx)
{
	const char *line = ctx->text, *end = ctx->text + ctx->text_len;
	const char *p, *eol;
	int number = 0;
	bool found = false;

	for (; line < end; line = eol + 1) {
		number++;
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		p = line + strspn(line, " \t");
		if (end - p < 8 || strncmp(p, "@include", 8) != 0)
			continue;
		cfg_report(ctx, ctx->path, number, "@include is not "
		    "supported: headend reads one configuration file, so copy "
		    "the settings of the included file into this one");
		found = true;
	}
	return (found);
}

/*
 * Report a NUL byte in the file's text. libconfig keeps it inside a
 * string, where it would cut the value short without a word.
 */
static bool
cfg_has_nul(struct cfg_ctx *ctx)
{
	const char *nul = memchr(ctx->text, '\0', ctx->text_len), *p;
	int number = 1;

	if (nul == NULL)
		return (false);
	for (p = ctx->text; p < nul; p++)
		number += *p == '\n';
	cfg_report(ctx, ctx->path, number, "the line contains a NUL byte: "
	    "the configuration is text, so delete that byte");
	return (true);
}

/* libconfig's two terse messages, with what to look for at line. */
static const char *
cfg_syntax_text(const char *text, int line)
{
	if (text == NULL)
		return "unreadable file";
	if (strcmp(text, "syntax error") == 0 && line == 1)
		return "syntax error: look for a missing ';', quote or bracket "
		    "on this line, or for a byte order mark at the start of "
		    "the file";
	if (strcmp(text, "syntax error") == 0)
		return "syntax error: look for a missing ';', quote or bracket "
		    "on this line or the one before";
	if (strcmp(text, "duplicate setting name") == 0)
		return "duplicate setting name: a setting appears twice in "
		    "the same group, so delete one of them";
	return text;
}

#define CFG_TEXT_MAX	(4 * 1024 * 1024)	/* bytes of the file */

/*
 * Read the whole file into ctx->text, NUL-terminated, so that the checks
 * and libconfig parse the same bytes, even when the file changes during
 * the read. Returns 0 or -errno, with the error reported.
 */
static int
cfg_text_read(struct cfg_ctx *ctx, FILE *fp)
{
	char *text = malloc(CFG_TEXT_MAX + 1);
	size_t n;

	if (text == NULL) {
		cfg_error(ctx, NULL, "cannot read the configuration file: %s",
		    strerror(ENOMEM));
		return -ENOMEM;
	}
	n = fread(text, 1, CFG_TEXT_MAX + 1, fp);
	if (ferror(fp)) {
		free(text);
		cfg_error(ctx, NULL, "cannot read the configuration file: %s",
		    strerror(EIO));
		return -EIO;
	}
	if (n > CFG_TEXT_MAX) {
		free(text);
		cfg_error(ctx, NULL, "the configuration file is larger than "
		    "%d MiB: give the settings alone, without bulk data such "
		    "as certificates", CFG_TEXT_MAX / (1024 * 1024));
		return -EFBIG;
	}
	text[n] = '\0';
	ctx->text = text;
	ctx->text_len = n;
	return 0;
}

static int
cfg_file_read(struct cfg_ctx *ctx, config_t *lc)
{
	FILE *fp = regfile_fopen(ctx->path);
	const char *file;
	int err, rc;

	/* libconfig reports only "file I/O error", so find the cause. */
	if (fp == NULL) {
		err = errno;
		cfg_error(ctx, NULL, "cannot read the configuration file: %s",
		    regfile_strerror(err));
		return -err;
	}

	rc = cfg_text_read(ctx, fp);
	fclose(fp);
	if (rc != 0)
		return rc;
	if (cfg_has_nul(ctx) || cfg_has_include(ctx))
		return -EINVAL;

	if (config_read_string(lc, ctx->text) == CONFIG_TRUE)
		return 0;
	file = config_error_file(lc);
	cfg_report(ctx, file != NULL ? file : ctx->path,
	    config_error_line(lc), cfg_syntax_text(config_error_text(lc),
	    config_error_line(lc)));
	return -EINVAL;
}

static void
cfg_parse_file(struct cfg_ctx *ctx)
{
	config_t lc;
	int rc;

	rc = cfg_dir_init(ctx, ctx->path);
	if (rc < 0) {
		cfg_error(ctx, NULL, "cannot make the path absolute: %s",
		    strerror(-rc));
		return;
	}

	config_init(&lc);
	if (cfg_file_read(ctx, &lc) == 0) {
		cfg_root_init(ctx, ctx->cfg);
		cfg_section_parse(ctx, config_root_setting(&lc),
		    &cfg_root_section, ctx->cfg);
	}
	config_destroy(&lc);
	free(ctx->text);
	ctx->text = NULL;
}

int
config_load(const char *path, struct config **out,
    config_error_fn *on_error, void *arg)
{
	struct cfg_ctx ctx = {
		.path = path,
		.on_error = on_error,
		.arg = arg,
	};

	ctx.cfg = calloc(1, sizeof(*ctx.cfg));
	if (ctx.cfg == NULL) {
		cfg_error(&ctx, NULL, "cannot load the configuration: %s",
		    strerror(ENOMEM));
		return ctx.nerrors;
	}

	cfg_parse_file(&ctx);
	if (ctx.nerrors > 0) {
		free(ctx.cfg);
		return ctx.nerrors;
	}
	*out = ctx.cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	free(cfg);
}

size_t
config_worker_count(const struct config *cfg)
{
	long cpus;

	if (cfg->workers > 0)
		return (size_t)cfg->workers;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	if (cpus > CONFIG_MAX_WORKERS)
		return CONFIG_MAX_WORKERS;
	return (size_t)cpus;
}

/* Exclude the tun address from pool; returns the errors reported. */
static int
cfg_tun_exclude(const struct config *cfg, struct config_pool *pool,
    uint32_t tun, config_error_fn *on_error, void *arg)
{
	char msg[PATH_MAX + 256];

	if (tun < pool->first || tun > pool->last ||
	    cfg_pool_excludes(pool, tun))
		return (0);
	if (pool->nexclude < CONFIG_MAX_EXCLUDES) {
		pool->exclude[pool->nexclude++] = tun;
		return (0);
	}
	snprintf(msg, sizeof(msg), "%s:%d: pool \"%s\" contains the running "
	    "tun address, which headend must exclude, but it already "
	    "excludes the maximum of %d addresses: remove one", cfg->path,
	    pool->line, pool->name, CONFIG_MAX_EXCLUDES);
	on_error(arg, msg);
	return (1);
}

int
config_set_tun_address(struct config *cfg, struct in_addr address,
    config_error_fn *on_error, void *arg)
{
	uint32_t tun = ntohl(address.s_addr);
	char msg[PATH_MAX + 256], text[INET_ADDRSTRLEN];
	int errors = 0;
	size_t i;

	cfg->tun.address = address;
	for (i = 0; i < cfg->npools; i++)
		errors += cfg_tun_exclude(cfg, &cfg->pools[i], tun, on_error,
		    arg);
	cfg_ipv4_format(tun, text);
	for (i = 0; i < cfg->nstatic_addresses; i++) {
		if (cfg->static_addresses[i].address != tun)
			continue;
		snprintf(msg, sizeof(msg), "%s:%d: static address %s of user "
		    "\"%s\" is the running tun address, which headend uses "
		    "itself until a restart: choose another address",
		    cfg->path, cfg->static_addresses[i].line, text,
		    cfg->static_addresses[i].user);
		on_error(arg, msg);
		errors++;
	}
	return (errors);
}

const struct config_tgroup *
config_find_tgroup(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ntgroups; i++) {
		if (!cfg->tgroups[i].retired &&
		    strcmp(cfg->tgroups[i].name, name) == 0)
			return &cfg->tgroups[i];
	}
	return NULL;
}
