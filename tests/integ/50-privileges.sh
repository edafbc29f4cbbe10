#!/bin/bash
# Privileges of the running daemon, read from /proc/PID/status. The
# network process runs as the headend user with no capabilities at all,
# with no_new_privs set and the seccomp filter loaded. The parent and
# authd are the only root processes. Then a login, a ping, the status
# socket, a disconnect and an authd restart all run under the filter
# without stopping the network process.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

NO_CAPS=0000000000000000

# status_field PID NAME: the value of NAME in /proc/PID/status, with the
# tabs between several values turned into spaces.
status_field() {
	awk -v name="$2:" '$1 == name { $1 = ""; sub(/^ /, ""); print }' \
		"/proc/$1/status"
}

# field_is PID NAME VALUE: NAME in /proc/PID/status is exactly VALUE.
field_is() {
	local value

	value=$(status_field "$1" "$2")
	if [ "$value" != "$3" ]; then
		echo "$2 of PID $1 is \"$value\", expected \"$3\""
		return 1
	fi
}

# The expected ids of the network process: real, effective, saved and
# filesystem, all the headend user's.
headend_ids() {
	local id=$1

	echo "$id $id $id $id"
}

capabilities_empty() {
	local set

	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		field_is "$1" "$set" "$NO_CAPS" || return 1
	done
}

# Every process in the headend namespace is the parent, authd or the
# network process, and exactly the first two have uid 0.
root_only_parent_and_authd() {
	local pid uid root=()

	for pid in $(ip netns pids "$NS_HEADEND"); do
		uid=$(status_field "$pid" Uid | cut -d ' ' -f 1)
		[ "$uid" = 0 ] && root+=("$pid")
	done
	[ "${#root[@]}" -eq 2 ] &&
		[[ " ${root[*]} " == *" $PARENT_PID "* ]] &&
		[[ " ${root[*]} " == *" $AUTHD_PID "* ]] ||
		{ echo "root processes: ${root[*]}; parent $PARENT_PID," \
			"authd $AUTHD_PID"; return 1; }
}

network_alive() {
	pid_running "$NET_PID" && [ "$(he_child_pid network)" = "$NET_PID" ]
}

no_filter_stops() {
	! grep -E 'not allowed by the seccomp filter' "$HE_LOG" &&
		! grep -E 'network process .* killed by signal' "$HE_LOG"
}

session_count() {
	he_ctl --json show sessions | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["sessions"]))'
}

sessions_are() {
	[ "$(session_count)" = "$1" ]
}

new_authd_connected() {
	[ "$(grep -c 'connected to a new authd' "$HE_LOG")" -ge 1 ]
}

tap_plan 17
he_setup
he_write_config
he_start

NET_PID=$(he_child_pid network)
AUTHD_PID=$(he_child_pid authd)
PARENT_PID=$(he_child_pid parent)
HEADEND_UID=$(id -u headend)
HEADEND_GID=$(id -g headend)
tap_diag "parent $PARENT_PID, authd $AUTHD_PID, network $NET_PID"

tap_ok "network process uids are headend's" field_is "$NET_PID" Uid \
	"$(headend_ids "$HEADEND_UID")"
tap_ok "network process gids are headend's" field_is "$NET_PID" Gid \
	"$(headend_ids "$HEADEND_GID")"
tap_ok "network process has only headend's group" \
	field_is "$NET_PID" Groups "$HEADEND_GID"
tap_ok "network process has no capabilities" capabilities_empty "$NET_PID"
tap_ok "network process has no_new_privs" field_is "$NET_PID" NoNewPrivs 1
if [ "${HEADEND_SANITIZE:-}" = 1 ]; then
	tap_result 0 "network process has a seccomp filter # SKIP the \
sanitizer build loads none"
else
	tap_ok "network process has a seccomp filter" \
		field_is "$NET_PID" Seccomp 2
fi
tap_ok "parent and authd are the only root processes" \
	root_only_parent_and_authd

he_connect alice alice-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
tap_ok "login brings the tunnel up" he_tunnel_ready
tap_ok "ping crosses the tunnel" he_ping_inside
tap_ok "status socket lists the session" sessions_are 1
tap_ok "status socket answers show stats" he_ctl show stats

pid_stop "$OC_PID"
tap_ok "disconnect ends the session" wait_until 10 sessions_are 0

# The new authd's socket reaches the network process in SCM_RIGHTS.
kill -KILL "$AUTHD_PID"
tap_ok "parent hands over a restarted authd" \
	wait_until 10 new_authd_connected
he_connect alice alice-secret "$HE_TMPDIR/oc2.log" ||
	tap_diag_file "$HE_TMPDIR/oc2.log"
tap_ok "login through the new authd" he_tunnel_ready
tap_ok "ping crosses the new tunnel" he_ping_inside
tap_ok "network process kept running" network_alive
tap_ok "seccomp filter stopped nothing" no_filter_stops ||
	tap_diag_file "$HE_LOG"
tap_done
