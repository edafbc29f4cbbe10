/* Unit tests for the brute-force scoring in common/ban.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ban.h"

static const struct ban_limits limits = {
	.user_threshold = 5,
	.address_threshold = 20,
	.ban_seconds = 300,
	.decay_seconds = 60,
};

static int
setup(void **state)
{
	*state = ban_table_new(&limits);
	return (*state == NULL);
}

static int
teardown(void **state)
{
	ban_table_free(*state);
	return (0);
}

/* Try a wrong password as a client would: only when not banned. */
static void
try_wrong(struct ban_table *t, const char *addr, const char *user,
    time_t now)
{
	if (ban_allowed(t, addr, user, now))
		ban_record_failure(t, addr, user, now);
}

static void
test_pair_banned_at_threshold(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 4; i++)
		assert_false(ban_record_failure(t, "198.18.0.2", "alice", 0));
	assert_true(ban_allowed(t, "198.18.0.2", "alice", 0));
	assert_true(ban_record_failure(t, "198.18.0.2", "alice", 0));
	assert_false(ban_allowed(t, "198.18.0.2", "alice", 1));
	assert_true(ban_allowed(t, "198.18.0.2", "bob", 1));
	assert_true(ban_allowed(t, "198.18.0.3", "alice", 1));
}

static void
test_nat_one_stale_phone(void **state)
{
	struct ban_table *t = *state;
	char user[32];
	int i;

	for (i = 0; i < 200; i++)
		try_wrong(t, "198.18.0.9", "phone-stale", i);
	assert_false(ban_allowed(t, "198.18.0.9", "phone-stale", 200));
	for (i = 0; i < 29; i++) {
		snprintf(user, sizeof(user), "phone%d", i);
		assert_true(ban_allowed(t, "198.18.0.9", user, 200));
	}
}

static void
test_address_banned_for_many_users(void **state)
{
	struct ban_table *t = *state;
	char user[32];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(user, sizeof(user), "guess%d", i);
		try_wrong(t, "198.18.0.66", user, 0);
	}
	assert_false(ban_allowed(t, "198.18.0.66", "someone-else", 0));
	assert_true(ban_allowed(t, "198.18.0.67", "someone-else", 0));
}

static void
test_ban_ends_and_score_resets(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 5; i++)
		ban_record_failure(t, "198.18.0.2", "alice", 100);
	assert_false(ban_allowed(t, "198.18.0.2", "alice", 399));
	assert_true(ban_allowed(t, "198.18.0.2", "alice", 400));
	assert_false(ban_record_failure(t, "198.18.0.2", "alice", 400));
}

static void
test_decay_forgets_slow_failures(void **state)
{
	struct ban_table *t = *state;
	int i;

	/* One failure a minute never reaches five. */
	for (i = 0; i < 20; i++)
		assert_false(ban_record_failure(t, "198.18.0.2", "alice",
		    (time_t)i * 61));
	assert_true(ban_allowed(t, "198.18.0.2", "alice", 20 * 61));
}

static void
test_success_clears_pair(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 4; i++)
		ban_record_failure(t, "198.18.0.2", "alice", 0);
	ban_record_success(t, "198.18.0.2", "alice");
	for (i = 0; i < 4; i++)
		assert_false(ban_record_failure(t, "198.18.0.2", "alice", 0));
	assert_true(ban_allowed(t, "198.18.0.2", "alice", 0));
}

static void
test_remove_lifts_bans(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 5; i++)
		ban_record_failure(t, "198.18.0.2", "alice", 0);
	assert_int_equal(ban_remove(t, "198.18.0.2"), 2);
	assert_true(ban_allowed(t, "198.18.0.2", "alice", 1));
	assert_int_equal(ban_remove(t, "198.18.0.2"), 0);
}

static void
test_list_shows_active_bans(void **state)
{
	struct ban_table *t = *state;
	struct ban_entry out[4];
	int i;

	for (i = 0; i < 5; i++)
		ban_record_failure(t, "198.18.0.2", "alice", 0);
	ban_record_failure(t, "198.18.0.3", "bob", 0);
	assert_int_equal(ban_list(t, 1, out, 4), 1);
	assert_string_equal(out[0].address, "198.18.0.2");
	assert_string_equal(out[0].user, "alice");
	assert_int_equal(out[0].banned_until, 300);
	assert_int_equal(ban_list(t, 301, out, 4), 0);
}

static void
test_expire_drops_idle_entries(void **state)
{
	struct ban_table *t = *state;
	struct ban_entry out[1];

	ban_record_failure(t, "198.18.0.3", "bob", 0);
	ban_expire(t, 3600);
	assert_int_equal(ban_remove(t, "198.18.0.3"), 0);
	assert_int_equal(ban_list(t, 3600, out, 1), 0);
}

static void
test_overlong_names_not_scored(void **state)
{
	struct ban_table *t = *state;
	char user[BAN_USER_MAX + 10];

	memset(user, 'x', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	assert_false(ban_record_failure(t, "198.18.0.2", user, 0));
	assert_true(ban_allowed(t, "198.18.0.2", user, 0));
}

/* Guesses sent at once: only as many checks as the threshold start. */
static void
test_checks_in_flight_pair(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 5; i++)
		assert_true(ban_check_start(t, "198.18.0.2", "alice", 0));
	assert_false(ban_check_start(t, "198.18.0.2", "alice", 0));
	assert_true(ban_check_start(t, "198.18.0.2", "bob", 0));

	/* All five fail: the pair is banned, with no sixth guess checked. */
	for (i = 0; i < 5; i++) {
		ban_check_end(t, "198.18.0.2", "alice");
		ban_record_failure(t, "198.18.0.2", "alice", 0);
	}
	assert_false(ban_allowed(t, "198.18.0.2", "alice", 1));
}

/* A check that ends frees its place; a success clears the pair. */
static void
test_check_end_frees_place(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 5; i++)
		assert_true(ban_check_start(t, "198.18.0.2", "alice", 0));
	ban_check_end(t, "198.18.0.2", "alice");
	ban_record_success(t, "198.18.0.2", "alice");
	assert_true(ban_check_start(t, "198.18.0.2", "alice", 0));
	assert_false(ban_check_start(t, "198.18.0.2", "alice", 0));
}

/*
 * Phones behind one NAT address log in at once: checks in flight of many
 * users are not limited by the address threshold (20 here).
 */
static void
test_checks_in_flight_many_users(void **state)
{
	struct ban_table *t = *state;
	char user[16];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(user, sizeof(user), "phone%d", i);
		assert_true(ban_check_start(t, "198.18.0.2", user, 0));
	}
	assert_true(ban_allowed(t, "198.18.0.2", "late", 0));
	assert_true(ban_check_start(t, "198.18.0.2", "late", 0));
}

/*
 * A reload that lowers the threshold below a pair's score starts no ban.
 * With no check in flight, the next check starts and decides.
 */
static void
test_lowered_threshold_lets_check_start(void **state)
{
	struct ban_table *t = *state;
	struct ban_limits lower = limits;
	int i;

	for (i = 0; i < 3; i++)
		ban_record_failure(t, "198.18.0.2", "carol", 0);
	lower.user_threshold = 2;
	ban_table_set_limits(t, &lower);
	assert_true(ban_check_start(t, "198.18.0.2", "carol", 1));
	assert_false(ban_check_start(t, "198.18.0.2", "carol", 1));
}

/* An unban keeps counting the pair's checks still in flight. */
static void
test_remove_keeps_checks_in_flight(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 5; i++)
		assert_true(ban_check_start(t, "198.18.0.2", "alice", 0));
	assert_int_equal(ban_remove(t, "198.18.0.2"), 1);
	assert_false(ban_check_start(t, "198.18.0.2", "alice", 0));

	for (i = 0; i < 5; i++)
		ban_check_end(t, "198.18.0.2", "alice");
	assert_true(ban_check_start(t, "198.18.0.2", "alice", 0));
}

/* An entry with a check in flight outlives ban_expire. */
static void
test_expire_keeps_checks_in_flight(void **state)
{
	struct ban_table *t = *state;
	int i;

	for (i = 0; i < 5; i++)
		assert_true(ban_check_start(t, "198.18.0.2", "alice", 0));
	ban_expire(t, 3600);
	assert_false(ban_check_start(t, "198.18.0.2", "alice", 3600));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pair_banned_at_threshold,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_one_stale_phone,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_address_banned_for_many_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ban_ends_and_score_resets,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_decay_forgets_slow_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_clears_pair,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_lifts_bans,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_shows_active_bans,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_drops_idle_entries,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_names_not_scored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_in_flight_pair,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_end_frees_place,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_checks_in_flight_many_users, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_expire_keeps_checks_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_lowered_threshold_lets_check_start, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_remove_keeps_checks_in_flight, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
