/*
 * Messages between the headend processes. Every message travels as one
 * datagram on a SOCK_SEQPACKET socketpair, so message boundaries come
 * from the kernel. Each message starts with struct ipc_header; the
 * decoders check the type, the exact size and that every string field is
 * NUL-terminated inside its array before anything is used. A message that
 * fails these checks ends the channel it came from.
 */
#ifndef HEADEND_IPC_H
#define HEADEND_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_GROUP_MAX		64	/* tunnel-group name, with NUL */
#define IPC_USER_MAX		128	/* username, with NUL */
#define IPC_PASSWORD_MAX	256	/* password, with NUL */
#define IPC_MESSAGE_MAX		256	/* human-readable reason, with NUL */

enum ipc_type {
	IPC_AUTH_REQUEST = 1,	/* network -> authd */
	IPC_AUTH_REPLY = 2,	/* authd -> network */
	IPC_AUTHD_SOCKET = 3,	/* parent -> network, fd attached */
	IPC_RELOAD_REQUEST = 20,	/* network -> parent, from the status */
	IPC_SHUTDOWN_REQUEST = 21,	/* socket; struct ipc_parent_request */
};

enum ipc_auth_result {
	IPC_AUTH_OK = 0,	/* credentials valid, account usable */
	IPC_AUTH_DENIED = 1,	/* wrong username or password */
	IPC_AUTH_ERROR = 2,	/* backend failure: not the user's fault */
};

struct ipc_header {
	uint32_t	type;
	uint32_t	length;	/* whole message, header included */
};

/* "Is this username and password valid for this tunnel-group?" */
struct ipc_auth_request {
	struct ipc_header hdr;
	uint32_t	id;	/* chosen by the sender, echoed in the reply */
	char		group[IPC_GROUP_MAX];
	char		user[IPC_USER_MAX];
	char		password[IPC_PASSWORD_MAX];
};

struct ipc_auth_reply {
	struct ipc_header hdr;
	uint32_t	id;
	uint32_t	result;	/* enum ipc_auth_result */
	char		message[IPC_MESSAGE_MAX];	/* for the log */
};

/* Announces a new authd socket; the descriptor rides in SCM_RIGHTS. */
struct ipc_authd_socket {
	struct ipc_header hdr;
};

/*
 * A request that only the parent can carry out (reload, shutdown), made
 * by an administrator on the status socket. uid and pid name that
 * administrator in the parent's log.
 */
struct ipc_parent_request {
	struct ipc_header hdr;
	uint32_t	uid;
	int32_t		pid;
};

/* Fill a request of type IPC_RELOAD_REQUEST or IPC_SHUTDOWN_REQUEST. */
void	ipc_parent_request_init(struct ipc_parent_request *req,
	    enum ipc_type type, uint32_t uid, int32_t pid);

/* Check and copy out a parent request of either type; 0 or -EBADMSG. */
int	ipc_parent_request_decode(const void *buf, size_t len,
	    struct ipc_parent_request *req);

/*
 * Fill a request; return 0, or -ENAMETOOLONG when a string does not fit
 * (never truncated).
 */
int	ipc_auth_request_init(struct ipc_auth_request *req, uint32_t id,
	    const char *group, const char *user, const char *password);
int	ipc_auth_reply_init(struct ipc_auth_reply *rep, uint32_t id,
	    enum ipc_auth_result result, const char *message);

/* Check buf (len bytes as received) and copy it out; 0 or -EBADMSG. */
int	ipc_auth_request_decode(const void *buf, size_t len,
	    struct ipc_auth_request *req);
int	ipc_auth_reply_decode(const void *buf, size_t len,
	    struct ipc_auth_reply *rep);

/* Return the type of a received message, or -EBADMSG. */
int	ipc_message_type(const void *buf, size_t len);

/*
 * Send and receive one message, optionally with one descriptor attached.
 * ipc_recv returns the message length, 0 at end of file, or -errno;
 * *fd is set to the received descriptor or -1.
 */
int	ipc_send(int sock, const void *msg, size_t len, int fd);
int	ipc_recv(int sock, void *buf, size_t size, int *fd);

#endif
