/*
 * Fuzz the aggregate-auth XML parser. Besides memory errors it checks
 * that every field is NUL-terminated, that an error comes with a reason,
 * and that a username and password parsed from the input survive
 * xml_escape and a second parse unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "xmlauth.h"

#define FUZZ_FIELD_OK(field)	(strnlen(field, sizeof(field)) < sizeof(field))

static void
fuzz_check_fields(const struct xmlauth_request *req)
{
	FUZZ_CHECK(FUZZ_FIELD_OK(req->group_access));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->group_select));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->opaque_group));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->opaque_handle));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->opaque_sig));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->username));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->password));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->version));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->device_id));
	FUZZ_CHECK(FUZZ_FIELD_OK(req->session_token));
}

/*
 * Put the credentials into a fresh auth-reply and parse it again. Values
 * with CR are skipped: xml_escape keeps CR as it is, and XML parsers turn
 * a literal CR into LF.
 */
static void
fuzz_round_trip(const struct xmlauth_request *req)
{
	static struct xmlauth_request again;
	char *user, *password, body[4096];
	int len;

	if (strchr(req->username, '\r') != NULL ||
	    strchr(req->password, '\r') != NULL)
		return;
	user = xml_escape(req->username);
	password = xml_escape(req->password);
	if (user == NULL || password == NULL)
		abort();
	len = snprintf(body, sizeof(body), "<config-auth type=\"auth-reply\">"
	    "<auth><username>%s</username><password>%s</password></auth>"
	    "</config-auth>", user, password);
	FUZZ_CHECK(len > 0 && (size_t)len < sizeof(body));
	FUZZ_CHECK(xmlauth_parse(body, (size_t)len, &again, NULL, 0) == 0);
	FUZZ_CHECK(strcmp(again.username, req->username) == 0);
	FUZZ_CHECK(strcmp(again.password, req->password) == 0);
	free(user);
	free(password);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xmlauth_request req;
	char err[128];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = xmlauth_parse(data, size, &req, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == -EINVAL)
		FUZZ_CHECK(err[0] != '\0' && FUZZ_FIELD_OK(err));
	if (rc != 0)
		return (0);
	fuzz_check_fields(&req);
	FUZZ_CHECK(req.has_username || req.username[0] == '\0');
	FUZZ_CHECK(req.has_password || req.password[0] == '\0');
	fuzz_round_trip(&req);
	return (0);
}
