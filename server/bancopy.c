/* The network process's side of the copy of the bans, in bancopy.h. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ban.h"
#include "bancopy.h"
#include "banstore.h"
#include "ipc.h"
#include "log.h"
#include "netproc.h"
#include "parentc.h"

_Static_assert(IPC_ADDR_MAX == BAN_ADDR_MAX && IPC_USER_MAX == BAN_USER_MAX,
    "a ban's names fit the IPC message");

/* Restore each ban of the memfd; one that no longer fits is skipped. */
static void
bancopy_restore(struct netproc *np, int fd, uint64_t count)
{
	struct ipc_ban buf, msg;
	time_t now = time(NULL);
	size_t restored = 0;
	uint64_t i;

	if (count > BANSTORE_MAX || lseek(fd, 0, SEEK_SET) != 0)
		fatalx("the parent's bans to restore are unreadable");
	for (i = 0; i < count; i++) {
		if (read(fd, &buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    ipc_ban_decode(&buf, sizeof(buf), &msg) != 0)
			fatalx("malformed ban %llu of the parent's bans to "
			    "restore", (unsigned long long)i);
		if (msg.until > now && ban_restore(np->bans, msg.address,
		    msg.user, (time_t)msg.until, now) == 0)
			restored++;
	}
	if (restored > 0)
		log_notice("restored %zu ban(s) that an earlier network "
		    "process started", restored);
}

void
bancopy_receive(struct netproc *np, int fd)
{
	struct ipc_bans buf, msg;
	int len, memfd;

	do {
		len = ipc_recv(fd, &buf, sizeof(buf), &memfd);
	} while (len == -EINTR);
	if (len <= 0 || ipc_bans_decode(&buf, (size_t)len, &msg) != 0)
		fatalx("no valid bans message from the parent: "
		    "desynchronized");
	if (memfd < 0)
		return;
	bancopy_restore(np, memfd, msg.count);
	close(memfd);
}

static void
bancopy_send(struct netproc *np, const char *address, const char *user,
    time_t until)
{
	struct ipc_ban msg;
	int rc;

	/* -EPIPE: the parent is gone; -EBADF: there is none, as in tests. */
	if ((rc = ipc_ban_init(&msg, address, user, until)) == 0)
		rc = parentc_send(np, &msg, sizeof(msg));
	if (rc != 0 && rc != -EPIPE && rc != -EBADF)
		log_warnx("cannot report the ban of %s to the parent, so a "
		    "restart of the network process would lift it: %s",
		    address, strerror(-rc));
}

void
bancopy_report_started(struct netproc *np, const char *address,
    const char *user, time_t now)
{
	time_t until;

	if ((until = ban_until(np->bans, address, user, now)) != 0)
		bancopy_send(np, address, user, until);
	if ((until = ban_until(np->bans, address, "", now)) != 0)
		bancopy_send(np, address, "", until);
}

void
bancopy_report_lifted(struct netproc *np, const char *address)
{
	bancopy_send(np, address, "", 0);
}
