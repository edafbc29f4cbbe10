/* Unit tests for the parent's copy of the bans in server/banstore.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "banstore.h"
#include "ipc.h"

static const uint8_t FILE_KEY[BANFILE_KEY_LEN] = { 7, 7, 7 };
static const uint8_t OTHER_KEY[BANFILE_KEY_LEN] = { 8 };

static int
setup(void **state)
{
	*state = banstore_new();
	return (*state == NULL);
}

static int
teardown(void **state)
{
	banstore_free(*state);
	return (0);
}

static void
record(struct banstore *bs, const char *address, const char *user,
    int64_t until, time_t now)
{
	struct ipc_ban msg;

	assert_int_equal(ipc_ban_init(&msg, address, user, until), 0);
	assert_int_equal(banstore_record(bs, &msg, now), 0);
}

/* Read back the bans that banstore_export wrote; returns how many. */
static size_t
export(struct banstore *bs, time_t now, struct ipc_ban *out, size_t max)
{
	uint64_t count;
	size_t i;
	int fd = banstore_export(bs, now, &count);

	if (fd < 0) {
		assert_int_equal(count, 0);
		return (0);
	}
	assert_true(count <= max);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	for (i = 0; i < count; i++) {
		assert_int_equal(read(fd, &out[i], sizeof(out[i])),
		    sizeof(out[i]));
		assert_int_equal(ipc_ban_decode(&out[i], sizeof(out[i]),
		    &out[i]), 0);
	}
	close(fd);
	return ((size_t)count);
}

static void
test_export_running_bans(void **state)
{
	struct banstore *bs = *state;
	struct ipc_ban out[4];

	record(bs, "198.18.0.2", "alice", 400, 100);
	record(bs, "198.18.0.3", "", 150, 100);
	assert_int_equal(export(bs, 120, out, 4), 2);

	/* At 200 the address ban has ended and is not handed on. */
	assert_int_equal(export(bs, 200, out, 4), 1);
	assert_string_equal(out[0].address, "198.18.0.2");
	assert_string_equal(out[0].user, "alice");
	assert_int_equal(out[0].until, 400);
}

static void
test_same_pair_replaced(void **state)
{
	struct banstore *bs = *state;
	struct ipc_ban out[2];

	record(bs, "198.18.0.2", "alice", 400, 100);
	record(bs, "198.18.0.2", "alice", 700, 300);
	assert_int_equal(export(bs, 300, out, 2), 1);
	assert_int_equal(out[0].until, 700);
}

/* until 0 lifts every ban of the address, and no other. */
static void
test_lift_address(void **state)
{
	struct banstore *bs = *state;
	struct ipc_ban out[3];

	record(bs, "198.18.0.2", "alice", 400, 100);
	record(bs, "198.18.0.2", "", 400, 100);
	record(bs, "198.18.0.3", "bob", 400, 100);
	record(bs, "198.18.0.2", "", 0, 110);
	assert_int_equal(export(bs, 120, out, 3), 1);
	assert_string_equal(out[0].address, "198.18.0.3");
}

static void
test_ended_ban_not_kept(void **state)
{
	struct banstore *bs = *state;
	struct ipc_ban out[1];

	record(bs, "198.18.0.2", "alice", 100, 100);
	assert_int_equal(banstore_count(bs), 0);
	assert_int_equal(export(bs, 100, out, 1), 0);
}

/* When full, the ban that ends first gives way to a new one. */
static void
test_full_drops_first_to_end(void **state)
{
	struct banstore *bs = *state;
	struct ipc_ban *out = calloc(BANSTORE_MAX, sizeof(*out));
	bool late = false, first = false;
	char user[32];
	size_t i, n;

	assert_non_null(out);
	for (i = 0; i < BANSTORE_MAX; i++) {
		snprintf(user, sizeof(user), "user%zu", i);
		record(bs, "198.18.0.2", user, 1000 + (int64_t)i, 100);
	}
	record(bs, "198.18.0.9", "late", 5000, 100);
	assert_int_equal(banstore_count(bs), BANSTORE_MAX);

	n = export(bs, 100, out, BANSTORE_MAX);
	assert_int_equal(n, BANSTORE_MAX);
	for (i = 0; i < n; i++) {
		late |= strcmp(out[i].user, "late") == 0;
		first |= strcmp(out[i].user, "user0") == 0;
	}
	assert_true(late);
	assert_false(first);
	free(out);
}

/* A ban file in a new directory, and the event base that stores need. */
struct file_fixture {
	char			 dir[64];
	char			 path[96];
	struct event_base	*base;
};

static int
file_setup(void **state)
{
	struct file_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return (-1);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_banstore.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->base = event_base_new()) == NULL)
		return (-1);
	snprintf(f->path, sizeof(f->path), "%s/state.bans", f->dir);
	*state = f;
	return (0);
}

static int
file_teardown(void **state)
{
	struct file_fixture *f = *state;
	char tmp[128];

	unlink(f->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	unlink(tmp);
	rmdir(f->dir);
	event_base_free(f->base);
	free(f);
	return (0);
}

/* A store that keeps its bans in the fixture's file under key. */
static struct banstore *
file_store(struct file_fixture *f, const uint8_t *key, time_t now)
{
	struct banstore *bs = banstore_new();

	assert_non_null(bs);
	assert_int_equal(banstore_persist(bs, f->base, f->path, key, now), 0);
	return (bs);
}

static void
test_file_keeps_bans(void **state)
{
	struct file_fixture *f = *state;
	time_t now = time(NULL);
	struct banstore *bs = file_store(f, FILE_KEY, now);
	struct ipc_ban out[3];

	record(bs, "198.18.0.2", "alice", now + 300, now);
	record(bs, "198.18.0.3", "", now + 600, now);
	banstore_flush(bs);
	banstore_free(bs);

	bs = file_store(f, FILE_KEY, now);
	assert_int_equal(export(bs, now, out, 3), 2);
	banstore_free(bs);

	/* Bans that ended while headend was down are not taken. */
	bs = file_store(f, FILE_KEY, now + 400);
	assert_int_equal(export(bs, now + 400, out, 3), 1);
	assert_string_equal(out[0].address, "198.18.0.3");
	banstore_free(bs);
}

static void
test_file_keeps_lifted_bans_lifted(void **state)
{
	struct file_fixture *f = *state;
	time_t now = time(NULL);
	struct banstore *bs = file_store(f, FILE_KEY, now);
	struct ipc_ban out[1];

	record(bs, "198.18.0.2", "alice", now + 300, now);
	banstore_flush(bs);
	record(bs, "198.18.0.2", "", 0, now);
	banstore_flush(bs);
	banstore_free(bs);

	bs = file_store(f, FILE_KEY, now);
	assert_int_equal(export(bs, now, out, 1), 0);
	banstore_free(bs);
}

/* A file under another key is ignored, and the next change replaces it. */
static void
test_file_other_key_ignored(void **state)
{
	struct file_fixture *f = *state;
	time_t now = time(NULL);
	struct banstore *bs = file_store(f, FILE_KEY, now);
	struct ipc_ban out[2];

	record(bs, "198.18.0.2", "alice", now + 300, now);
	banstore_flush(bs);
	banstore_free(bs);

	bs = file_store(f, OTHER_KEY, now);
	assert_int_equal(export(bs, now, out, 2), 0);
	record(bs, "198.18.0.4", "carol", now + 300, now);
	banstore_flush(bs);
	banstore_free(bs);

	bs = file_store(f, OTHER_KEY, now);
	assert_int_equal(export(bs, now, out, 2), 1);
	assert_string_equal(out[0].user, "carol");
	banstore_free(bs);
}

/* Without a change, nothing is written. */
static void
test_file_not_written_unchanged(void **state)
{
	struct file_fixture *f = *state;
	struct banstore *bs = file_store(f, FILE_KEY, time(NULL));

	banstore_flush(bs);
	banstore_free(bs);
	assert_int_equal(access(f->path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_export_running_bans,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_pair_replaced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lift_address,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ended_ban_not_kept,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_drops_first_to_end,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_keeps_bans,
		    file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_keeps_lifted_bans_lifted, file_setup,
		    file_teardown),
		cmocka_unit_test_setup_teardown(test_file_other_key_ignored,
		    file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_not_written_unchanged, file_setup,
		    file_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
