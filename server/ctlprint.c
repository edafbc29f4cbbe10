/* The output of headendctl declared in ctlprint.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctlprint.h"
#include "utf8.h"

#define CTLPRINT_CELL_MAX	256	/* bytes of one formatted value */
#define CTLPRINT_PATH_MAX	256	/* bytes of one dotted key path */
#define CTLPRINT_PATH_WIDTH	40	/* column of the values in a tree */

typedef void ctlprint_format_fn(json_object *v, char *buf, size_t size);

/* One column of a table: a dotted key path into each row. */
struct ctlprint_column {
	const char	*title;
	const char	*path;		/* "pool.used" */
	int		width;		/* in characters */
	bool		right;		/* align to the right */
	ctlprint_format_fn *format;	/* NULL prints the value as text */
};

#define CTLPRINT_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Write text with control characters replaced, padded to width. */
static void
ctlprint_cell(const char *text, int width, bool right)
{
	const unsigned char *p;
	int chars = 0;
	size_t n;

	/* Count characters, not bytes. A hidden byte shows as one '?'. */
	for (p = (const unsigned char *)text; *p != '\0'; p += n, chars++) {
		if ((n = utf8_shown_length(p)) == 0)
			n = 1;
	}
	if (right)
		printf("%*s", width > chars ? width - chars : 0, "");
	for (p = (const unsigned char *)text; *p != '\0'; p += n) {
		if ((n = utf8_shown_length(p)) > 0) {
			fwrite(p, 1, n, stdout);
		} else {
			putchar('?');
			n = 1;
		}
	}
	if (!right)
		printf("%*s", width > chars ? width - chars : 0, "");
}

void
ctlprint_escape(const char *text, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t used = 0, n;

	if (size == 0)
		return;
	while (*p != '\0') {
		n = utf8_shown_length(p);
		if (n == 0) {
			if (used + 4 >= size)
				break;
			used += (size_t)snprintf(out + used, size - used,
			    "\\x%02x", *p++);
			continue;
		}
		if (used + n >= size)
			break;
		memcpy(out + used, p, n);
		used += n;
		p += n;
	}
	out[used] = '\0';
}

/* The value as text: "-" for null or missing, strings unquoted. */
static void
ctlprint_format_text(json_object *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s", v == NULL ? "-" :
	    json_object_get_string(v));
}

static void
ctlprint_format_duration(json_object *v, char *buf, size_t size)
{
	long long s = v != NULL ? (long long)json_object_get_int64(v) : 0;

	if (v == NULL)
		snprintf(buf, size, "-");
	else if (s >= 86400)
		snprintf(buf, size, "%lldd%02lldh", s / 86400, s / 3600 % 24);
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", s / 3600,
		    s / 60 % 60, s % 60);
}

/* The strings of an array joined by commas. */
static void
ctlprint_format_list(json_object *v, char *buf, size_t size)
{
	size_t i, n, len;

	buf[0] = '\0';
	n = v != NULL && json_object_is_type(v, json_type_array) ?
	    json_object_array_length(v) : 0;
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i > 0 ? "," : "",
		    json_object_get_string(json_object_array_get_idx(v, i)));
	}
}

/* "yes" for true, empty otherwise: a flag that is mostly off. */
static void
ctlprint_format_flag(json_object *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s", v != NULL && json_object_is_type(v,
	    json_type_boolean) && json_object_get_boolean(v) ? "yes" : "");
}

static void
ctlprint_format_yes_no(json_object *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s", v == NULL ? "" :
	    json_object_get_boolean(v) ? "yes" : "no");
}

/* Follow a dotted path such as "pool.used"; return NULL when absent. */
static json_object *
ctlprint_lookup(json_object *o, const char *path)
{
	char copy[CTLPRINT_PATH_MAX], *key, *rest = copy;

	snprintf(copy, sizeof(copy), "%s", path);
	while ((key = strsep(&rest, ".")) != NULL) {
		if (o == NULL || !json_object_object_get_ex(o, key, &o))
			return (NULL);
	}
	return (o);
}

static void
ctlprint_table(json_object *rows, const struct ctlprint_column *cols,
    size_t ncols)
{
	char buf[CTLPRINT_CELL_MAX];
	json_object *row;
	size_t i, j, n;

	for (j = 0; j < ncols; j++) {
		ctlprint_cell(cols[j].title, cols[j].width, cols[j].right);
		putchar(j + 1 < ncols ? ' ' : '\n');
	}
	n = rows != NULL ? json_object_array_length(rows) : 0;
	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(rows, i);
		for (j = 0; j < ncols; j++) {
			(cols[j].format != NULL ? cols[j].format :
			    ctlprint_format_text)(ctlprint_lookup(row,
			    cols[j].path), buf, sizeof(buf));
			ctlprint_cell(buf, cols[j].width, cols[j].right);
			putchar(j + 1 < ncols ? ' ' : '\n');
		}
	}
}

static json_object *
ctlprint_member(json_object *root, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(root, key, &v);
	return (v);
}

void
ctlprint_sessions(json_object *root)
{
	static const struct ctlprint_column cols[] = {
		{ "ID", "id", 5, true, NULL },
		{ "USER", "user", 16, false, NULL },
		{ "GROUP", "group", 12, false, NULL },
		{ "ADDRESS", "address", 15, false, NULL },
		{ "PEER", "peer_tcp", 21, false, NULL },
		{ "CONN", "connected", 4, false, ctlprint_format_yes_no },
		{ "DTLS", "dtls_state", 5, false, NULL },
		{ "BYTES-IN", "bytes_in", 12, true, NULL },
		{ "BYTES-OUT", "bytes_out", 12, true, NULL },
		{ "DURATION", "duration", 9, true, ctlprint_format_duration },
	};
	json_object *list = ctlprint_member(root, "sessions");

	ctlprint_table(list, cols, CTLPRINT_LEN(cols));
	printf("%zu session(s)\n",
	    list != NULL ? json_object_array_length(list) : 0);
}

void
ctlprint_groups(json_object *root)
{
	static const struct ctlprint_column cols[] = {
		{ "GROUP", "name", 16, false, NULL },
		{ "SESSIONS", "sessions", 8, true, NULL },
		{ "POOL", "pool.name", 12, false, NULL },
		{ "USED", "pool.used", 7, true, NULL },
		{ "SIZE", "pool.size", 7, true, NULL },
		{ "AUTH", "authentication", 11, false, NULL },
		{ "RETIRED", "retired", 7, false, ctlprint_format_flag },
		{ "GROUP-URLS", "group_urls", 0, false,
		  ctlprint_format_list },
	};

	ctlprint_table(ctlprint_member(root, "groups"), cols,
	    CTLPRINT_LEN(cols));
}

void
ctlprint_pools(json_object *root)
{
	static const struct ctlprint_column cols[] = {
		{ "POOL", "name", 16, false, NULL },
		{ "FIRST", "first", 15, false, NULL },
		{ "LAST", "last", 15, false, NULL },
		{ "SIZE", "size", 8, true, NULL },
		{ "USED", "used", 8, true, NULL },
		{ "FREE", "free", 8, true, NULL },
		{ "STATIC", "static", 6, true, NULL },
		{ "RETIRED", "retired", 7, false, ctlprint_format_flag },
	};

	ctlprint_table(ctlprint_member(root, "pools"), cols,
	    CTLPRINT_LEN(cols));
}

void
ctlprint_bans(json_object *root)
{
	static const struct ctlprint_column cols[] = {
		{ "ADDRESS", "address", 15, false, NULL },
		{ "USER", "user", 16, false, NULL },
		{ "FAILURES", "failures", 8, true, NULL },
		{ "UNTIL", "until", 0, false, NULL },
	};
	json_object *total = ctlprint_member(root, "total");

	ctlprint_table(ctlprint_member(root, "bans"), cols,
	    CTLPRINT_LEN(cols));
	printf("%lld ban(s); USER \"-\" means that the whole address is "
	    "banned\n",
	    total != NULL ? (long long)json_object_get_int64(total) : 0);
}

static void ctlprint_node(json_object *v, char *path, size_t len);

static void
ctlprint_leaf(json_object *v, const char *path)
{
	char buf[CTLPRINT_CELL_MAX];

	ctlprint_format_text(v, buf, sizeof(buf));
	ctlprint_cell(path, CTLPRINT_PATH_WIDTH, false);
	putchar(' ');
	ctlprint_cell(buf, 0, false);
	putchar('\n');
}

/* Print the child v at path extended by suffix, then restore path. */
static void
ctlprint_child(json_object *v, char *path, size_t len, const char *suffix)
{
	snprintf(path + len, CTLPRINT_PATH_MAX - len, "%s", suffix);
	ctlprint_node(v, path, strlen(path));
	path[len] = '\0';
}

static void
ctlprint_node(json_object *v, char *path, size_t len)
{
	char suffix[CTLPRINT_PATH_MAX];
	size_t i;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child) {
			snprintf(suffix, sizeof(suffix), "%s%s",
			    len > 0 ? "." : "", key);
			ctlprint_child(child, path, len, suffix);
		}
	} else if (json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0) {
		for (i = 0; i < json_object_array_length(v); i++) {
			snprintf(suffix, sizeof(suffix), "[%zu]", i);
			ctlprint_child(json_object_array_get_idx(v, i), path,
			    len, suffix);
		}
	} else {
		ctlprint_leaf(v, path);
	}
}

void
ctlprint_tree(json_object *root)
{
	char path[CTLPRINT_PATH_MAX] = "";

	ctlprint_node(root, path, 0);
}

void
ctlprint_session(json_object *root)
{
	json_object *se = ctlprint_member(root, "session");

	ctlprint_tree(se != NULL ? se : root);
}

void
ctlprint_logoff(json_object *root)
{
	json_object *ids = ctlprint_member(root, "logged_off");
	char buf[CTLPRINT_CELL_MAX];

	ctlprint_format_list(ids, buf, sizeof(buf));
	printf("logged off %zu session(s): %s\n",
	    ids != NULL ? json_object_array_length(ids) : 0, buf);
}

void
ctlprint_reload(json_object *root)
{
	static const struct {
		const char	*state;
		const char	*text;
	} texts[] = {
		{ "applied", "reload applied: the configuration was re-read" },
		{ "rejected", "reload rejected: the file has errors, which the "
		  "headend log lists and \"headend -t -c FILE\" prints; the "
		  "running configuration stays" },
		{ "ignored", "reload ignored: another reload was still under "
		  "way; try again" },
		{ "failed", "reload failed: the network process did not take "
		  "the new configuration (see the headend log); the running "
		  "configuration stays" },
	};
	json_object *state = ctlprint_member(root, "reload");
	json_object *warnings = ctlprint_member(root, "warnings");
	json_object *config = ctlprint_member(root, "config");
	const char *path, *quote;
	const char *name = state != NULL ? json_object_get_string(state) : "";
	uint64_t n = warnings != NULL ? json_object_get_uint64(warnings) : 0;
	size_t i;

	if (strcmp(name, "rejected") == 0 && config != NULL) {
		path = json_object_get_string(config);
		quote = strpbrk(path, " \t") != NULL ? "'" : "";
		printf("reload rejected: the file has errors, which the "
		    "headend log lists and \"headend -t -c %s%s%s\" prints; "
		    "the running configuration stays\n", quote, path, quote);
		return;
	}
	if (strcmp(name, "applied") == 0 && n > 0) {
		printf("reload applied: the configuration was re-read, with "
		    "%" PRIu64 " warning(s) logged meanwhile, which the "
		    "headend log lists\n", n);
		return;
	}
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (strcmp(name, texts[i].state) == 0) {
			printf("%s\n", texts[i].text);
			return;
		}
	}
	printf("reload requested; no outcome came in time, so the headend "
	    "log shows whether the configuration was re-read\n");
}

void
ctlprint_shutdown(json_object *root)
{
	if (ctlprint_member(root, "logged_off") != NULL)
		ctlprint_logoff(root);
	printf("shutdown requested\n");
}

void
ctlprint_metrics(json_object *root)
{
	json_object *text = ctlprint_member(root, "text");

	if (text != NULL)
		fputs(json_object_get_string(text), stdout);
}

void
ctlprint_help(json_object *root)
{
	json_object *list = ctlprint_member(root, "commands"), *c;
	size_t i, n = list != NULL ? json_object_array_length(list) : 0;

	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(list, i);
		printf("%-60s %s\n",
		    json_object_get_string(ctlprint_member(c, "usage")),
		    json_object_get_string(ctlprint_member(c, "access")));
	}
}
