#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "xmlauth.h"

/* The element whose children are being read. */
enum xmlauth_scope {
	XMLAUTH_SCOPE_NONE,
	XMLAUTH_SCOPE_ROOT,	/* <config-auth> */
	XMLAUTH_SCOPE_AUTH,	/* <auth> */
	XMLAUTH_SCOPE_OPAQUE,	/* <opaque> */
};

/* Elements of interest, used as indexes into xmlauth_fields[] and as bit
 * numbers in xmlauth_ctx.seen. */
enum xmlauth_field_id {
	XMLAUTH_F_VERSION,
	XMLAUTH_F_DEVICE_ID,
	XMLAUTH_F_GROUP_ACCESS,
	XMLAUTH_F_GROUP_SELECT,
	XMLAUTH_F_SESSION_TOKEN,
	XMLAUTH_F_CLIENT_CERT_FAIL,
	XMLAUTH_F_AUTH,
	XMLAUTH_F_OPAQUE,
	XMLAUTH_F_USERNAME,
	XMLAUTH_F_PASSWORD,
	XMLAUTH_F_TUNNEL_GROUP,
	XMLAUTH_F_AGGAUTH_HANDLE,
	XMLAUTH_F_AUTH_SIG,
	XMLAUTH_F_COUNT,
	XMLAUTH_F_NONE = XMLAUTH_F_COUNT,
};

/*
 * An element of interest: where it may appear, the char array in struct
 * xmlauth_request that receives its text (size 0 for none), and the scope
 * its children are in (XMLAUTH_SCOPE_NONE for a leaf).
 */
struct xmlauth_field {
	enum xmlauth_scope parent;
	const char	*name;
	size_t		offset;
	size_t		size;
	enum xmlauth_scope opens;
};

#define XMLAUTH_TEXT(scope, element, member) { \
	.parent = (scope), \
	.name = (element), \
	.offset = offsetof(struct xmlauth_request, member), \
	.size = sizeof(((struct xmlauth_request *)NULL)->member), \
	.opens = XMLAUTH_SCOPE_NONE, \
}

static const struct xmlauth_field xmlauth_fields[XMLAUTH_F_COUNT] = {
	[XMLAUTH_F_VERSION] = XMLAUTH_TEXT(XMLAUTH_SCOPE_ROOT, "version",
	    version),
	[XMLAUTH_F_DEVICE_ID] = XMLAUTH_TEXT(XMLAUTH_SCOPE_ROOT, "device-id",
	    device_id),
	[XMLAUTH_F_GROUP_ACCESS] = XMLAUTH_TEXT(XMLAUTH_SCOPE_ROOT,
	    "group-access", group_access),
	[XMLAUTH_F_GROUP_SELECT] = XMLAUTH_TEXT(XMLAUTH_SCOPE_ROOT,
	    "group-select", group_select),
	[XMLAUTH_F_SESSION_TOKEN] = XMLAUTH_TEXT(XMLAUTH_SCOPE_ROOT,
	    "session-token", session_token),
	[XMLAUTH_F_CLIENT_CERT_FAIL] = {
		XMLAUTH_SCOPE_ROOT, "client-cert-fail", 0, 0,
		XMLAUTH_SCOPE_NONE,
	},
	[XMLAUTH_F_AUTH] = {
		XMLAUTH_SCOPE_ROOT, "auth", 0, 0, XMLAUTH_SCOPE_AUTH,
	},
	[XMLAUTH_F_OPAQUE] = {
		XMLAUTH_SCOPE_ROOT, "opaque", 0, 0, XMLAUTH_SCOPE_OPAQUE,
	},
	[XMLAUTH_F_USERNAME] = XMLAUTH_TEXT(XMLAUTH_SCOPE_AUTH, "username",
	    username),
	[XMLAUTH_F_PASSWORD] = XMLAUTH_TEXT(XMLAUTH_SCOPE_AUTH, "password",
	    password),
	[XMLAUTH_F_TUNNEL_GROUP] = XMLAUTH_TEXT(XMLAUTH_SCOPE_OPAQUE,
	    "tunnel-group", opaque_group),
	[XMLAUTH_F_AGGAUTH_HANDLE] = XMLAUTH_TEXT(XMLAUTH_SCOPE_OPAQUE,
	    "aggauth-handle", opaque_handle),
	[XMLAUTH_F_AUTH_SIG] = XMLAUTH_TEXT(XMLAUTH_SCOPE_OPAQUE, "auth-sig",
	    opaque_sig),
};

_Static_assert(XMLAUTH_F_COUNT <= 32, "xmlauth_ctx.seen has 32 bits");

struct xmlauth_ctx {
	XML_Parser	parser;
	struct xmlauth_request *req;
	char		*err;
	size_t		errlen;
	int		rc;		/* first error, 0 while none */
	int		depth;		/* of the innermost open element */
	/* Scope opened by the current child of <config-auth>. */
	enum xmlauth_scope section;
	uint32_t	seen;		/* bit per enum xmlauth_field_id */
	/* Element whose text is being read, or XMLAUTH_F_NONE. */
	enum xmlauth_field_id capture;
	int		capture_depth;
	size_t		capture_len;
};

static void
xmlauth_verror(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
xmlauth_verror(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
}

static void
xmlauth_set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
xmlauth_set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xmlauth_verror(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Record the first error and abort the parse. Expat may still deliver
 * callbacks after XML_StopParser, so every handler checks ctx->rc first.
 */
static void
xmlauth_fail(struct xmlauth_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
xmlauth_fail(struct xmlauth_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->rc != 0)
		return;

	ctx->rc = -EINVAL;
	va_start(ap, fmt);
	xmlauth_verror(ctx->err, ctx->errlen, fmt, ap);
	va_end(ap);
	XML_StopParser(ctx->parser, XML_FALSE);
}

static enum xmlauth_type
xmlauth_type_parse(const char *value)
{
	if (strcasecmp(value, "init") == 0)
		return XMLAUTH_INIT;
	if (strcasecmp(value, "auth-reply") == 0)
		return XMLAUTH_AUTH_REPLY;
	if (strcasecmp(value, "logout") == 0)
		return XMLAUTH_LOGOUT;
	return XMLAUTH_OTHER;
}

/* Check the root element and read its type attribute. */
static void
xmlauth_start_root(struct xmlauth_ctx *ctx, const XML_Char *name,
    const XML_Char **attrs)
{
	size_t i;

	if (strcasecmp(name, "config-auth") != 0) {
		xmlauth_fail(ctx, "root element is <%.64s>, expected "
		    "<config-auth>", name);
		return;
	}

	for (i = 0; attrs[i] != NULL; i += 2) {
		if (strcasecmp(attrs[i], "type") == 0) {
			ctx->req->type = xmlauth_type_parse(attrs[i + 1]);
			return;
		}
	}
	xmlauth_fail(ctx, "<config-auth> has no type attribute");
}

static enum xmlauth_field_id
xmlauth_field_find(enum xmlauth_scope parent, const XML_Char *name)
{
	size_t i;

	for (i = 0; i < XMLAUTH_F_COUNT; i++) {
		if (xmlauth_fields[i].parent == parent &&
		    strcasecmp(xmlauth_fields[i].name, name) == 0)
			return (enum xmlauth_field_id)i;
	}
	return XMLAUTH_F_NONE;
}

/* Scope of the element opening at ctx->depth, set by its parent. */
static enum xmlauth_scope
xmlauth_parent_scope(const struct xmlauth_ctx *ctx)
{
	if (ctx->depth == 2)
		return XMLAUTH_SCOPE_ROOT;
	if (ctx->depth == 3)
		return ctx->section;
	return XMLAUTH_SCOPE_NONE;
}

static void
xmlauth_start_field(struct xmlauth_ctx *ctx, const XML_Char *name)
{
	enum xmlauth_field_id id;
	const struct xmlauth_field *field;

	/* Children of any <config-auth> child but <auth> and <opaque> are
	 * in no scope, so their text is ignored. */
	id = xmlauth_field_find(xmlauth_parent_scope(ctx), name);
	if (ctx->depth == 2)
		ctx->section = XMLAUTH_SCOPE_NONE;
	if (id == XMLAUTH_F_NONE)
		return;

	if (ctx->seen & (1u << id)) {
		xmlauth_fail(ctx, "element <%s> appears more than once",
		    xmlauth_fields[id].name);
		return;
	}
	ctx->seen |= 1u << id;

	field = &xmlauth_fields[id];
	if (ctx->depth == 2)
		ctx->section = field->opens;
	if (field->size > 0) {
		ctx->capture = id;
		ctx->capture_depth = ctx->depth;
		ctx->capture_len = 0;
	}
}

static void XMLCALL
xmlauth_on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
	struct xmlauth_ctx *ctx = data;

	if (ctx->rc != 0)
		return;

	ctx->depth++;
	if (ctx->depth > XMLAUTH_DEPTH_MAX) {
		xmlauth_fail(ctx, "elements nested deeper than %d",
		    XMLAUTH_DEPTH_MAX);
		return;
	}

	if (ctx->depth == 1)
		xmlauth_start_root(ctx, name, attrs);
	else
		xmlauth_start_field(ctx, name);
}

static void XMLCALL
xmlauth_on_end(void *data, const XML_Char *name)
{
	struct xmlauth_ctx *ctx = data;

	(void)name;
	if (ctx->rc != 0)
		return;

	if (ctx->capture != XMLAUTH_F_NONE &&
	    ctx->depth == ctx->capture_depth)
		ctx->capture = XMLAUTH_F_NONE;
	ctx->depth--;
}

/* Return whether field is a credential that a person typed. */
static bool
xmlauth_credential(enum xmlauth_field_id field)
{
	return (field == XMLAUTH_F_USERNAME || field == XMLAUTH_F_PASSWORD);
}

/* Append text to the captured field. Expat may split one text node over
 * several calls, for example around an entity reference. */
static void XMLCALL
xmlauth_on_text(void *data, const XML_Char *text, int len)
{
	struct xmlauth_ctx *ctx = data;
	const struct xmlauth_field *field;
	char *value;

	if (ctx->rc != 0 || ctx->capture == XMLAUTH_F_NONE ||
	    ctx->depth != ctx->capture_depth)
		return;

	field = &xmlauth_fields[ctx->capture];
	value = (char *)ctx->req + field->offset;
	if ((size_t)len >= field->size - ctx->capture_len &&
	    xmlauth_credential(ctx->capture)) {
		/* The login form, not a 400, gives the user the reason. */
		ctx->req->credential_too_long = true;
		ctx->capture_len = field->size;
		value[0] = '\0';
		return;
	}
	if ((size_t)len >= field->size - ctx->capture_len) {
		xmlauth_fail(ctx, "<%s> is longer than %zu bytes",
		    field->name, field->size - 1);
		return;
	}

	memcpy(value + ctx->capture_len, text, (size_t)len);
	ctx->capture_len += (size_t)len;
	value[ctx->capture_len] = '\0';
}

static void XMLCALL
xmlauth_on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	xmlauth_fail(data, "DOCTYPE declarations are not allowed");
}

/* A second guard for entity declarations that expat may still report
 * after the DOCTYPE handler stopped the parser. */
static void XMLCALL
xmlauth_on_entity(void *data, const XML_Char *name, int is_parameter,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name;
	(void)is_parameter;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	xmlauth_fail(data, "entity declarations are not allowed");
}

static void
xmlauth_set_flags(struct xmlauth_request *req, uint32_t seen)
{
	req->has_username = seen & (1u << XMLAUTH_F_USERNAME);
	req->has_password = seen & (1u << XMLAUTH_F_PASSWORD);
	req->client_cert_fail = seen & (1u << XMLAUTH_F_CLIENT_CERT_FAIL);
}

static int
xmlauth_run(struct xmlauth_ctx *ctx, const void *body, size_t len)
{
	XML_Parser parser = ctx->parser;
	enum XML_Error code;

	XML_SetUserData(parser, ctx);
	XML_SetElementHandler(parser, xmlauth_on_start, xmlauth_on_end);
	XML_SetCharacterDataHandler(parser, xmlauth_on_text);
	XML_SetStartDoctypeDeclHandler(parser, xmlauth_on_doctype);
	XML_SetEntityDeclHandler(parser, xmlauth_on_entity);

	if (XML_Parse(parser, body, (int)len, XML_TRUE) == XML_STATUS_OK)
		return 0;
	if (ctx->rc != 0)
		return ctx->rc;

	code = XML_GetErrorCode(parser);
	if (code == XML_ERROR_NO_MEMORY)
		return -ENOMEM;

	xmlauth_set_error(ctx->err, ctx->errlen, "invalid XML at line %lu: %s",
	    (unsigned long)XML_GetCurrentLineNumber(parser),
	    XML_ErrorString(code));
	return -EINVAL;
}

int
xmlauth_parse(const void *body, size_t len, struct xmlauth_request *req,
    char *err, size_t errlen)
{
	struct xmlauth_ctx ctx = {
		.req = req,
		.err = err,
		.errlen = errlen,
		.capture = XMLAUTH_F_NONE,
	};
	int rc;

	memset(req, 0, sizeof(*req));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > XMLAUTH_BODY_MAX) {
		xmlauth_set_error(err, errlen, "XML body of %zu bytes exceeds "
		    "the maximum of %d", len, XMLAUTH_BODY_MAX);
		return -EINVAL;
	}

	ctx.parser = XML_ParserCreate(NULL);
	if (ctx.parser == NULL) {
		xmlauth_set_error(err, errlen, "cannot create XML parser");
		return -ENOMEM;
	}

	rc = xmlauth_run(&ctx, body, len);
	XML_ParserFree(ctx.parser);
	if (rc == 0)
		xmlauth_set_flags(req, ctx.seen);
	return rc;
}

static const char *
xml_escape_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&apos;";
	default:
		return NULL;
	}
}

char *
xml_escape(const char *text)
{
	const char *p, *entity;
	size_t len = 1;
	char *out, *o;

	for (p = text; *p != '\0'; p++) {
		entity = xml_escape_entity(*p);
		len += entity != NULL ? strlen(entity) : 1;
	}

	out = malloc(len);
	if (out == NULL)
		return NULL;

	o = out;
	for (p = text; *p != '\0'; p++) {
		entity = xml_escape_entity(*p);
		if (entity == NULL) {
			*o++ = *p;
			continue;
		}
		memcpy(o, entity, strlen(entity));
		o += strlen(entity);
	}
	*o = '\0';
	return out;
}
