/* The authd process declared in authd.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* for the strerror_r that returns a string */
#endif

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "authd.h"
#include "ipc.h"
#include "log.h"
#include "regfile.h"
#include "userfile.h"

/*
 * PAM modules may take seconds per request (pam_unix delays every
 * failure), so a few threads keep one slow check from holding up others.
 * NOTE: this assumes that the modules of the PAM service are thread-safe.
 */
#define AUTHD_WORKERS		4

/* Niceness added to the password check threads. */
#define AUTHD_NICE_STEP		10

/*
 * Requests received but not yet picked up by a worker. When the queue is
 * full, authd stops reading the socket until a worker is free.
 */
#define AUTHD_QUEUE_MAX		64

#define AUTHD_DENIED_CREDENTIALS	"wrong password or unknown user"

/*
 * Every login reads the user file again, so a malformed line that the
 * lookups skip is logged once per tunnel-group in this many seconds, or
 * at once when the first malformed line moves.
 */
#define AUTHD_SKIPPED_LINE_INTERVAL	600

_Static_assert(USERFILE_NAME_MAX < IPC_USER_MAX,
    "a valid username must fit into a request");
_Static_assert(USERFILE_PASSWORD_MAX < IPC_PASSWORD_MAX,
    "a valid password must fit into a request");

struct authd_queue {
	pthread_mutex_t	lock;
	pthread_cond_t	nonempty;
	pthread_cond_t	nonfull;
	struct ipc_auth_request items[AUTHD_QUEUE_MAX];
	size_t		head;	/* index of the oldest request */
	size_t		count;
	bool		closed;	/* no more requests will come */
};

struct authd {
	const struct config *cfg;
	int		sock;
	pthread_mutex_t	send_lock;
	struct authd_queue queue;
	pthread_t	workers[AUTHD_WORKERS];
};

/* The decision on one request. */
struct authd_result {
	enum ipc_auth_result result;
	char		message[IPC_MESSAGE_MAX];	/* "" for success */
};

/* The last warning about a skipped user file line, per tunnel-group. */
struct authd_skip_warning {
	struct timespec	at;		/* CLOCK_MONOTONIC */
	unsigned long	line;		/* 0 before the first warning */
};

static pthread_mutex_t authd_skip_lock = PTHREAD_MUTEX_INITIALIZER;
static struct authd_skip_warning authd_skip_warnings[CONFIG_MAX_TGROUPS];

/* Replies of the PAM conversation function to the modules' prompts. */
struct authd_credentials {
	const char	*user;
	const char	*password;
};

static void __attribute__((format(printf, 3, 4)))
authd_result_set(struct authd_result *res, enum ipc_auth_result result,
    const char *fmt, ...)
{
	va_list ap;

	res->result = result;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* strerror for the worker threads, where strerror is not safe. */
static const char *
authd_strerror(int err, char *buf, size_t size)
{
	if (err == REGFILE_ENOTREG)
		return ("not a regular file");
	return strerror_r(err, buf, size);
}

static void
authd_queue_push(struct authd_queue *q, const struct ipc_auth_request *req)
{
	pthread_mutex_lock(&q->lock);
	while (q->count == AUTHD_QUEUE_MAX)
		pthread_cond_wait(&q->nonfull, &q->lock);

	q->items[(q->head + q->count) % AUTHD_QUEUE_MAX] = *req;
	q->count++;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

/*
 * Take the oldest request and wipe its slot, which contains a password.
 * Returns false once the queue is closed and empty.
 */
static bool
authd_queue_pop(struct authd_queue *q, struct ipc_auth_request *req)
{
	struct ipc_auth_request *slot;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed)
		pthread_cond_wait(&q->nonempty, &q->lock);
	if (q->count == 0) {
		pthread_mutex_unlock(&q->lock);
		return false;
	}

	slot = &q->items[q->head];
	*req = *slot;
	explicit_bzero(slot, sizeof(*slot));
	q->head = (q->head + 1) % AUTHD_QUEUE_MAX;
	q->count--;
	pthread_cond_signal(&q->nonfull);
	pthread_mutex_unlock(&q->lock);
	return true;
}

/* Let the workers finish what is queued and then return. */
static void
authd_queue_close(struct authd_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

/*
 * Deny invalid credentials before a backend sees them. A space is invalid
 * because VPN clients on phones cannot send one, so the user cannot have
 * typed it there. Returns false and fills res when the request is denied.
 */
static bool
authd_credentials_check(const struct ipc_auth_request *req,
    struct authd_result *res)
{
	if (strchr(req->user, ' ') != NULL)
		authd_result_set(res, IPC_AUTH_DENIED,
		    "username contains a space");
	else if (!userfile_name_valid(req->user))
		authd_result_set(res, IPC_AUTH_DENIED, "invalid username: "
		    "empty, or containing ':' or control characters");
	else if (strchr(req->password, ' ') != NULL)
		authd_result_set(res, IPC_AUTH_DENIED,
		    "password contains a space");
	else if (!userfile_password_valid(req->password))
		authd_result_set(res, IPC_AUTH_DENIED, "invalid password: "
		    "empty, or containing control characters");
	else
		return true;

	return false;
}

/* Return whether the skipped line is to be logged now. */
static bool
authd_skip_warning_due(size_t index, unsigned long line)
{
	struct authd_skip_warning *w = &authd_skip_warnings[index];
	struct timespec now;
	bool due;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&authd_skip_lock);
	due = w->line != line ||
	    now.tv_sec - w->at.tv_sec >= AUTHD_SKIPPED_LINE_INTERVAL;
	if (due) {
		w->line = line;
		w->at = now;
	}
	pthread_mutex_unlock(&authd_skip_lock);
	return due;
}

/* Warn about a malformed line that the lookup skipped. */
static void
authd_skipped_line_log(const struct config *cfg,
    const struct config_tgroup *tg, const struct userfile_problem *problem)
{
	size_t index = (size_t)(tg - cfg->tgroups);

	if (problem->line == 0 || index >= CONFIG_MAX_TGROUPS ||
	    !authd_skip_warning_due(index, problem->line))
		return;

	log_warnx("tunnel-group %s: line %lu of user file %s is malformed "
	    "(%s), so no login uses it (malformed lines in the file: %lu). "
	    "Write \"username:hash\" or start the line with '#'", tg->name,
	    problem->line, tg->user_file, problem->reason, problem->count);
}

static void
authd_check_userfile(const struct config *cfg,
    const struct config_tgroup *tg, const struct ipc_auth_request *req,
    struct authd_result *res)
{
	struct userfile_problem problem;
	char errbuf[128];
	int rc;

	rc = userfile_verify_report(tg->user_file, req->user, req->password,
	    &problem);
	if (rc == 0 || rc == -EACCES)
		authd_skipped_line_log(cfg, tg, &problem);

	if (rc == 0)
		authd_result_set(res, IPC_AUTH_OK, "%s", "");
	else if (rc == -EACCES)
		authd_result_set(res, IPC_AUTH_DENIED, "%s",
		    AUTHD_DENIED_CREDENTIALS);
	else if (rc == -EBADMSG)
		authd_result_set(res, IPC_AUTH_ERROR, "line %lu of user file "
		    "%s belongs to this user and is unusable: %s. Edit or "
		    "delete the line by hand",
		    problem.line, tg->user_file, problem.reason);
	else
		authd_result_set(res, IPC_AUTH_ERROR, "cannot read user file "
		    "%s: %s", tg->user_file,
		    authd_strerror(-rc, errbuf, sizeof(errbuf)));
}

/* Free the first count responses, wiping the ones that hold a password. */
static void
authd_pam_responses_free(struct pam_response *replies, int count)
{
	int i;

	for (i = 0; i < count; i++) {
		if (replies[i].resp == NULL)
			continue;
		explicit_bzero(replies[i].resp, strlen(replies[i].resp));
		free(replies[i].resp);
	}

	free(replies);
}

static int
authd_pam_answer(const struct pam_message *msg, struct pam_response *reply,
    const struct authd_credentials *cred)
{
	const char *text;

	switch (msg->msg_style) {
	case PAM_PROMPT_ECHO_OFF:
		text = cred->password;
		break;
	case PAM_PROMPT_ECHO_ON:
		text = cred->user;
		break;
	case PAM_ERROR_MSG:
	case PAM_TEXT_INFO:
		return PAM_SUCCESS;
	default:
		return PAM_CONV_ERR;
	}

	reply->resp = strdup(text);
	if (reply->resp == NULL)
		return PAM_BUF_ERR;

	return PAM_SUCCESS;
}

/*
 * The conversation function. No one can be asked interactively, so a
 * hidden prompt gets the password, a visible one the username, and
 * messages for the user are dropped.
 */
static int
authd_pam_conv(int count, const struct pam_message **msgs,
    struct pam_response **replies, void *arg)
{
	const struct authd_credentials *cred = arg;
	struct pam_response *out;
	int i, rc;

	if (count <= 0 || count > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;

	out = calloc((size_t)count, sizeof(*out));
	if (out == NULL)
		return PAM_BUF_ERR;

	for (i = 0; i < count; i++) {
		rc = authd_pam_answer(msgs[i], &out[i], cred);
		if (rc != PAM_SUCCESS) {
			authd_pam_responses_free(out, i + 1);
			return rc;
		}
	}

	*replies = out;
	return PAM_SUCCESS;
}

/* Turn the status of pam_authenticate or pam_acct_mgmt into a result. */
static void
authd_pam_result(const struct config_tgroup *tg, pam_handle_t *pamh,
    int status, struct authd_result *res)
{
	switch (status) {
	case PAM_SUCCESS:
		authd_result_set(res, IPC_AUTH_OK, "%s", "");
		break;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_MAXTRIES:
		authd_result_set(res, IPC_AUTH_DENIED, "%s",
		    AUTHD_DENIED_CREDENTIALS);
		break;
	case PAM_ACCT_EXPIRED:
		authd_result_set(res, IPC_AUTH_DENIED, "account expired");
		break;
	case PAM_NEW_AUTHTOK_REQD:
		authd_result_set(res, IPC_AUTH_DENIED,
		    "password expired and must be changed");
		break;
	case PAM_PERM_DENIED:
		authd_result_set(res, IPC_AUTH_DENIED,
		    "access denied by the PAM account rules");
		break;
	default:
		authd_result_set(res, IPC_AUTH_ERROR, "PAM service %s: %s",
		    tg->pam_service, pam_strerror(pamh, status));
		break;
	}
}

static void
authd_check_pam(const struct config_tgroup *tg,
    const struct ipc_auth_request *req, struct authd_result *res)
{
	struct authd_credentials cred = { req->user, req->password };
	struct pam_conv conv = { authd_pam_conv, &cred };
	pam_handle_t *pamh = NULL;
	int status;

	status = pam_start(tg->pam_service, req->user, &conv, &pamh);
	if (status != PAM_SUCCESS) {
		authd_result_set(res, IPC_AUTH_ERROR, "PAM service %s: "
		    "pam_start failed: %s", tg->pam_service,
		    pam_strerror(pamh, status));
		if (pamh != NULL)
			pam_end(pamh, status);
		return;
	}

	status = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
	if (status == PAM_SUCCESS)
		status = pam_acct_mgmt(pamh, 0);

	authd_pam_result(tg, pamh, status, res);
	pam_end(pamh, status);
}

/*
 * Copy a name from the network for the log, replacing spaces and control
 * characters with '?' so that a name cannot forge log fields or lines.
 */
static void
authd_log_name(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c <= ' ' || c == 0x7f) ? '?' : (char)c;
	}

	dst[i] = '\0';
}

static void
authd_log_result(const struct ipc_auth_request *req,
    const struct authd_result *res)
{
	static const char *const names[] = {
		[IPC_AUTH_OK] = "ok",
		[IPC_AUTH_DENIED] = "denied",
		[IPC_AUTH_ERROR] = "error",
	};
	char user[IPC_USER_MAX], group[IPC_GROUP_MAX];

	authd_log_name(user, sizeof(user), req->user);
	authd_log_name(group, sizeof(group), req->group);
	if (res->result == IPC_AUTH_OK)
		log_info("user=%s group=%s result=ok", user, group);
	else if (res->result == IPC_AUTH_DENIED)
		log_info("user=%s group=%s result=denied (%s)", user, group,
		    res->message);
	else
		log_warnx("user=%s group=%s result=%s (%s)", user, group,
		    names[res->result], res->message);
}

/* Decide on one request; the network process chose only the group. */
static void
authd_check(const struct config *cfg, const struct ipc_auth_request *req,
    struct authd_result *res)
{
	const struct config_tgroup *tg;

	tg = config_find_tgroup(cfg, req->group);
	if (tg == NULL) {
		authd_result_set(res, IPC_AUTH_ERROR, "unknown tunnel-group");
		return;
	}

	if (!authd_credentials_check(req, res))
		return;

	switch (tg->backend) {
	case PASSWORD_USER_FILE:
		authd_check_userfile(cfg, tg, req, res);
		break;
	case PASSWORD_PAM:
		authd_check_pam(tg, req, res);
		break;
	default:
		authd_result_set(res, IPC_AUTH_ERROR,
		    "unsupported password backend %d", (int)tg->backend);
		break;
	}
}

static void
authd_reply_send(struct authd *ad, uint32_t id,
    const struct authd_result *res)
{
	struct ipc_auth_reply rep;
	char errbuf[128];
	int rc;

	/* res->message is a terminated IPC_MESSAGE_MAX array, so it fits. */
	ipc_auth_reply_init(&rep, id, res->result, res->message);

	pthread_mutex_lock(&ad->send_lock);
	rc = ipc_send(ad->sock, &rep, sizeof(rep), -1);
	pthread_mutex_unlock(&ad->send_lock);

	/* A closed peer also shows as end of file to the reading thread. */
	if (rc == -EPIPE || rc == -ECONNRESET)
		log_debug("reply id=%u dropped: network process is gone", id);
	else if (rc != 0)
		fatalx("cannot send the reply for request id=%u: %s", id,
		    authd_strerror(-rc, errbuf, sizeof(errbuf)));
}

/*
 * Lower this thread's priority (nice applies per thread on Linux). On a
 * shared core, the network process then runs its TLS handshakes (10 s
 * timeout by default) and its tunnels' voice before the password checks,
 * whose deadline is the phones' 30 s.
 */
static void
authd_worker_yield(void)
{
	errno = 0;
	if (nice(AUTHD_NICE_STEP) == -1 && errno != 0)
		log_warn("nice failed for a password check thread, so "
		    "checks run at the priority of TLS handshakes");
}

static void *
authd_worker(void *arg)
{
	struct authd *ad = arg;
	struct ipc_auth_request req;
	struct authd_result res;
	uint32_t id;

	authd_worker_yield();
	while (authd_queue_pop(&ad->queue, &req)) {
		memset(&res, 0, sizeof(res));
		authd_check(ad->cfg, &req, &res);
		authd_log_result(&req, &res);
		id = req.id;
		explicit_bzero(&req, sizeof(req));
		authd_reply_send(ad, id, &res);
	}

	return NULL;
}

static struct authd *
authd_new(const struct config *cfg, int sock)
{
	struct authd *ad;

	ad = calloc(1, sizeof(*ad));
	if (ad == NULL)
		fatal("cannot allocate the request queue");

	ad->cfg = cfg;
	ad->sock = sock;
	pthread_mutex_init(&ad->send_lock, NULL);
	pthread_mutex_init(&ad->queue.lock, NULL);
	pthread_cond_init(&ad->queue.nonempty, NULL);
	pthread_cond_init(&ad->queue.nonfull, NULL);
	return ad;
}

static void
authd_workers_start(struct authd *ad)
{
	int i, rc;

	for (i = 0; i < AUTHD_WORKERS; i++) {
		rc = pthread_create(&ad->workers[i], NULL, authd_worker, ad);
		if (rc != 0) {
			errno = rc;
			fatal("cannot start worker thread %d", i);
		}
	}
}

/*
 * Receive and check one request. Returns false at end of file, and ends
 * the process on anything the network process should never send.
 */
static bool
authd_request_read(int sock, struct ipc_auth_request *req)
{
	union {
		struct ipc_auth_request	req;
		char			bytes[sizeof(struct ipc_auth_request)];
	} buf;
	int len, type;

	/* A network process that died with requests unread resets. */
	len = ipc_recv(sock, buf.bytes, sizeof(buf.bytes), NULL);
	if (len == 0 || len == -ECONNRESET)
		return false;
	if (len == -EBADMSG)
		fatalx("malformed message from the network process "
		    "(truncated or with a descriptor), exiting");
	if (len < 0) {
		errno = -len;
		fatal("cannot receive a request");
	}

	type = ipc_message_type(buf.bytes, (size_t)len);
	if (type < 0)
		fatalx("malformed message header (%d bytes) from the network "
		    "process, exiting", len);
	if (type != IPC_AUTH_REQUEST)
		fatalx("unexpected message (type %d, %d bytes) from the "
		    "network process, exiting", type, len);

	if (ipc_auth_request_decode(buf.bytes, (size_t)len, req) != 0) {
		explicit_bzero(&buf, sizeof(buf));
		fatalx("malformed auth request (%d bytes), exiting", len);
	}

	explicit_bzero(&buf, sizeof(buf));
	return true;
}

void
authd_main(const struct config *cfg, int sock)
{
	struct ipc_auth_request req;
	struct authd *ad;
	int i;

	log_set_role("authd");
	ad = authd_new(cfg, sock);
	authd_workers_start(ad);
	log_info("ready: %d worker threads", AUTHD_WORKERS);

	while (authd_request_read(sock, &req)) {
		authd_queue_push(&ad->queue, &req);
		explicit_bzero(&req, sizeof(req));
	}

	/*
	 * The workers finish the requests still queued and end. After a
	 * reload there are none: the network process closes a replaced
	 * authd's socket once every request sent to it has a reply.
	 */
	log_info("the network process closed the connection, exiting");
	authd_queue_close(&ad->queue);
	for (i = 0; i < AUTHD_WORKERS; i++)
		pthread_join(ad->workers[i], NULL);
	exit(0);
}
