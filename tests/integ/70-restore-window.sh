#!/bin/bash
# A session that a restart of the network process restores waits for its
# client for the rest of its reconnect window, not a fresh one each time.
# Otherwise restarts closer together than the window would keep a gone
# client's session, and its address, for ever.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

CSTPCLIENT="$(dirname "$0")/tools/cstpclient.py"

no_sessions() {
	[ "$(he_ctl --json show sessions)" = '{"sessions":[]}' ]
}

# restart_network: kill the network process and wait until its
# successor has restored the sessions.
restart_network() {
	local lines

	lines=$(file_count "$HE_LOG" 'network.*ready:')
	kill -KILL "$(he_child_pid network)"
	wait_file_count_above "$HE_LOG" 'network.*ready:' "$lines" 10
}

tap_plan 3
he_setup
he_write_config 198.19.0.0/24 "" "reconnect-window = 8;"
he_start
cookie=$(ip netns exec "$NS_CLIENT" python3 "$CSTPCLIENT" login \
	"$VPN_HOSTNAME" /staff alice alice-secret | sed -n 's/^cookie=//p')
spawn_in_ns "$NS_CLIENT" python3 "$CSTPCLIENT" connect "$VPN_HOSTNAME" \
	"$cookie" --hold 600 >"$HE_TMPDIR/hold.log" 2>&1
hold=$SPAWNED_PID
wait_until 10 file_contains "$HE_LOG" 'user=alice .*tunnel up' ||
	true

# The restart takes the client's connection, and the client never comes
# back: from here it has 8 s.
restart_network
kill "$hold" 2>/dev/null || true
start=$SECONDS
tap_ok "the first restore gives the whole window" file_contains "$HE_LOG" \
	'restored from the state file; the client has 8 s to come back'
sleep 4
restart_network
tap_ok "the next restore gives only the rest of it" file_contains \
	"$HE_LOG" 'restored from the state file; the client has [1-6] s to come back'
sleep 4
restart_network
tap_ok "the session ends when the window has passed" wait_until 10 \
	no_sessions
tap_diag "gone $((SECONDS - start)) s after its client"
tap_done
