/*
 * The AnyConnect "aggregate auth" XML that clients POST: a <config-auth>
 * document whose type attribute is "init", "auth-reply" or "logout".
 *
 * Element and attribute names and the type value are matched without
 * regard to case, because some clients send <Username> and the like.
 * Values are taken only where the protocol puts them: username and
 * password only as children of <auth>, tunnel-group, aggauth-handle and
 * auth-sig only as children of <opaque>, and the rest only as children
 * of <config-auth>. Elsewhere they are ignored, like unknown elements.
 * Values are stored exactly as sent, with entities decoded by expat and
 * without trimming whitespace.
 */
#ifndef HEADEND_XMLAUTH_H
#define HEADEND_XMLAUTH_H

#include <stdbool.h>
#include <stddef.h>

#define XMLAUTH_BODY_MAX	65536	/* bytes of XML accepted */
#define XMLAUTH_DEPTH_MAX	32	/* element nesting, root included */

enum xmlauth_type {
	XMLAUTH_INIT,
	XMLAUTH_AUTH_REPLY,
	XMLAUTH_LOGOUT,
	XMLAUTH_OTHER,
};

/* A parsed request. String fields are "" when their element is absent. */
struct xmlauth_request {
	enum xmlauth_type type;
	char	group_access[512];	/* URL the client connected to */
	char	group_select[64];	/* tunnel-group the user picked */
	char	opaque_group[64];	/* <opaque><tunnel-group> */
	char	opaque_handle[128];	/* <opaque><aggauth-handle> */
	char	opaque_sig[128];	/* <opaque><auth-sig> */
	char	username[128];		/* <auth><username> */
	bool	has_username;
	char	password[256];		/* <auth><password> */
	bool	has_password;
	bool	credential_too_long;	/* either was longer, and is "" */
	char	version[128];		/* client version string */
	char	device_id[64];
	char	session_token[256];	/* logout requests */
	bool	client_cert_fail;	/* <client-cert-fail/> present */
};

/*
 * Parse the len bytes of XML at body into *req, which is cleared first.
 * Returns 0, -ENOMEM when expat cannot allocate, or -EINVAL for:
 *  - a body over XMLAUTH_BODY_MAX bytes or XML that is not well-formed,
 *  - a DOCTYPE, because it could declare entities that expand without
 *    bound,
 *  - nesting deeper than XMLAUTH_DEPTH_MAX,
 *  - a root element other than config-auth, or one without a type,
 *  - a value longer than its field, which is never truncated, except
 *    that a username or password that is too long sets
 *    credential_too_long and is left empty, for a form with the reason,
 *  - an element that appears twice where one is expected.
 * On error err (errlen bytes, may be NULL) gets a NUL-terminated reason.
 * The reason names the element but never contains a value.
 */
int
xmlauth_parse(const void *body, size_t len, struct xmlauth_request *req,
    char *err, size_t errlen);

/*
 * Escape text for use in XML element content or attribute values: & < >
 * " and ' become entity references. Returns a string to free(3), or NULL
 * with errno set to ENOMEM.
 */
char *
xml_escape(const char *text);

#endif
