/*
 * Fuzz the decoders of the messages between the processes. authd reads
 * requests from the network process, which a compromised network process
 * controls, so a decoded request must hold NUL-terminated strings of the
 * declared sizes. The fields of a decoded message must also be accepted
 * by the encoder and decode again.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "ipc.h"

static void
fuzz_check_request(const uint8_t *data, size_t size)
{
	struct ipc_auth_request req, again;

	if (ipc_auth_request_decode(data, size, &req) != 0)
		return;
	FUZZ_CHECK(size == sizeof(req));
	FUZZ_CHECK(req.hdr.type == IPC_AUTH_REQUEST);
	FUZZ_CHECK(strnlen(req.group, sizeof(req.group)) < sizeof(req.group));
	FUZZ_CHECK(strnlen(req.user, sizeof(req.user)) < sizeof(req.user));
	FUZZ_CHECK(strnlen(req.password, sizeof(req.password)) <
	    sizeof(req.password));
	FUZZ_CHECK(ipc_auth_request_init(&again, req.id, req.group,
	    req.user, req.password) == 0);
	FUZZ_CHECK(ipc_auth_request_decode(&again, sizeof(again), &req) == 0);
}

static void
fuzz_check_reply(const uint8_t *data, size_t size)
{
	struct ipc_auth_reply rep, again;

	if (ipc_auth_reply_decode(data, size, &rep) != 0)
		return;
	FUZZ_CHECK(size == sizeof(rep));
	FUZZ_CHECK(rep.hdr.type == IPC_AUTH_REPLY);
	FUZZ_CHECK(rep.result == IPC_AUTH_OK || rep.result ==
	    IPC_AUTH_DENIED || rep.result == IPC_AUTH_ERROR);
	FUZZ_CHECK(strnlen(rep.message, sizeof(rep.message)) <
	    sizeof(rep.message));
	FUZZ_CHECK(ipc_auth_reply_init(&again, rep.id, rep.result,
	    rep.message) == 0);
}

static void
fuzz_check_parent_request(const uint8_t *data, size_t size)
{
	struct ipc_parent_request req;

	if (ipc_parent_request_decode(data, size, &req) != 0)
		return;
	FUZZ_CHECK(size == sizeof(req));
	FUZZ_CHECK(req.hdr.type == IPC_RELOAD_REQUEST ||
	    req.hdr.type == IPC_SHUTDOWN_REQUEST ||
	    req.hdr.type == IPC_SHUTDOWN_LOGOFF_REQUEST);
}

/* The parent keeps what a ban report decodes to and hands it on. */
static void
fuzz_check_ban(const uint8_t *data, size_t size)
{
	struct ipc_ban ban, again;

	if (ipc_ban_decode(data, size, &ban) != 0)
		return;
	FUZZ_CHECK(size == sizeof(ban));
	FUZZ_CHECK(ban.address[0] != '\0' && ban.until >= 0);
	FUZZ_CHECK(ipc_ban_init(&again, ban.address, ban.user,
	    ban.until) == 0);
	FUZZ_CHECK(ipc_ban_decode(&again, sizeof(again), &ban) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int type;

	type = ipc_message_type(data, size);
	FUZZ_CHECK(type >= 0 || type == -EBADMSG);
	fuzz_check_request(data, size);
	fuzz_check_reply(data, size);
	fuzz_check_parent_request(data, size);
	fuzz_check_ban(data, size);
	return (0);
}
