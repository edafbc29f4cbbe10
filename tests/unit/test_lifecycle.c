/*
 * Tests for lifecycle.c: which packets count as activity, and the idle
 * and session timeouts. The timeouts are tested by moving a session's
 * start or last activity into the past, so no test waits for a timer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "test_np_fixture.h"

static const char lifecycle_config[] =
    "user = \"headend\";\n"
    "listeners = ( { certificate = \"server.crt\"; key = \"server.key\";"
    " } );\n"
    "tun = { address = \"198.19.255.1\"; };\n"
    "pools = ( { name = \"staff\"; network = \"198.19.0.0/24\"; } );\n"
    "group-policies = ( { name = \"timed\"; idle-timeout = 60;"
    " session-timeout = 600; reconnect-window = 45; },\n"
    "  { name = \"untimed\"; idle-timeout = 0; session-timeout = 0; }"
    " );\n"
    "tunnel-groups = (\n"
    "  { name = \"timed\"; group-urls = [ \"https://vpn.example.net/t\" ];"
    " pool = \"staff\"; group-policy = \"timed\"; },\n"
    "  { name = \"untimed\"; group-urls = [ \"https://vpn.example.net/u\" ];"
    " pool = \"staff\"; group-policy = \"untimed\"; } );\n";

/* A minimal IPv4 header of protocol proto. */
static void
packet_make(uint8_t pkt[20], uint8_t proto)
{
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[9] = proto;
}

static void
test_activity_protocols(void **state)
{
	uint8_t pkt[20];

	(void)state;
	packet_make(pkt, 1);
	assert_false(lifecycle_is_activity(pkt, sizeof(pkt)));
	packet_make(pkt, 2);
	assert_false(lifecycle_is_activity(pkt, sizeof(pkt)));
	packet_make(pkt, 6);
	assert_true(lifecycle_is_activity(pkt, sizeof(pkt)));
	packet_make(pkt, 17);
	assert_true(lifecycle_is_activity(pkt, sizeof(pkt)));
	packet_make(pkt, 50);
	assert_true(lifecycle_is_activity(pkt, sizeof(pkt)));
}

static void
test_activity_malformed(void **state)
{
	uint8_t pkt[20];

	(void)state;
	packet_make(pkt, 17);
	assert_false(lifecycle_is_activity(pkt, 19));
	pkt[0] = 0x60;
	assert_false(lifecycle_is_activity(pkt, sizeof(pkt)));
}

/* Run the event loop until no timer is due now. */
static void
loop_due(struct np_fixture *fx)
{
	event_base_loop(fx->np.base, EVLOOP_NONBLOCK);
	event_base_loop(fx->np.base, EVLOOP_NONBLOCK);
}

static void
test_timers_from_policy(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);

	(void)state;
	assert_int_equal(se->se_timers.idle_timeout, 60);
	assert_int_equal(se->se_timers.session_timeout, 600);
	assert_int_equal(se->se_timers.reconnect_window, 45);
	assert_true(evtimer_pending(se->se_timers.deadline, NULL));
	assert_true(evtimer_pending(se->se_expire, NULL));
	np_fixture_free(fx);
}

static void
test_session_timeout_ends_session(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);

	(void)state;
	se->se_started -= 601;
	lifecycle_rearm(se);
	loop_due(fx);
	assert_int_equal(sessions_count(fx->np.sessions), 0);
	assert_int_equal(pool_used(fx->np.pools[0]), 0);
	np_fixture_free(fx);
}

static void
test_idle_timeout_ends_session(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);

	(void)state;
	se->se_last_activity -= 61;
	lifecycle_rearm(se);
	loop_due(fx);
	assert_int_equal(sessions_count(fx->np.sessions), 0);
	np_fixture_free(fx);
}

/* A UDP packet after the deadline was armed keeps the session. */
static void
test_activity_postpones_idle(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);
	struct timeval tv, now;
	uint8_t pkt[20];

	(void)state;
	se->se_last_activity -= 61;
	lifecycle_rearm(se);
	packet_make(pkt, 17);
	lifecycle_mark(se, pkt, sizeof(pkt));
	loop_due(fx);
	assert_int_equal(sessions_count(fx->np.sessions), 1);
	assert_true(evtimer_pending(se->se_timers.deadline, &tv));
	evutil_gettimeofday(&now, NULL);
	assert_true(tv.tv_sec - now.tv_sec >= 58);
	np_fixture_free(fx);
}

static void
test_icmp_does_not_postpone_idle(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);
	uint8_t pkt[20];

	(void)state;
	se->se_last_activity -= 61;
	lifecycle_rearm(se);
	packet_make(pkt, 1);
	lifecycle_mark(se, pkt, sizeof(pkt));
	loop_due(fx);
	assert_int_equal(sessions_count(fx->np.sessions), 0);
	np_fixture_free(fx);
}

/* A reconnect takes the policy again but never moves the end time. */
static void
test_refresh_keeps_session_timeout(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);

	(void)state;
	se->se_started -= 601;
	lifecycle_refresh(se, &fx->cfg->policies[1]);
	assert_int_equal(se->se_timers.idle_timeout, 0);
	assert_int_equal(se->se_timers.session_timeout, 600);
	loop_due(fx);
	assert_int_equal(sessions_count(fx->np.sessions), 0);
	np_fixture_free(fx);
}

static void
test_no_timeouts_no_deadline(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 1, NULL);

	(void)state;
	se->se_started -= 100000;
	se->se_last_activity -= 100000;
	lifecycle_rearm(se);
	assert_false(evtimer_pending(se->se_timers.deadline, NULL));
	loop_due(fx);
	assert_int_equal(sessions_count(fx->np.sessions), 1);
	assert_int_equal(lifecycle_session_left(se, time(NULL)), 0);
	np_fixture_free(fx);
}

static void
test_session_left(void **state)
{
	struct np_fixture *fx = np_fixture_new(lifecycle_config, 16);
	struct session *se = np_fixture_login(fx, "alice", 0, NULL);

	(void)state;
	assert_int_equal(lifecycle_session_left(se, se->se_started + 10),
	    590);
	/* Never "none" while the session still runs. */
	assert_int_equal(lifecycle_session_left(se, se->se_started + 600),
	    1);
	np_fixture_free(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activity_protocols),
		cmocka_unit_test(test_activity_malformed),
		cmocka_unit_test(test_timers_from_policy),
		cmocka_unit_test(test_session_timeout_ends_session),
		cmocka_unit_test(test_idle_timeout_ends_session),
		cmocka_unit_test(test_activity_postpones_idle),
		cmocka_unit_test(test_icmp_does_not_postpone_idle),
		cmocka_unit_test(test_refresh_keeps_session_timeout),
		cmocka_unit_test(test_no_timeouts_no_deadline),
		cmocka_unit_test(test_session_left),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
