/* Encoding, checking and transport of the messages declared in ipc.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "ipc.h"

/* Room for the control message that carries one descriptor. */
union ipc_control {
	struct cmsghdr	align;
	char		buf[CMSG_SPACE(sizeof(int))];
};

/* Copy src into an array of size bytes, or fail without truncating. */
static int
ipc_string_copy(char *dst, size_t size, const char *src)
{
	size_t len;

	if (src == NULL)
		src = "";

	len = strnlen(src, size);
	if (len == size)
		return -ENAMETOOLONG;

	memcpy(dst, src, len + 1);
	return 0;
}

static bool
ipc_string_terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

static void
ipc_header_init(struct ipc_header *hdr, enum ipc_type type, size_t length)
{
	hdr->type = type;
	hdr->length = (uint32_t)length;
}

/* Check that buf is exactly one message of the given type and size. */
static int
ipc_header_check(const void *buf, size_t len, enum ipc_type type,
    size_t size)
{
	struct ipc_header hdr;

	if (buf == NULL || len != size)
		return -EBADMSG;

	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.type != type || hdr.length != size)
		return -EBADMSG;

	return 0;
}

int
ipc_auth_request_init(struct ipc_auth_request *req, uint32_t id,
    const char *group, const char *user, const char *password)
{
	int rc;

	memset(req, 0, sizeof(*req));
	ipc_header_init(&req->hdr, IPC_AUTH_REQUEST, sizeof(*req));
	req->id = id;

	rc = ipc_string_copy(req->group, sizeof(req->group), group);
	if (rc == 0)
		rc = ipc_string_copy(req->user, sizeof(req->user), user);
	if (rc == 0)
		rc = ipc_string_copy(req->password, sizeof(req->password),
		    password);

	if (rc != 0)
		explicit_bzero(req, sizeof(*req));
	return rc;
}

int
ipc_auth_reply_init(struct ipc_auth_reply *rep, uint32_t id,
    enum ipc_auth_result result, const char *message)
{
	int rc;

	memset(rep, 0, sizeof(*rep));
	ipc_header_init(&rep->hdr, IPC_AUTH_REPLY, sizeof(*rep));
	rep->id = id;
	rep->result = result;

	rc = ipc_string_copy(rep->message, sizeof(rep->message), message);
	if (rc != 0)
		memset(rep, 0, sizeof(*rep));
	return rc;
}

/* The copy in *req may contain a password, so it is wiped when rejected. */
int
ipc_auth_request_decode(const void *buf, size_t len,
    struct ipc_auth_request *req)
{
	int rc;

	rc = ipc_header_check(buf, len, IPC_AUTH_REQUEST, sizeof(*req));
	if (rc != 0)
		return rc;

	memcpy(req, buf, sizeof(*req));
	if (!ipc_string_terminated(req->group, sizeof(req->group)) ||
	    !ipc_string_terminated(req->user, sizeof(req->user)) ||
	    !ipc_string_terminated(req->password, sizeof(req->password))) {
		explicit_bzero(req, sizeof(*req));
		return -EBADMSG;
	}

	return 0;
}

int
ipc_auth_reply_decode(const void *buf, size_t len,
    struct ipc_auth_reply *rep)
{
	int rc;

	rc = ipc_header_check(buf, len, IPC_AUTH_REPLY, sizeof(*rep));
	if (rc != 0)
		return rc;

	memcpy(rep, buf, sizeof(*rep));
	if (rep->result != IPC_AUTH_OK && rep->result != IPC_AUTH_DENIED &&
	    rep->result != IPC_AUTH_ERROR)
		return -EBADMSG;

	if (!ipc_string_terminated(rep->message, sizeof(rep->message)))
		return -EBADMSG;

	return 0;
}

void
ipc_parent_request_init(struct ipc_parent_request *req, enum ipc_type type,
    uint32_t uid, int32_t pid)
{
	memset(req, 0, sizeof(*req));
	ipc_header_init(&req->hdr, type, sizeof(*req));
	req->uid = uid;
	req->pid = pid;
}

int
ipc_parent_request_decode(const void *buf, size_t len,
    struct ipc_parent_request *req)
{
	int type = ipc_message_type(buf, len);

	if (type != IPC_RELOAD_REQUEST && type != IPC_SHUTDOWN_REQUEST &&
	    type != IPC_SHUTDOWN_LOGOFF_REQUEST)
		return -EBADMSG;

	if (ipc_header_check(buf, len, (enum ipc_type)type,
	    sizeof(*req)) != 0)
		return -EBADMSG;

	memcpy(req, buf, sizeof(*req));
	return 0;
}

void
ipc_reload_result_init(struct ipc_reload_result *msg, uint32_t seq,
    enum ipc_reload_outcome outcome)
{
	memset(msg, 0, sizeof(*msg));
	ipc_header_init(&msg->hdr, IPC_RELOAD_RESULT, sizeof(*msg));
	msg->seq = seq;
	msg->outcome = (uint32_t)outcome;
}

int
ipc_reload_result_decode(const void *buf, size_t len,
    struct ipc_reload_result *msg)
{
	if (ipc_header_check(buf, len, IPC_RELOAD_RESULT, sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	if (msg->outcome > IPC_RELOAD_FAILED)
		return -EBADMSG;
	return 0;
}

int
ipc_session_init(struct ipc_session *msg, enum ipc_type type, uint64_t id,
    const char *user, const char *group, const char *pool)
{
	int rc;

	memset(msg, 0, sizeof(*msg));
	ipc_header_init(&msg->hdr, type, sizeof(*msg));
	msg->id = id;

	rc = ipc_string_copy(msg->user, sizeof(msg->user), user);
	if (rc == 0)
		rc = ipc_string_copy(msg->group, sizeof(msg->group), group);
	if (rc == 0)
		rc = ipc_string_copy(msg->pool, sizeof(msg->pool), pool);
	return rc;
}

int
ipc_session_decode(const void *buf, size_t len, struct ipc_session *msg)
{
	int type = ipc_message_type(buf, len);

	if (type != IPC_SESSION_UP && type != IPC_SESSION_UPDATE &&
	    type != IPC_SESSION_DOWN)
		return -EBADMSG;

	if (ipc_header_check(buf, len, (enum ipc_type)type,
	    sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	if (!ipc_string_terminated(msg->user, sizeof(msg->user)) ||
	    !ipc_string_terminated(msg->group, sizeof(msg->group)) ||
	    !ipc_string_terminated(msg->pool, sizeof(msg->pool)))
		return -EBADMSG;

	if (type == IPC_SESSION_UP && (msg->user[0] == '\0' ||
	    msg->group[0] == '\0' || msg->pool[0] == '\0'))
		return -EBADMSG;

	return 0;
}

int
ipc_config_decode(const void *buf, size_t len, struct ipc_config *msg)
{
	if (ipc_header_check(buf, len, IPC_CONFIG, sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	return 0;
}

int
ipc_start_decode(const void *buf, size_t len, struct ipc_start *msg)
{
	if (ipc_header_check(buf, len, IPC_START, sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	return 0;
}

int
ipc_ban_init(struct ipc_ban *msg, const char *address, const char *user,
    int64_t until)
{
	int rc;

	memset(msg, 0, sizeof(*msg));
	ipc_header_init(&msg->hdr, IPC_BAN, sizeof(*msg));
	msg->until = until;
	rc = ipc_string_copy(msg->address, sizeof(msg->address), address);
	if (rc == 0)
		rc = ipc_string_copy(msg->user, sizeof(msg->user), user);
	return rc;
}

int
ipc_ban_decode(const void *buf, size_t len, struct ipc_ban *msg)
{
	if (ipc_header_check(buf, len, IPC_BAN, sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	if (!ipc_string_terminated(msg->address, sizeof(msg->address)) ||
	    !ipc_string_terminated(msg->user, sizeof(msg->user)) ||
	    msg->address[0] == '\0' || msg->until < 0)
		return -EBADMSG;

	return 0;
}

void
ipc_bans_init(struct ipc_bans *msg, uint64_t count)
{
	memset(msg, 0, sizeof(*msg));
	ipc_header_init(&msg->hdr, IPC_BANS, sizeof(*msg));
	msg->count = count;
}

int
ipc_bans_decode(const void *buf, size_t len, struct ipc_bans *msg)
{
	if (ipc_header_check(buf, len, IPC_BANS, sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	return 0;
}

void
ipc_config_applied_init(struct ipc_config_applied *msg, int result,
    const char *message)
{
	memset(msg, 0, sizeof(*msg));
	ipc_header_init(&msg->hdr, IPC_CONFIG_APPLIED, sizeof(*msg));
	msg->result = result;
	if (message != NULL)
		snprintf(msg->message, sizeof(msg->message), "%s", message);
}

int
ipc_config_applied_decode(const void *buf, size_t len,
    struct ipc_config_applied *msg)
{
	if (ipc_header_check(buf, len, IPC_CONFIG_APPLIED,
	    sizeof(*msg)) != 0)
		return -EBADMSG;

	memcpy(msg, buf, sizeof(*msg));
	if (msg->result > 0 ||
	    !ipc_string_terminated(msg->message, sizeof(msg->message)))
		return -EBADMSG;

	return 0;
}

/*
 * Only the header is checked here, so a caller can reject an unknown type
 * by value. The length field must match the datagram, because a sender
 * that gets it wrong cannot be trusted with the rest.
 */
int
ipc_message_type(const void *buf, size_t len)
{
	struct ipc_header hdr;

	if (buf == NULL || len < sizeof(hdr))
		return -EBADMSG;

	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.length != len || hdr.type > INT32_MAX)
		return -EBADMSG;

	return (int)hdr.type;
}

/* Attach fd to msg as an SCM_RIGHTS control message. */
static void
ipc_control_attach(struct msghdr *msg, union ipc_control *control, int fd)
{
	struct cmsghdr *cmsg;

	memset(control, 0, sizeof(*control));
	msg->msg_control = control->buf;
	msg->msg_controllen = sizeof(control->buf);

	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
}

/*
 * MSG_NOSIGNAL turns a closed peer into -EPIPE instead of SIGPIPE, so a
 * dead child cannot kill the process that talks to it.
 */
int
ipc_send(int sock, const void *msg, size_t len, int fd)
{
	union ipc_control control;
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;

	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0)
		ipc_control_attach(&mh, &control, fd);

	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);

	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EMSGSIZE;

	return 0;
}

/*
 * Collect the descriptors that arrived with a message. The first one is
 * stored in *fd. Any others are closed, and so is the first one when the
 * caller passed no fd. Returns the number of descriptors received.
 */
static int
ipc_control_collect(struct msghdr *mh, int *fd)
{
	struct cmsghdr *cmsg;
	int count = 0;

	for (cmsg = CMSG_FIRSTHDR(mh); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(mh, cmsg)) {
		const unsigned char *data = CMSG_DATA(cmsg);
		size_t nfds, i;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;

		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int received;

			memcpy(&received, data + i * sizeof(int), sizeof(int));
			if (count == 0 && fd != NULL)
				*fd = received;
			else
				close(received);
			count++;
		}
	}

	return count;
}

static void
ipc_fd_discard(int *fd)
{
	if (fd == NULL || *fd < 0)
		return;

	close(*fd);
	*fd = -1;
}

/*
 * fd may be NULL when the caller expects no descriptor. Then a message
 * that carries one anyway is rejected with -EBADMSG, as is a message with
 * more than one descriptor or one cut short to fit buf.
 */
int
ipc_recv(int sock, void *buf, size_t size, int *fd)
{
	union ipc_control control;
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;
	int count;

	if (fd != NULL)
		*fd = -1;

	iov.iov_base = buf;
	iov.iov_len = size;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);

	if (n < 0)
		return -errno;

	count = ipc_control_collect(&mh, fd);
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || count > 1 ||
	    (count == 1 && fd == NULL)) {
		ipc_fd_discard(fd);
		return -EBADMSG;
	}

	return (int)n;
}
