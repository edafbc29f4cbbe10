/* The parent's copy of the bans, declared in banstore.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "banstore.h"
#include "log.h"

struct banstore {
	struct ipc_ban	*bans;
	size_t		count;
	size_t		size;		/* allocated */
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

int
banstore_record(struct banstore *bs, const struct ipc_ban *msg, time_t now)
{
	struct ipc_ban *slot;

	banstore_drop_if(bs, NULL, now);
	if (msg->until == 0) {
		banstore_drop_if(bs, msg->address, now);
		return (0);
	}
	if (msg->until <= now)
		return (0);
	if ((slot = banstore_find(bs, msg)) == NULL &&
	    (slot = banstore_slot(bs)) == NULL)
		return (-ENOMEM);
	*slot = *msg;
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
