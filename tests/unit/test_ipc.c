#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc.h"

/* A string of len 'x' characters in a static buffer. */
static const char *
long_string(size_t len)
{
	static char buf[1024];

	assert_true(len < sizeof(buf));
	memset(buf, 'x', len);
	buf[len] = '\0';
	return buf;
}

static void
socketpair_open(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

static void
socketpair_close(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

static void
request_fill(struct ipc_auth_request *req)
{
	assert_int_equal(ipc_auth_request_init(req, 7, "staff", "alice",
	    "s3cret"), 0);
}

static void
test_request_round_trip(void **state)
{
	struct ipc_auth_request req, out;
	char buf[1024];
	int sv[2], fd, n;

	(void)state;
	socketpair_open(sv);
	request_fill(&req);
	assert_int_equal(ipc_send(sv[0], &req, sizeof(req), -1), 0);

	n = ipc_recv(sv[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, sizeof(req));
	assert_int_equal(fd, -1);
	assert_int_equal(ipc_message_type(buf, n), IPC_AUTH_REQUEST);
	assert_int_equal(ipc_auth_request_decode(buf, n, &out), 0);
	assert_int_equal(out.id, 7);
	assert_string_equal(out.group, "staff");
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.password, "s3cret");
	socketpair_close(sv);
}

static void
test_reply_round_trip(void **state)
{
	struct ipc_auth_reply rep, out;
	char buf[1024];
	int sv[2], fd, n;

	(void)state;
	socketpair_open(sv);
	assert_int_equal(ipc_auth_reply_init(&rep, 9, IPC_AUTH_DENIED,
	    "wrong password"), 0);
	assert_int_equal(ipc_send(sv[1], &rep, sizeof(rep), -1), 0);

	n = ipc_recv(sv[0], buf, sizeof(buf), &fd);
	assert_int_equal(n, sizeof(rep));
	assert_int_equal(fd, -1);
	assert_int_equal(ipc_message_type(buf, n), IPC_AUTH_REPLY);
	assert_int_equal(ipc_auth_reply_decode(buf, n, &out), 0);
	assert_int_equal(out.id, 9);
	assert_int_equal(out.result, IPC_AUTH_DENIED);
	assert_string_equal(out.message, "wrong password");
	socketpair_close(sv);
}

static void
test_reply_null_message(void **state)
{
	struct ipc_auth_reply rep;

	(void)state;
	assert_int_equal(ipc_auth_reply_init(&rep, 1, IPC_AUTH_OK, NULL), 0);
	assert_string_equal(rep.message, "");
}

static void
test_request_init_too_long(void **state)
{
	struct ipc_auth_request req;
	const char *s;

	(void)state;
	s = long_string(IPC_GROUP_MAX - 1);
	assert_int_equal(ipc_auth_request_init(&req, 1, s, "u", "p"), 0);
	s = long_string(IPC_GROUP_MAX);
	assert_int_equal(ipc_auth_request_init(&req, 1, s, "u", "p"),
	    -ENAMETOOLONG);

	s = long_string(IPC_USER_MAX - 1);
	assert_int_equal(ipc_auth_request_init(&req, 1, "g", s, "p"), 0);
	s = long_string(IPC_USER_MAX);
	assert_int_equal(ipc_auth_request_init(&req, 1, "g", s, "p"),
	    -ENAMETOOLONG);

	s = long_string(IPC_PASSWORD_MAX - 1);
	assert_int_equal(ipc_auth_request_init(&req, 1, "g", "u", s), 0);
	s = long_string(IPC_PASSWORD_MAX);
	assert_int_equal(ipc_auth_request_init(&req, 1, "g", "u", s),
	    -ENAMETOOLONG);
	assert_null(memchr(req.password, 'x', sizeof(req.password)));
}

static void
test_reply_init_too_long(void **state)
{
	struct ipc_auth_reply rep;
	const char *s;

	(void)state;
	s = long_string(IPC_MESSAGE_MAX - 1);
	assert_int_equal(ipc_auth_reply_init(&rep, 1, IPC_AUTH_OK, s), 0);
	s = long_string(IPC_MESSAGE_MAX);
	assert_int_equal(ipc_auth_reply_init(&rep, 1, IPC_AUTH_OK, s),
	    -ENAMETOOLONG);
}

static void
test_request_decode_size(void **state)
{
	struct ipc_auth_request req, out;
	char buf[sizeof(req) + 16];

	(void)state;
	request_fill(&req);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &req, sizeof(req));

	assert_int_equal(ipc_auth_request_decode(buf, sizeof(req) - 1, &out),
	    -EBADMSG);
	assert_int_equal(ipc_auth_request_decode(buf, sizeof(req) + 1, &out),
	    -EBADMSG);
	assert_int_equal(ipc_auth_request_decode(buf, 0, &out), -EBADMSG);
	assert_int_equal(ipc_auth_request_decode(NULL, sizeof(req), &out),
	    -EBADMSG);
}

static void
test_request_decode_header(void **state)
{
	struct ipc_auth_request req, out;

	(void)state;
	request_fill(&req);
	req.hdr.type = IPC_AUTH_REPLY;
	assert_int_equal(ipc_auth_request_decode(&req, sizeof(req), &out),
	    -EBADMSG);

	request_fill(&req);
	req.hdr.length = sizeof(req) + 1;
	assert_int_equal(ipc_auth_request_decode(&req, sizeof(req), &out),
	    -EBADMSG);
}

static void
test_request_decode_unterminated(void **state)
{
	struct ipc_auth_request req, out;

	(void)state;
	request_fill(&req);
	memset(req.group, 'g', sizeof(req.group));
	assert_int_equal(ipc_auth_request_decode(&req, sizeof(req), &out),
	    -EBADMSG);

	request_fill(&req);
	memset(req.user, 'u', sizeof(req.user));
	assert_int_equal(ipc_auth_request_decode(&req, sizeof(req), &out),
	    -EBADMSG);

	request_fill(&req);
	memset(req.password, 'p', sizeof(req.password));
	assert_int_equal(ipc_auth_request_decode(&req, sizeof(req), &out),
	    -EBADMSG);
	assert_null(memchr(out.password, 'p', sizeof(out.password)));
}

static void
test_reply_decode_malformed(void **state)
{
	struct ipc_auth_reply rep, out;
	char buf[sizeof(rep) + 1];

	(void)state;
	assert_int_equal(ipc_auth_reply_init(&rep, 3, IPC_AUTH_OK, "ok"), 0);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &rep, sizeof(rep));
	assert_int_equal(ipc_auth_reply_decode(buf, sizeof(rep) - 1, &out),
	    -EBADMSG);
	assert_int_equal(ipc_auth_reply_decode(buf, sizeof(rep) + 1, &out),
	    -EBADMSG);

	rep.hdr.type = IPC_AUTH_REQUEST;
	assert_int_equal(ipc_auth_reply_decode(&rep, sizeof(rep), &out),
	    -EBADMSG);

	rep.hdr.type = IPC_AUTH_REPLY;
	rep.hdr.length = sizeof(rep) - 1;
	assert_int_equal(ipc_auth_reply_decode(&rep, sizeof(rep), &out),
	    -EBADMSG);

	rep.hdr.length = sizeof(rep);
	memset(rep.message, 'm', sizeof(rep.message));
	assert_int_equal(ipc_auth_reply_decode(&rep, sizeof(rep), &out),
	    -EBADMSG);
}

static void
test_reply_decode_result(void **state)
{
	struct ipc_auth_reply rep, out;

	(void)state;
	assert_int_equal(ipc_auth_reply_init(&rep, 3, IPC_AUTH_ERROR, ""), 0);
	assert_int_equal(ipc_auth_reply_decode(&rep, sizeof(rep), &out), 0);
	assert_int_equal(out.result, IPC_AUTH_ERROR);

	rep.result = IPC_AUTH_ERROR + 1;
	assert_int_equal(ipc_auth_reply_decode(&rep, sizeof(rep), &out),
	    -EBADMSG);
	rep.result = UINT32_MAX;
	assert_int_equal(ipc_auth_reply_decode(&rep, sizeof(rep), &out),
	    -EBADMSG);
}

static void
test_message_type_checks(void **state)
{
	struct ipc_header hdr;

	(void)state;
	hdr.type = IPC_AUTHD_SOCKET;
	hdr.length = sizeof(hdr);
	assert_int_equal(ipc_message_type(&hdr, sizeof(hdr)),
	    IPC_AUTHD_SOCKET);
	assert_int_equal(ipc_message_type(&hdr, sizeof(hdr) - 1), -EBADMSG);
	assert_int_equal(ipc_message_type(NULL, 0), -EBADMSG);

	hdr.length = sizeof(hdr) + 4;
	assert_int_equal(ipc_message_type(&hdr, sizeof(hdr)), -EBADMSG);

	hdr.type = 99;
	hdr.length = sizeof(hdr);
	assert_int_equal(ipc_message_type(&hdr, sizeof(hdr)), 99);

	hdr.type = UINT32_MAX;
	assert_int_equal(ipc_message_type(&hdr, sizeof(hdr)), -EBADMSG);
}

static void
test_fd_passing(void **state)
{
	struct ipc_authd_socket msg;
	char buf[64], byte = 0;
	int sv[2], pipefd[2], fd, n;

	(void)state;
	socketpair_open(sv);
	assert_int_equal(pipe(pipefd), 0);
	msg.hdr.type = IPC_AUTHD_SOCKET;
	msg.hdr.length = sizeof(msg);
	assert_int_equal(ipc_send(sv[0], &msg, sizeof(msg), pipefd[1]), 0);
	close(pipefd[1]);

	n = ipc_recv(sv[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, sizeof(msg));
	assert_int_equal(ipc_message_type(buf, n), IPC_AUTHD_SOCKET);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* The received descriptor is the pipe's write end. */
	assert_int_equal(write(fd, "z", 1), 1);
	assert_int_equal(read(pipefd[0], &byte, 1), 1);
	assert_int_equal(byte, 'z');
	close(fd);
	close(pipefd[0]);
	socketpair_close(sv);
}

static void
test_fd_unexpected(void **state)
{
	struct ipc_authd_socket msg;
	char buf[64];
	int sv[2], pipefd[2];

	(void)state;
	socketpair_open(sv);
	assert_int_equal(pipe(pipefd), 0);
	msg.hdr.type = IPC_AUTHD_SOCKET;
	msg.hdr.length = sizeof(msg);
	assert_int_equal(ipc_send(sv[0], &msg, sizeof(msg), pipefd[1]), 0);
	close(pipefd[1]);

	assert_int_equal(ipc_recv(sv[1], buf, sizeof(buf), NULL), -EBADMSG);

	/* The receiver closed its copy, so the pipe has no writer left. */
	assert_int_equal(read(pipefd[0], buf, 1), 0);
	close(pipefd[0]);
	socketpair_close(sv);
}

/* Send hdr with two descriptors, which ipc_send cannot do. */
static void
send_two_fds(int sock, const struct ipc_header *hdr, int fd1, int fd2)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} control;
	struct iovec iov = { (void *)hdr, sizeof(*hdr) };
	struct msghdr mh;
	struct cmsghdr *cmsg;
	int fds[2] = { fd1, fd2 };

	memset(&mh, 0, sizeof(mh));
	memset(&control, 0, sizeof(control));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	cmsg = CMSG_FIRSTHDR(&mh);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	assert_int_equal(sendmsg(sock, &mh, 0), sizeof(*hdr));
}

static void
test_fd_two_rejected(void **state)
{
	struct ipc_header hdr = { IPC_AUTHD_SOCKET, sizeof(hdr) };
	char buf[64];
	int sv[2], pipefd[2], fd;

	(void)state;
	socketpair_open(sv);
	assert_int_equal(pipe(pipefd), 0);
	send_two_fds(sv[0], &hdr, pipefd[1], pipefd[1]);
	close(pipefd[1]);

	assert_int_equal(ipc_recv(sv[1], buf, sizeof(buf), &fd), -EBADMSG);
	assert_int_equal(fd, -1);
	assert_int_equal(read(pipefd[0], buf, 1), 0);
	close(pipefd[0]);
	socketpair_close(sv);
}

static void
test_recv_truncated(void **state)
{
	struct ipc_auth_request req;
	char buf[sizeof(req) - 1];
	int sv[2], fd;

	(void)state;
	socketpair_open(sv);
	request_fill(&req);
	assert_int_equal(ipc_send(sv[0], &req, sizeof(req), -1), 0);
	assert_int_equal(ipc_recv(sv[1], buf, sizeof(buf), &fd), -EBADMSG);
	assert_int_equal(fd, -1);
	socketpair_close(sv);
}

static void
test_recv_eof(void **state)
{
	char buf[64];
	int sv[2], fd;

	(void)state;
	socketpair_open(sv);
	close(sv[0]);
	assert_int_equal(ipc_recv(sv[1], buf, sizeof(buf), &fd), 0);
	assert_int_equal(fd, -1);
	close(sv[1]);
}

static void
test_send_closed_peer(void **state)
{
	struct ipc_auth_request req;
	int sv[2];

	(void)state;
	socketpair_open(sv);
	close(sv[1]);
	request_fill(&req);
	assert_int_equal(ipc_send(sv[0], &req, sizeof(req), -1), -EPIPE);
	close(sv[0]);
}

static void
test_session_round_trip(void **state)
{
	struct ipc_session msg, out;
	int sv[2], n, fd;
	uint8_t buf[512];

	(void)state;
	assert_int_equal(ipc_session_init(&msg, IPC_SESSION_UP, 7, "alice",
	    "staff", "pool"), 0);
	msg.addr = 0xc6130001u;
	msg.started = 1000;
	msg.flags = IPC_SESSION_ATTACHED;
	socketpair_open(sv);
	assert_int_equal(ipc_send(sv[0], &msg, sizeof(msg), -1), 0);
	n = ipc_recv(sv[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, (int)sizeof(msg));
	assert_int_equal(ipc_session_decode(buf, (size_t)n, &out), 0);
	assert_int_equal(out.hdr.type, IPC_SESSION_UP);
	assert_int_equal(out.id, 7);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.group, "staff");
	assert_string_equal(out.pool, "pool");
	assert_int_equal(out.addr, 0xc6130001u);
	assert_int_equal(out.started, 1000);
	assert_int_equal(out.flags, IPC_SESSION_ATTACHED);
	socketpair_close(sv);
}

static void
test_session_decode_malformed(void **state)
{
	struct ipc_session msg, out;

	(void)state;
	assert_int_equal(ipc_session_init(&msg, IPC_SESSION_UP, 1,
	    long_string(IPC_USER_MAX), "g", "p"), -ENAMETOOLONG);

	/* An unterminated group. */
	assert_int_equal(ipc_session_init(&msg, IPC_SESSION_UPDATE, 1, "", "",
	    ""), 0);
	assert_int_equal(ipc_session_decode(&msg, sizeof(msg), &out), 0);
	memset(msg.group, 'g', sizeof(msg.group));
	assert_int_equal(ipc_session_decode(&msg, sizeof(msg), &out),
	    -EBADMSG);

	/* A login must name its user, group and pool. */
	assert_int_equal(ipc_session_init(&msg, IPC_SESSION_UP, 1, "", "g",
	    "p"), 0);
	assert_int_equal(ipc_session_decode(&msg, sizeof(msg), &out),
	    -EBADMSG);
	assert_int_equal(ipc_session_init(&msg, IPC_SESSION_DOWN, 1, "", "",
	    ""), 0);
	assert_int_equal(ipc_session_decode(&msg, sizeof(msg), &out), 0);
	assert_int_equal(ipc_session_decode(&msg, sizeof(msg) - 1, &out),
	    -EBADMSG);

	/* Another type of the same size. */
	msg.hdr.type = IPC_AUTH_REPLY;
	assert_int_equal(ipc_session_decode(&msg, sizeof(msg), &out),
	    -EBADMSG);
}

static void
test_config_applied(void **state)
{
	struct ipc_config_applied msg, out;

	(void)state;
	ipc_config_applied_init(&msg, -EINVAL, long_string(400));
	assert_int_equal(ipc_config_applied_decode(&msg, sizeof(msg), &out),
	    0);
	assert_int_equal(out.result, -EINVAL);
	assert_int_equal(strlen(out.message), IPC_MESSAGE_MAX - 1);
	ipc_config_applied_init(&msg, 0, NULL);
	assert_int_equal(ipc_config_applied_decode(&msg, sizeof(msg), &out),
	    0);
	assert_string_equal(out.message, "");

	/* A positive result is no -errno. */
	msg.result = 1;
	assert_int_equal(ipc_config_applied_decode(&msg, sizeof(msg), &out),
	    -EBADMSG);
}

static void
test_parent_request_types(void **state)
{
	struct ipc_parent_request req, out;

	(void)state;
	ipc_parent_request_init(&req, IPC_SHUTDOWN_LOGOFF_REQUEST, 0, 42);
	assert_int_equal(ipc_parent_request_decode(&req, sizeof(req), &out),
	    0);
	assert_int_equal(out.hdr.type, IPC_SHUTDOWN_LOGOFF_REQUEST);
	ipc_parent_request_init(&req, IPC_CONFIG_APPLIED, 0, 42);
	assert_int_equal(ipc_parent_request_decode(&req, sizeof(req), &out),
	    -EBADMSG);
}

static void
test_reload_result_round_trip(void **state)
{
	struct ipc_reload_result msg, out;

	(void)state;
	ipc_reload_result_init(&msg, 7, IPC_RELOAD_REJECTED);
	assert_int_equal(msg.warnings, 0);
	msg.warnings = 3;
	assert_int_equal(ipc_reload_result_decode(&msg, sizeof(msg), &out), 0);
	assert_int_equal(out.seq, 7);
	assert_int_equal(out.outcome, IPC_RELOAD_REJECTED);
	assert_int_equal(out.warnings, 3);
	assert_int_equal(ipc_reload_result_decode(&msg, sizeof(msg) - 1,
	    &out), -EBADMSG);
	msg.outcome = IPC_RELOAD_FAILED + 1;
	assert_int_equal(ipc_reload_result_decode(&msg, sizeof(msg), &out),
	    -EBADMSG);
}

static void
test_start_and_config_sizes(void **state)
{
	struct ipc_start start = { { IPC_START, sizeof(start) }, 2, 9, { 0 } };
	struct ipc_config cfg = { { IPC_CONFIG, sizeof(cfg) }, 100 };
	struct ipc_start start_out;
	struct ipc_config cfg_out;

	(void)state;
	assert_int_equal(ipc_start_decode(&start, sizeof(start), &start_out),
	    0);
	assert_int_equal(start_out.nsessions, 2);
	assert_int_equal(start_out.id_max, 9);
	assert_int_equal(ipc_start_decode(&start, sizeof(start) - 1,
	    &start_out), -EBADMSG);
	assert_int_equal(ipc_config_decode(&cfg, sizeof(cfg), &cfg_out), 0);
	assert_int_equal(cfg_out.size, 100);
	assert_int_equal(ipc_config_decode(&start, sizeof(cfg), &cfg_out),
	    -EBADMSG);
}

static void
test_ban_round_trip(void **state)
{
	struct ipc_ban msg, out;

	(void)state;
	assert_int_equal(ipc_ban_init(&msg, "198.18.0.2", "alice", 1000), 0);
	assert_int_equal(ipc_ban_decode(&msg, sizeof(msg), &out), 0);
	assert_string_equal(out.address, "198.18.0.2");
	assert_string_equal(out.user, "alice");
	assert_int_equal(out.until, 1000);
	assert_int_equal(ipc_ban_decode(&msg, sizeof(msg) - 1, &out),
	    -EBADMSG);
}

/* A ban needs an address, terminated names and a time not negative. */
static void
test_ban_decode_invalid(void **state)
{
	struct ipc_ban msg, out;
	char longer[IPC_USER_MAX + 1];

	(void)state;
	memset(longer, 'u', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(ipc_ban_init(&msg, "198.18.0.2", longer, 1),
	    -ENAMETOOLONG);

	assert_int_equal(ipc_ban_init(&msg, "", "alice", 1), 0);
	assert_int_equal(ipc_ban_decode(&msg, sizeof(msg), &out), -EBADMSG);

	assert_int_equal(ipc_ban_init(&msg, "198.18.0.2", "", -1), 0);
	assert_int_equal(ipc_ban_decode(&msg, sizeof(msg), &out), -EBADMSG);

	assert_int_equal(ipc_ban_init(&msg, "198.18.0.2", "", 0), 0);
	memset(msg.address, 'a', sizeof(msg.address));
	assert_int_equal(ipc_ban_decode(&msg, sizeof(msg), &out), -EBADMSG);

	assert_int_equal(ipc_ban_init(&msg, "198.18.0.2", "", 0), 0);
	memset(msg.user, 'u', sizeof(msg.user));
	assert_int_equal(ipc_ban_decode(&msg, sizeof(msg), &out), -EBADMSG);
}

static void
test_bans_round_trip(void **state)
{
	struct ipc_bans msg, out;

	(void)state;
	ipc_bans_init(&msg, 3);
	assert_int_equal(ipc_bans_decode(&msg, sizeof(msg), &out), 0);
	assert_int_equal(out.count, 3);
	msg.hdr.type = IPC_START;
	assert_int_equal(ipc_bans_decode(&msg, sizeof(msg), &out), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_ban_round_trip),
		cmocka_unit_test(test_ban_decode_invalid),
		cmocka_unit_test(test_bans_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_reply_null_message),
		cmocka_unit_test(test_request_init_too_long),
		cmocka_unit_test(test_reply_init_too_long),
		cmocka_unit_test(test_request_decode_size),
		cmocka_unit_test(test_request_decode_header),
		cmocka_unit_test(test_request_decode_unterminated),
		cmocka_unit_test(test_reply_decode_malformed),
		cmocka_unit_test(test_reply_decode_result),
		cmocka_unit_test(test_message_type_checks),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_fd_unexpected),
		cmocka_unit_test(test_fd_two_rejected),
		cmocka_unit_test(test_recv_truncated),
		cmocka_unit_test(test_recv_eof),
		cmocka_unit_test(test_send_closed_peer),
		cmocka_unit_test(test_session_round_trip),
		cmocka_unit_test(test_session_decode_malformed),
		cmocka_unit_test(test_config_applied),
		cmocka_unit_test(test_parent_request_types),
		cmocka_unit_test(test_reload_result_round_trip),
		cmocka_unit_test(test_start_and_config_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
