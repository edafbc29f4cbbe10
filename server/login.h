/*
 * Logins: the XML aggregate-auth exchange of AnyConnect and openconnect,
 * and the steps every login flow shares. The first request of a login
 * selects the tunnel-group through its group-urls; later requests find
 * the login again through the signed opaque handle or the webvpncontext
 * cookie, so they stay in that group whatever path they are posted to.
 */
#ifndef HEADEND_LOGIN_H
#define HEADEND_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "cert.h"
#include "config.h"
#include "ipc.h"
#include "session.h"

#define LOGIN_HANDLE_LEN	16	/* random bytes of a login handle */
#define LOGIN_HANDLE_TEXT	(2 * LOGIN_HANDLE_LEN + 1)

struct conn;
struct login;
struct netproc;
struct http_request;
struct route;
struct session;

/* Receives authd's reply to login_authenticate. */
typedef void login_done_fn(struct login *lg, struct conn *c,
    enum ipc_auth_result result, const char *message);

/*
 * A login in progress, between its first request and its cookie. The XML
 * flow keeps one across requests; the phone and legacy flows keep one
 * while their single POST waits for authd.
 */
struct login {
	char		lg_handle[LOGIN_HANDLE_TEXT];
	size_t		lg_tgroup;
	char		lg_path[CONFIG_URL_MAX];	/* form action */
	unsigned	lg_failures;
	bool		lg_banned;	/* a ban refused it: no other count */
	struct conn	*lg_conn;	/* waiting for authd, or NULL */
	bool		lg_checking;	/* an authd request is out */
	bool		lg_waiting;	/* queued for a place to check */
	bool		lg_resumable;	/* XML: may go on on a new connection */
	int64_t		lg_request;
	char		lg_checked[IPC_USER_MAX];	/* its username */
	char		*lg_password;	/* while queued; see loginwait.h */
	struct event	*lg_wait_timer;	/* ends the wait */
	TAILQ_ENTRY(login) lg_wait_entry;
	login_done_fn	*lg_done;	/* gets authd's answer */
	char		lg_user[IPC_USER_MAX];
	char		lg_agent[128];	/* User-Agent of the first request */
	char		lg_source[SESSION_PEER_MAX];	/* client address */
	struct cert_identity lg_cert;	/* ci_user "" without a certificate */
	struct event	*lg_expire;
	struct netproc	*lg_np;
	TAILQ_ENTRY(login) lg_entry;
	struct login	*lg_next_by_handle;
};

int	login_init(struct netproc *np);

/* Mark the tunnel-groups of the logins in progress, for a reload. */
void	login_mark_tgroups(bool used[CONFIG_MAX_TGROUPS]);

/* Answer a GET or POST (anything but CONNECT). */
void	login_handle(struct conn *c, const struct http_request *req);

/*
 * The connection of a login that waits for authd or in the queue is gone.
 * A queued login that no other connection can go on with ends here.
 */
void	login_conn_gone(struct login *lg);

/* The number of logins in progress, for the status socket. */
size_t	login_count(void);

/*
 * Start the password check of a queued login when its pair has room, or
 * respond with the ban when it got banned meanwhile. Returns false,
 * changing nothing, when it must wait on. Otherwise it left the queue.
 */
bool	login_wait_resume(struct login *lg);

/* Respond "try again later" to a login queued LOGINWAIT_TIMEOUT seconds. */
void	login_wait_expired(struct login *lg);

/*
 * Start a login in the group that rt selected. Returns NULL after
 * sending 503 when too many logins are in progress or memory is short.
 */
struct login *login_create(struct conn *c, const struct http_request *req,
	    const struct route *rt);
void	login_destroy(struct login *lg);

/* The steps below are shared by the XML, phone and legacy flows. */

/*
 * Verify the connection's client certificate for the login's group and,
 * when it is valid, take the username from it. Logs the outcome and
 * returns as cert_verify does.
 */
int	login_verify_cert(struct login *lg, struct conn *c);

/* The credentials of a form POST, from a phone or a legacy client. */
struct login_form {
	char	lf_user[IPC_USER_MAX];
	bool	lf_has_user;
	char	lf_password[IPC_PASSWORD_MAX];
	bool	lf_has_password;
};

/*
 * Decode the username and password fields of an URL-encoded body; other
 * fields, such as a phone's Login=Login, are ignored. Returns 0 with
 * absent fields marked as such, -EINVAL when the body is malformed or a
 * field is sent twice, or -E2BIG when a value is too long. Never
 * truncates. Wipe *f after use.
 */
int	login_form_parse(const void *body, size_t len, struct login_form *f);

/* The reason given for a username or password longer than its limit. */
extern const char login_too_long[];

/* Why user and password cannot be valid, or NULL when they may be. */
const char *login_credentials_problem(const char *user,
	    const char *password);

/*
 * Ask authd about user and password; done gets the reply. Returns 0,
 * or -errno after logging when authd cannot be asked.
 */
int	login_authenticate(struct login *lg, struct conn *c, const char *user,
	    const char *password, login_done_fn *done);

/*
 * Lease an address and create the session of a successful login. When
 * the user is at the simultaneous-logins limit of the group-policy, the
 * user's oldest session in the group ends first, or the login is
 * rejected. Returns 0 and the session in *out, -EDQUOT when the limit
 * rejects the login, -EUSERS when a max-sessions limit does, -ENOSPC
 * when the pool is exhausted, or -ENOMEM, after logging. The login
 * itself is left to the caller.
 */
int	login_open_session(struct login *lg, struct conn *c,
	    struct session **out);

#endif
