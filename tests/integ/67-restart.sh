#!/bin/bash
# Restart-safe sessions. After SIGTERM and a new start, and again after
# SIGKILL of the parent and both children, openconnect reconnects with
# its cookie by itself. The state file restores its session, so the
# client gets the same session and address without a new login, and the
# session counts the return as a reconnect.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

OC_LOG="$HE_TMPDIR/alice.log"

# Like oc_connect, with openconnect's output line-buffered, so that its
# log shows each reconnect while it runs.
oc_start() {
	spawn_in_ns_with_input "$NS_CLIENT" alice-secret stdbuf -oL -eL \
		openconnect -v --non-inter --passwd-on-stdin --no-proxy \
		--user alice --script "$(oc_script_path)" \
		--servercert "$OC_SERVERCERT" \
		--resolve "$VPN_HOSTNAME:$HEADEND_OUTSIDE_ADDR" \
		"https://$VPN_HOSTNAME/staff" >"$OC_LOG" 2>&1
	OC_PID=$SPAWNED_PID
}

client_address() {
	ip -n "$NS_CLIENT" -o -4 addr show dev "$(tun_device "$NS_CLIENT")" |
		awk '{ sub("/.*", "", $4); print $4 }'
}

# connects_at_least N: openconnect got N CONNECT responses so far.
connects_at_least() {
	[ "$(grep -c 'Got CONNECT response: HTTP/1.1 200' "$OC_LOG")" -ge "$1" ]
}

session_id() {
	he_ctl --json show sessions | python3 -c '
import json, sys
s = json.load(sys.stdin)["sessions"]
print(s[0]["id"] if len(s) == 1 and s[0]["connected"] else "none")'
}

# reconnects_are N: the session has counted N reconnects.
reconnects_are() {
	[ "$(he_ctl --json show session "$id" | python3 -c '
import json, sys
print(json.load(sys.stdin)["session"]["reconnects"])')" = "$1" ]
}

# The claim of a restored session names the client's address.
BACK_LINE='user=alice group=[^ ]+ peer=[0-9.]+:[0-9]+: the client is back'

# restart_checks WHAT CONNECTS: the checks after a new start.
restart_checks() {
	tap_ok "$1: the state file restores the session" \
		wait_file_contains "$HE_LOG" 'restored 1 session' 10
	tap_ok "$1: openconnect reconnects by itself" \
		wait_until 30 connects_at_least "$2"
	tap_ok "$1: the cookie claims the restored session, peer named" \
		wait_file_contains "$HE_LOG" "$BACK_LINE" 5
	tap_ok "$1: the client keeps its address" \
		test "$(client_address)" = "$address"
	tap_ok "$1: the session keeps its id" \
		wait_until 5 sh -c "[ \"\$('$HEADENDCTL' -s '$HE_SOCKET' \
		--json show sessions | grep -o '\"id\":[0-9]*')\" = \
		'\"id\":$id' ]"
	tap_ok "$1: the session counts $(($2 - 1)) reconnect(s)" \
		wait_until 5 reconnects_are $(($2 - 1))
	tap_ok "$1: no new login happened" sh -c \
		"! grep -E 'logged in;|login started' '$HE_LOG'"
	tap_ok "$1: the tunnel passes packets" \
		wait_until 5 he_ping_inside
}

# kill_all: SIGKILL every headend process, which leaves no chance to
# write anything, and wait until they are gone.
kill_all() {
	kill -KILL "$HE_PID" "$(he_child_pid network)" "$(he_child_pid authd)"
	wait_until 10 pid_stopped "$HE_PID" || true
	wait "$HE_PID" 2>/dev/null || true
	wait_or_diag 10 "no process was left in $NS_HEADEND" \
		sh -c "! ip netns pids '$NS_HEADEND' | grep -q ."
}

tap_plan 35
tap_require_commands stdbuf
he_setup
he_write_config
he_start
oc_start
wait_until 15 he_tunnel_ready || tap_diag_file "$OC_LOG"
address=$(client_address)
id=$(session_id)
tap_ok "first login: a session with an address" sh -c \
	"[ -n '$address' ] && [ '$id' != none ]"

# The next start reads a smaller pool, whose netmask openconnect would
# refuse on its reconnect: the restored session keeps its login's.
sed -i 's|"198.19.0.0/24"|"198.19.0.0/25"|' "$HE_CONF"

# SIGTERM: the daemon stops without logging anyone off.
pid_stop "$HE_PID"
tap_ok "SIGTERM: nobody is logged off" sh -c \
	"! grep -q 'session ended' '$HE_LOG'"
tap_ok "SIGTERM: the log counts the sessions kept" file_contains "$HE_LOG" \
	'state file .*: 1 session\(s\) kept for the next start'
HE_LOG="$HE_TMPDIR/headend-2.log"
he_start
restart_checks "after SIGTERM" 2

kill_all
HE_LOG="$HE_TMPDIR/headend-3.log"
he_start
restart_checks "after SIGKILL" 3

# State, key and lock files deleted while headend runs, as by an
# operator who empties the state directory, are written again.
rm "$HE_TMPDIR/state" "$HE_TMPDIR/state.key" "$HE_TMPDIR/state.lock"
tap_ok "deleted files: the state file is written again" \
	wait_file_contains "$HE_LOG" 'written again with 1 session' 20
tap_ok "deleted files: the key file is written again" \
	test -s "$HE_TMPDIR/state.key"
kill_all
HE_LOG="$HE_TMPDIR/headend-4.log"
he_start
restart_checks "after deleted files" 4

# A key file replaced while headend runs is reported: the next start
# would set the state file aside with the session.
key="$HE_TMPDIR/state.key"
cp -p "$key" "$key.old"
cp -p "$key" "$key.damaged.expected"
(umask 077 && head -c 32 /dev/urandom >"$key.new")
mv "$key.new" "$key"
tap_ok "replaced key file: the log says the sessions are at risk" \
	wait_file_contains "$HE_LOG" 'contains another key than the one' 20
mv "$key.old" "$key"

# A key file emptied while headend runs is set aside and written again
# with the key in use, which the restarts above show to be enough.
: >"$key"
tap_ok "emptied key file: it is written again" wait_file_contains \
	"$HE_LOG" 'key file .* written again; the damaged one is' 20
tap_ok "emptied key file: it has the key in use" cmp -s "$key" \
	"$key.damaged.expected"

# A second headend with the same file, in a namespace of its own, where
# its listeners bind, must leave the running one its status socket.
second_ns="he-$$-second"
netns_create "$second_ns" 0
spawn_in_ns "$second_ns" "$HEADEND" -f -c "$HE_CONF" \
	>"$HE_TMPDIR/second.log" 2>&1
second=$SPAWNED_PID
wait_until 15 pid_stopped "$second" || true
tap_ok "second instance: it does not start" pid_stopped "$second"
tap_ok "second instance: it names the status socket in use" file_contains \
	"$HE_TMPDIR/second.log" 'status socket .* is in use by another'
tap_ok "second instance: the first still serves status" he_ctl show stats
tap_done
