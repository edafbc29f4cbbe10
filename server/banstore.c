/* The parent's copy of the bans, declared in banstore.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "banstore.h"
#include "log.h"
#include "regfile.h"

struct banstore {
	struct ipc_ban	*bans;
	size_t		count;
	size_t		size;		/* allocated */

	/* The ban file, when banstore_persist set one. */
	struct event	*save;		/* a change waits for it */
	char		path[PATH_MAX];
	uint8_t		key[BANFILE_KEY_LEN];
	bool		save_failing;	/* the last write failed (logged) */
};

struct banstore *
banstore_new(void)
{
	return (calloc(1, sizeof(struct banstore)));
}

void
banstore_free(struct banstore *bs)
{
	if (bs == NULL)
		return;
	if (bs->save != NULL)
		event_free(bs->save);
	OPENSSL_cleanse(bs->key, sizeof(bs->key));
	free(bs->bans);
	free(bs);
}

size_t
banstore_count(const struct banstore *bs)
{
	return (bs->count);
}

/*
 * Drop the bans of address, or with address NULL those that ended by now.
 * The last ban moves into each hole.
 */
static void
banstore_drop_if(struct banstore *bs, const char *address, time_t now)
{
	size_t i = 0;

	while (i < bs->count) {
		const struct ipc_ban *b = &bs->bans[i];
		bool drop = address != NULL ?
		    strcmp(b->address, address) == 0 : b->until <= now;

		if (drop)
			bs->bans[i] = bs->bans[--bs->count];
		else
			i++;
	}
}

static struct ipc_ban *
banstore_find(struct banstore *bs, const struct ipc_ban *msg)
{
	size_t i;

	for (i = 0; i < bs->count; i++) {
		if (strcmp(bs->bans[i].address, msg->address) == 0 &&
		    strcmp(bs->bans[i].user, msg->user) == 0)
			return (&bs->bans[i]);
	}
	return (NULL);
}

/* Return a free slot: a new one, or the ban that ends first when full. */
static struct ipc_ban *
banstore_slot(struct banstore *bs)
{
	struct ipc_ban *grown, *first;
	size_t i, size;

	if (bs->count == BANSTORE_MAX) {
		first = &bs->bans[0];
		for (i = 1; i < bs->count; i++) {
			if (bs->bans[i].until < first->until)
				first = &bs->bans[i];
		}
		return (first);
	}
	if (bs->count == bs->size) {
		size = bs->size == 0 ? 16 : bs->size * 2;
		if (size > BANSTORE_MAX)
			size = BANSTORE_MAX;
		grown = reallocarray(bs->bans, size, sizeof(*grown));
		if (grown == NULL)
			return (NULL);
		bs->bans = grown;
		bs->size = size;
	}
	return (&bs->bans[bs->count++]);
}

/* Have the ban file written soon, when there is one. */
static void
banstore_changed(struct banstore *bs)
{
	static const struct timeval delay = { BANSTORE_SAVE_DELAY, 0 };

	if (bs->save != NULL && !evtimer_pending(bs->save, NULL))
		evtimer_add(bs->save, &delay);
}

int
banstore_record(struct banstore *bs, const struct ipc_ban *msg, time_t now)
{
	struct ipc_ban *slot;

	banstore_drop_if(bs, NULL, now);
	if (msg->until == 0) {
		banstore_drop_if(bs, msg->address, now);
		banstore_changed(bs);
		return (0);
	}
	if (msg->until <= now)
		return (0);
	if ((slot = banstore_find(bs, msg)) == NULL &&
	    (slot = banstore_slot(bs)) == NULL)
		return (-ENOMEM);
	*slot = *msg;
	banstore_changed(bs);
	return (0);
}

int
banstore_export(struct banstore *bs, time_t now, uint64_t *count)
{
	size_t len;
	int fd;

	*count = 0;
	banstore_drop_if(bs, NULL, now);
	if (bs->count == 0)
		return (-1);
	if ((fd = memfd_create("headend-bans", MFD_CLOEXEC)) < 0) {
		log_warn("memfd_create for the bans to restore failed");
		return (-1);
	}
	len = bs->count * sizeof(bs->bans[0]);
	if (write(fd, bs->bans, len) != (ssize_t)len) {
		log_warnx("cannot pass the bans to the network process: %s",
		    errno != 0 ? strerror(errno) : "short write");
		close(fd);
		return (-1);
	}
	*count = bs->count;
	return (fd);
}

/* ---- the ban file ---- */

/* Write len bytes of buf to a new file at tmp and move it to path. */
static int
banstore_write_file(const char *path, const char *tmp, const uint8_t *buf,
    size_t len)
{
	ssize_t n = -1;
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return (-errno);
	if ((n = write(fd, buf, len)) != (ssize_t)len)
		rc = n < 0 ? -errno : -EIO;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	else
		regfile_dir_sync(path);
	return (rc);
}

/* Encode the bans and write them. Returns 0 or -errno. */
static int
banstore_save_now(struct banstore *bs)
{
	char tmp[PATH_MAX + 8];
	uint8_t *buf;
	size_t len;
	long n;
	int rc;

	banstore_drop_if(bs, NULL, time(NULL));
	len = banfile_size(bs->bans, bs->count);
	if ((buf = malloc(len)) == NULL)
		return (-ENOMEM);
	n = banfile_encode(bs->bans, bs->count, bs->key, buf, len);
	if (n < 0) {
		free(buf);
		return ((int)n);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", bs->path);
	rc = banstore_write_file(bs->path, tmp, buf, (size_t)n);
	free(buf);
	return (rc);
}

/* Write the file, and log the first failure and the recovery. */
static void
banstore_save(struct banstore *bs)
{
	int rc = banstore_save_now(bs);

	if (rc != 0 && !bs->save_failing)
		log_warnx("cannot write the ban file %s: %s; a restart of "
		    "headend would lift the bans since the last write "
		    "(retried on the next ban)", bs->path, strerror(-rc));
	else if (rc == 0 && bs->save_failing)
		log_info("the ban file %s is written again", bs->path);
	bs->save_failing = rc != 0;
}

static void
banstore_save_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	banstore_save(arg);
}

void
banstore_close_in_child(struct banstore *bs)
{
	if (bs != NULL)
		OPENSSL_cleanse(bs->key, sizeof(bs->key));
}

void
banstore_flush(struct banstore *bs)
{
	if (bs->save == NULL || !evtimer_pending(bs->save, NULL))
		return;
	evtimer_del(bs->save);
	banstore_save(bs);
}

struct banstore_load {
	struct banstore	*bs;
	time_t		now;
	size_t		kept;
};

static void
banstore_load_one(const struct ipc_ban *ban, void *arg)
{
	struct banstore_load *load = arg;

	if (ban->until > load->now &&
	    banstore_record(load->bs, ban, load->now) == 0)
		load->kept++;
}

/* Take the running bans of the ban file, and log any problem. */
static void
banstore_load(struct banstore *bs, time_t now)
{
	struct banstore_load load = { bs, now, 0 };
	const char *reason = NULL;
	uint8_t *buf = NULL;
	size_t len;
	long rc;

	rc = regfile_read_all(bs->path, BANFILE_SIZE_MAX, &buf, &len);
	if (rc < 0) {
		if (rc != -ENOENT)
			log_warnx("cannot read the ban file %s: %s; headend "
			    "starts without its bans", bs->path, rc == -EFBIG ?
			    "larger than a ban file can be" :
			    regfile_strerror((int)-rc));
		return;
	}
	rc = banfile_decode(buf, len, bs->key, banstore_load_one, &load,
	    &reason);
	free(buf);
	if (rc < 0) {
		log_warnx("ignoring the ban file %s: %s; headend starts "
		    "without its bans", bs->path, reason != NULL ? reason :
		    "HMAC-SHA256 failed");
		return;
	}
	if (load.kept > 0)
		log_info("restored %zu ban(s) from %s", load.kept, bs->path);
}

int
banstore_persist(struct banstore *bs, struct event_base *base,
    const char *path, const uint8_t key[BANFILE_KEY_LEN], time_t now)
{
	snprintf(bs->path, sizeof(bs->path), "%s", path);
	memcpy(bs->key, key, sizeof(bs->key));
	banstore_load(bs, now);

	/* Set after the load, so that the bans read do not rewrite it. */
	if ((bs->save = evtimer_new(base, banstore_save_cb, bs)) == NULL)
		return (-ENOMEM);
	return (0);
}
