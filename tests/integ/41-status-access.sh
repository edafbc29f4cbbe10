#!/bin/bash
# Who may use the status socket, and what the root-only commands do. A
# user outside the headend group is rejected by the socket's mode, and
# by the credential check when the mode is too open. A group member may
# read but not log off, reload or shut down. Root's logoff ends the
# session, openconnect exits, and its old cookie is rejected. When
# group members hold every connection slot, root still gets in, and
# connections that send no request are closed after 10 seconds. Reload
# reaches the parent, and shutdown stops the daemon.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

tap_plan 25
he_setup
tap_require_commands python3 setpriv
he_add_user bob bob-secret
he_write_config
he_start

# The identities run headendctl through setpriv with numeric ids that no
# account uses, so no account is added to the host. The socket's folder
# must let them reach the socket, and its files stay private by their
# modes.
chmod 0711 "$HE_TMPDIR"
HEADEND_GID=$(getent group headend | cut -d: -f3)

# free_id START: print the first id from START on that names neither a
# user nor a group.
free_id() {
	local id=$1

	while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null
	do
		id=$((id + 1))
	done
	echo "$id"
}
OUTSIDER=$(free_id 64000)
MEMBER=$(free_id $((OUTSIDER + 1)))

as_outsider() {
	setpriv --reuid="$OUTSIDER" --regid="$OUTSIDER" --clear-groups \
		"$HEADENDCTL" -s "$HE_SOCKET" "$@"
}

as_member() {
	setpriv --reuid="$MEMBER" --regid="$MEMBER" \
		--groups="$HEADEND_GID" "$HEADENDCTL" -s "$HE_SOCKET" "$@"
}

# expect_exit WANT PATTERN CMD...: CMD exits with WANT and its standard
# error matches the extended regex PATTERN (not checked when empty).
expect_exit() {
	local want=$1 pattern=$2 got=0 err="$HE_TMPDIR/stderr"

	shift 2
	"$@" >/dev/null 2>"$err" || got=$?
	if [ "$got" -ne "$want" ]; then
		echo "exit $got, expected $want; stderr:"
		cat "$err"
		return 1
	fi
	[ -z "$pattern" ] || grep -Eq -- "$pattern" "$err" ||
		{ echo "stderr:"; cat "$err"; return 1; }
}

session_count() {
	he_ctl --json show sessions "$@" | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["sessions"]))'
}

sessions_are() {
	local want=$1

	shift
	[ "$(session_count "$@")" = "$want" ]
}

# openconnect_args: the options every openconnect run here shares.
openconnect_args() {
	printf '%s\n' -v --non-inter --no-proxy --script "$(oc_script_path)" \
		--servercert "$OC_SERVERCERT" \
		--resolve "$VPN_HOSTNAME:$HEADEND_OUTSIDE_ADDR"
}

# Log alice in without connecting; openconnect prints COOKIE='...'.
authenticate_alice() {
	local -a args

	mapfile -t args < <(openconnect_args)
	ip netns exec "$NS_CLIENT" timeout 20 openconnect --authenticate \
		--user alice --passwd-on-stdin "${args[@]}" \
		"https://$VPN_HOSTNAME/staff" <<<"alice-secret" \
		>"$HE_TMPDIR/auth.out" 2>"$HE_TMPDIR/auth.log"
	sed -n "s/^COOKIE='\(.*\)'\$/\1/p" "$HE_TMPDIR/auth.out"
}

# connect_with_cookie LOG: run openconnect with $COOKIE in the
# foreground and return its exit status.
connect_with_cookie() {
	local -a args

	mapfile -t args < <(openconnect_args)
	ip netns exec "$NS_CLIENT" timeout 20 openconnect --cookie-on-stdin \
		"${args[@]}" "https://$VPN_HOSTNAME/staff" <<<"$COOKIE" \
		>"$1" 2>&1
}

# ---- access ----------------------------------------------------------------

COOKIE=$(authenticate_alice) || true
if [ -z "$COOKIE" ]; then
	tap_diag_file "$HE_TMPDIR/auth.log"
fi
mapfile -t OC_ARGS < <(openconnect_args)
spawn_in_ns_with_input "$NS_CLIENT" "$COOKIE" openconnect \
	--cookie-on-stdin "${OC_ARGS[@]}" "https://$VPN_HOSTNAME/staff" \
	>"$HE_TMPDIR/oc-alice.log" 2>&1
ALICE_PID=$SPAWNED_PID
wait_until 15 he_tunnel_ready || tap_diag_file "$HE_TMPDIR/oc-alice.log"
tap_ok "alice is connected" sessions_are 1 user alice

tap_ok "an outsider is denied by the socket's mode" expect_exit 4 \
	"access to .* denied" as_outsider show sessions

# With the mode opened by mistake, the credential check still rejects.
chmod 0666 "$HE_SOCKET"
tap_ok "an outsider is denied by the credential check" expect_exit 4 \
	"access denied" as_outsider show sessions
tap_ok "the rejection is logged with the uid" file_contains "$HE_LOG" \
	"rejected uid $OUTSIDER "
chmod 0660 "$HE_SOCKET"

member_sees_alice() {
	as_member --json show sessions | grep -q '"user":"alice"'
}
tap_ok "a group member may show sessions" member_sees_alice
tap_ok "a group member may read metrics" as_member metrics
tap_ok "a group member cannot log off" expect_exit 4 "needs root" \
	as_member logoff user alice
tap_ok "a group member cannot reload" expect_exit 4 "needs root" \
	as_member reload
tap_ok "a group member cannot shut down" expect_exit 4 "needs root" \
	as_member shutdown
tap_ok "alice's session survived the attempts" sessions_are 1 user alice

# ---- logoff ----------------------------------------------------------------

tap_ok "openconnect printed alice's cookie" grep -Eq \
	'(^|; )webvpn=[0-9a-f]{64}($|;)' <<<"$COOKIE"

tap_ok "root logs alice off" expect_exit 0 "" he_ctl logoff user alice
tap_ok "alice's openconnect exits" wait_until 10 pid_stopped "$ALICE_PID"
tap_ok "openconnect got the terminate message" file_contains \
	"$HE_TMPDIR/oc-alice.log" "[Tt]erminate|Server request"
tap_ok "alice has no session" sessions_are 0 user alice

cookie_rejected() {
	! connect_with_cookie "$HE_TMPDIR/oc-cookie.log" &&
		file_contains "$HE_TMPDIR/oc-cookie.log" "401"
}
tap_ok "a reconnect with the old cookie is rejected" cookie_rejected
tap_diag "reconnect: $(grep -m 1 -E '401|[Cc]ookie' \
	"$HE_TMPDIR/oc-cookie.log" || true)"
tap_ok "a logoff that matches nothing exits 5" expect_exit 5 \
	"no session matches" he_ctl logoff user alice

# ---- a full table of connections -------------------------------------------

# hold.py SOCKET CLIENTS STATE UID GID: as UID with the supplementary
# group GID, connect CLIENTS times and send nothing. STATE gets "held H
# rejected R" once the connections beyond the limit have been closed,
# then "closed after S s" once the headend has closed all the others.
# It starts as root and drops to UID itself, because python3 may live
# where UID cannot read it.
HOLD="$HE_TMPDIR/hold.py"
cat >"$HOLD" <<'EOF'
import os, select, socket, sys, time
path, count, state = sys.argv[1], int(sys.argv[2]), sys.argv[3]
uid, gid = int(sys.argv[4]), int(sys.argv[5])
out = open(state, "w", buffering=1)
os.setgroups([gid])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
start = time.monotonic()
socks = []
for _ in range(count):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
open_socks, rejected = set(socks), 0

def closed_within(timeout):
    """Read what arrived; return how many connections were closed."""
    ready, _, _ = select.select(list(open_socks), [], [], timeout)
    closed = 0
    for s in ready:
        if s.recv(65536) == b"":
            open_socks.discard(s)
            closed += 1
    return closed

deadline = time.monotonic() + 5
while time.monotonic() < deadline and rejected < count - 64:
    rejected += closed_within(0.1)
out.write("held %d rejected %d\n" % (len(open_socks), rejected))
deadline = start + 40
while open_socks and time.monotonic() < deadline:
    closed_within(0.5)
out.write("closed after %d s\n" % (time.monotonic() - start)
          if not open_socks else "%d still open\n" % len(open_socks))
EOF
HOLD_STATE="$HE_TMPDIR/hold.state"
spawn_in_ns "$NS_HEADEND" python3 "$HOLD" "$HE_SOCKET" 70 "$HOLD_STATE" \
	"$MEMBER" "$HEADEND_GID" >"$HE_TMPDIR/hold.log" 2>&1
HOLD_PID=$SPAWNED_PID
tap_ok "70 idle clients of a group member fill the 64 slots" \
	wait_file_contains "$HOLD_STATE" "^held 64 rejected 6$" 10
tap_ok "another group member is turned away while all are taken" \
	expect_exit 1 "64 clients are connected" as_member show stats
tap_ok "root gets in while all slots are taken" expect_exit 0 "" \
	he_ctl show stats
tap_ok "closing an idle client for root is logged" file_contains \
	"$HE_LOG" "closed the longest idle one, uid $MEMBER "
tap_ok "clients without a request are closed within 15 seconds" \
	wait_file_contains "$HOLD_STATE" "^closed after ([0-9]|1[0-5]) s$" 20 ||
	tap_diag_file "$HOLD_STATE"

# ---- reload and shutdown ---------------------------------------------------

tap_ok "root may request a reload" expect_exit 0 "" he_ctl reload
tap_ok "the parent logs the reload request and keeps running" sh -c \
	"grep -Eq 'uid 0 \\(pid [0-9]+\\) requested a reload' '$HE_LOG' && \
	kill -0 $HE_PID"
he_ctl shutdown >/dev/null || true
tap_ok "shutdown stops the daemon" wait_until 10 pid_stopped "$HE_PID"
tap_done
