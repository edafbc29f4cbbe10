#!/bin/bash
# simultaneous-logins = 1 in both policies. With "logoff-oldest" (the
# default) a second login ends the first session, whose client gets
# TERMINATE, and a phone whose old session is dead logs in again at
# once with the same address. With "reject" the second login is
# rejected with a message. A cookie reconnect never counts as a second
# login, and the limit counts per tunnel-group. A login that max-sessions
# refuses leaves the user's old session alone.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

PHONE=SEP001122334455

# start ACTION [LIMIT]: headend with simultaneous-logins = LIMIT (1 by
# default) and ACTION.
start() {
	if [ -n "$HE_PID" ]; then
		lc_logoff_all
		pid_stop "$HE_PID"
	fi
	phone_write_config \
		"authentication = \"password\"; user-file = \"$HE_USERS\";" \
		'tls-profile = "phone";'
	sed -i "s/name = \"all\";/name = \"all\"; simultaneous-logins = ${2:-1}; \
simultaneous-login-action = \"$1\";/" "$HE_CONF"
	he_start
}

phone_login() {
	phone_emu --user "$PHONE" --password phone-secret "$@" "$PHONE_URL" 2>&1
}

# phone_hold OUT: a phone that logs in and keeps its tunnel up, in the
# background with its output in OUT. Its PID, not that of a subshell,
# goes to PHONE_PID, so that SIGKILL hits the emulator itself.
phone_hold() {
	ip netns exec "$NS_CLIENT" "$PHONE_EMU" --connect "$HEADEND_OUTSIDE_ADDR" \
		--cert-hash "$PHONE_CERT_HASH" --user "$PHONE" \
		--password phone-secret --hold 30 "$PHONE_URL" >"$1" 2>&1 &
	PHONE_PID=$!
	wait_until 10 file_contains "$1" '^connect: 200' || true
}

phone_kill() {
	kill -KILL "$PHONE_PID"
	wait "$PHONE_PID" 2>/dev/null || true
}

no_cookie() {
	! grep -q '^cookie=' <<<"$1"
}

# connects COOKIE: CONNECT with COOKIE gets an address.
connects() {
	[ -n "$(lc_connect_address "$1")" ]
}

# alice_ids: the ids of alice's sessions, in order.
alice_ids() {
	lc_sessions "print(' '.join(str(i) for i in sorted(
    s['id'] for s in sessions if s['user'] == 'alice')))"
}

tap_plan 22
phone_setup
he_add_user "$PHONE" phone-secret
start logoff-oldest

# ---- logoff-oldest: openconnect is replaced by a newer login ---------------

he_connect alice alice-secret "$HE_TMPDIR/oc1.log" ||
	tap_diag_file "$HE_TMPDIR/oc1.log"
first=$(lc_field alice id)
cookie=$(lc_login alice alice-secret)
tap_ok "second login succeeds" test -n "$cookie"
tap_ok "one session of alice is left" lc_has_count alice 1
tap_ok "the older session was logged off" file_contains "$HE_LOG" \
	"session=$first user=alice .*session ended \(replaced by a newer login"
tap_ok "its openconnect got TERMINATE and exits" \
	wait_until 10 pid_stopped "$OC_PID"
pid_stop "$OC_PID"
tap_ok "the new cookie connects" connects "$cookie"

# ---- a reconnect is not a second login -------------------------------------

he_connect alice alice-secret "$HE_TMPDIR/oc2.log" ||
	tap_diag_file "$HE_TMPDIR/oc2.log"
id=$(lc_field alice id)
lc_kill_tcp
tap_ok "TCP reset: openconnect reconnects under the limit" \
	wait_until 30 lc_reconnected alice 1
tap_ok "TCP reset: the same session, not logged off" \
	lc_field_is alice id "$id"
pid_stop "$OC_PID"

# ---- a dead phone session does not block the phone -------------------------

phone_hold "$HE_TMPDIR/phone1.out"
old_addr=$(lc_field "$PHONE" address)
# SIGKILL sends no DISCONNECT, like a phone that lost power.
phone_kill
wait_until 10 lc_field_is "$PHONE" connected false || true
out=$(phone_login --ping "$INSIDE_ADDR") || true
lc_diag "$out"
tap_ok "phone with a dead session logs in again" \
	grep -q '^login: 200' <<<"$out"
tap_ok "phone gets the address of its dead session" \
	grep -q "^connect: 200 address=$old_addr " <<<"$out"
tap_ok "phone passes traffic" grep -q "^ping: reply from" <<<"$out"

# ---- the limit counts per tunnel-group -------------------------------------

phone_hold "$HE_TMPDIR/phone2.out"
lc_login "$PHONE" phone-secret >/dev/null
tap_ok "same user in another group: both sessions stay" \
	lc_has_count "$PHONE" 2
phone_kill

# ---- reject ----------------------------------------------------------------

start reject
cookie=$(lc_login alice alice-secret)
out=$(lc_client login "$VPN_HOSTNAME" /staff alice alice-secret) || true
lc_diag "$out"
tap_ok "reject: second login rejected" no_cookie "$out"
tap_ok "reject: the client is told why" grep -q \
	'^message: You are already logged in with the maximum number of sessions' \
	<<<"$out"
tap_ok "reject: logged" file_contains "$HE_LOG" \
	'login refused: user=alice group=staff has 1 session\(s\), the simultaneous-logins limit'
tap_ok "reject: the first session stays" lc_has_count alice 1
tap_ok "reject: its cookie connects" connects "$cookie"
tap_ok "reject: and reconnects" connects "$cookie"
phone_hold "$HE_TMPDIR/phone3.out"
tap_ok "reject: a phone logs in" \
	file_contains "$HE_TMPDIR/phone3.out" '^connect: 200'
out=$(phone_login) || true
lc_diag "$out"
tap_ok "reject: a second phone login gets 503" grep -q '^login: 503' <<<"$out"
phone_kill
# ---- logoff-oldest among logins of one second ------------------------------

# Three logins within about a second, with room for two: the first,
# whose id is the lowest, goes, even when all three share a start time.
start logoff-oldest 2
lc_login alice alice-secret >/dev/null
lc_login alice alice-secret >/dev/null
before=$(alice_ids)
lc_login alice alice-secret >/dev/null
after=$(alice_ids)
tap_diag "alice's sessions before the third login: $before, after: $after"
tap_ok "same second: the earliest login is logged off" \
	test "${after%% *}" = "${before##* }"

# ---- logoff-oldest and a max-sessions cap ----------------------------------

# The tunnel-group is over its max-sessions, which a reload lowered below
# the sessions there are. A new login of a user who has a session there
# is refused, and that session stays: logoff-oldest must not end it for
# a login that cannot open.
start logoff-oldest 1
lc_login alice alice-secret >/dev/null
he_add_user bob bob-secret
lc_login bob bob-secret >/dev/null
he_add_user carol carol-secret
lc_login carol carol-secret >/dev/null
sed -i 's/pool = "staff";/pool = "staff"; max-sessions = 2;/' "$HE_CONF"
he_ctl reload >/dev/null
out=$(lc_client login "$VPN_HOSTNAME" /staff alice alice-secret) || true
lc_diag "$out"
tap_ok "full group: the login is refused by max-sessions" file_contains \
	"$HE_LOG" "login refused: user=alice group=staff: the group's max-sessions limit of 2 sessions is reached"
tap_ok "full group: alice keeps her session" lc_has_count alice 1
tap_done
