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
	IPC_CONFIG = 4,		/* parent -> network, memfd attached */
	IPC_START = 5,		/* parent -> network, memfd attached */
	IPC_STOP_LOGOFF = 6,	/* parent -> network: log all off, exit */
	IPC_RELOAD_REQUEST = 20,	/* network -> parent, from the status */
	IPC_SHUTDOWN_REQUEST = 21,	/* socket; struct ipc_parent_request */
	IPC_SHUTDOWN_LOGOFF_REQUEST = 22,	/* the same, sessions ended */
	IPC_CONFIG_APPLIED = 23,	/* network -> parent */
	IPC_SESSION_UP = 24,	/* network -> parent, struct ipc_session */
	IPC_SESSION_UPDATE = 25,
	IPC_SESSION_DOWN = 26,
	IPC_RELOAD_RESULT = 27,	/* parent -> network, ipc_reload_result */
	IPC_BAN = 28,		/* network -> parent, struct ipc_ban */
	IPC_BANS = 29,		/* parent -> network, memfd attached */
	IPC_AUTHD_NEXT = 30,	/* parent -> network, fd attached: the */
				/* authd of the IPC_CONFIG that follows */
	IPC_AUTHD_STUCK = 31,	/* network -> parent, header only: authd */
				/* lets password checks time out */
};

/* The outcome of a reload that the status socket requested. */
enum ipc_reload_outcome {
	IPC_RELOAD_APPLIED = 0,
	IPC_RELOAD_REJECTED = 1,	/* the file has errors */
	IPC_RELOAD_IGNORED = 2,		/* another reload was under way */
	IPC_RELOAD_FAILED = 3,		/* the network process refused it */
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
	uint32_t	seq;	/* of a reload request, for its result */
};

/* The outcome of the reload request numbered seq. */
struct ipc_reload_result {
	struct ipc_header hdr;
	uint32_t	seq;
	uint32_t	outcome;	/* enum ipc_reload_outcome */
	uint32_t	warnings;	/* logged while it was applied */
};

/*
 * A new configuration for the network process. The attached memfd has
 * size bytes: the configuration and the contents of the files it names
 * (see cfgbundle.h).
 */
struct ipc_config {
	struct ipc_header hdr;
	uint64_t	size;
};

/* The network process's reply to IPC_CONFIG. */
struct ipc_config_applied {
	struct ipc_header hdr;
	int32_t		result;	/* 0 or -errno */
	uint32_t	warnings;	/* logged while it was applied */
	char		message[IPC_MESSAGE_MAX];	/* why it failed */
};

#define IPC_COOKIE_HASH_LEN	32	/* SHA-256 of the cookie */
#define IPC_SESSION_ATTACHED	0x1u	/* flags: a client is connected */
#define IPC_SESSION_CONNECTED	0x2u	/* flags: it had a tunnel before */

/*
 * A session's login (IPC_SESSION_UP), attach, detach or reconnect
 * (IPC_SESSION_UPDATE) or end (IPC_SESSION_DOWN), for the parent's
 * session journal. UPDATE uses only id, last_seen, reconnects and flags,
 * DOWN only id. Times are Unix seconds.
 */
struct ipc_session {
	struct ipc_header hdr;
	uint64_t	id;
	uint8_t		cookie_hash[IPC_COOKIE_HASH_LEN];
	char		user[IPC_USER_MAX];
	char		group[IPC_GROUP_MAX];
	char		pool[IPC_GROUP_MAX];
	uint32_t	addr;		/* host order */
	uint32_t	reconnects;
	uint32_t	flags;		/* IPC_SESSION_* */
	uint32_t	netmask;	/* host order; 0 when not known */
	int64_t		started;	/* first authentication */
	int64_t		expires;	/* session timeout; 0 when none */
	int64_t		last_seen;	/* last attach or detach */
};

#define IPC_ADDR_MAX		46	/* INET6_ADDRSTRLEN */

/*
 * A ban that the network process started (until > 0, in Unix seconds)
 * or lifted (until 0: every ban of the address), so that the parent can
 * hand the bans to the next network process. user "" bans the whole
 * address.
 */
struct ipc_ban {
	struct ipc_header hdr;
	char		address[IPC_ADDR_MAX];
	char		user[IPC_USER_MAX];
	int64_t		until;
};

/*
 * The second message to a new network process, right after IPC_START:
 * the memfd attached contains count struct ipc_ban, back to back.
 */
struct ipc_bans {
	struct ipc_header hdr;
	uint64_t	count;
};

#define IPC_KEY_LEN		32

/*
 * The first message to a new network process, which it waits for before
 * it serves: the sessions to restore and the key that signs its login
 * handles, which outlives restarts. The attached memfd contains nsessions
 * struct ipc_session messages of type IPC_SESSION_UP, back to back. New
 * session ids start above id_max.
 */
struct ipc_start {
	struct ipc_header hdr;
	uint64_t	nsessions;
	uint64_t	id_max;
	uint8_t		opaque_key[IPC_KEY_LEN];
};

/*
 * Fill a request of type IPC_RELOAD_REQUEST, IPC_SHUTDOWN_REQUEST or
 * IPC_SHUTDOWN_LOGOFF_REQUEST.
 */
void	ipc_parent_request_init(struct ipc_parent_request *req,
	    enum ipc_type type, uint32_t uid, int32_t pid);

/* Check and copy out a parent request of any type; 0 or -EBADMSG. */
int	ipc_parent_request_decode(const void *buf, size_t len,
	    struct ipc_parent_request *req);

void	ipc_reload_result_init(struct ipc_reload_result *msg, uint32_t seq,
	    enum ipc_reload_outcome outcome);

/* Check and copy out a reload result; 0 or -EBADMSG. */
int	ipc_reload_result_decode(const void *buf, size_t len,
	    struct ipc_reload_result *msg);

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

/*
 * Fill a session message of the given type. Returns 0, or -ENAMETOOLONG
 * when a string does not fit (never truncated).
 */
int	ipc_session_init(struct ipc_session *msg, enum ipc_type type,
	    uint64_t id, const char *user, const char *group,
	    const char *pool);

/*
 * Check a session message of any of the three types and copy it out.
 * An IPC_SESSION_UP must name a user, a group and a pool. 0 or -EBADMSG.
 */
int	ipc_session_decode(const void *buf, size_t len,
	    struct ipc_session *msg);

int	ipc_config_decode(const void *buf, size_t len, struct ipc_config *msg);
int	ipc_start_decode(const void *buf, size_t len, struct ipc_start *msg);

/* Fill a ban; returns 0 or -ENAMETOOLONG. */
int	ipc_ban_init(struct ipc_ban *msg, const char *address,
	    const char *user, int64_t until);

/*
 * Check a ban and copy it out: both strings terminated, an address,
 * and until not negative. 0 or -EBADMSG.
 */
int	ipc_ban_decode(const void *buf, size_t len, struct ipc_ban *msg);

void	ipc_bans_init(struct ipc_bans *msg, uint64_t count);

/* Check and copy out the bans message; 0 or -EBADMSG. */
int	ipc_bans_decode(const void *buf, size_t len, struct ipc_bans *msg);

/* Fill a reply; a message that does not fit is cut short. */
void	ipc_config_applied_init(struct ipc_config_applied *msg, int result,
	    const char *message);
int	ipc_config_applied_decode(const void *buf, size_t len,
	    struct ipc_config_applied *msg);

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
