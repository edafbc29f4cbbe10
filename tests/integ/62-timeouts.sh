#!/bin/bash
# Group-policy timers. The idle timeout ends a session whose client only
# pings, but not one that sends UDP. The session timeout counts from the
# login, and a reconnect shortly before it does not move the end. A
# new-tunnel rekey makes openconnect reconnect to the same address.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

# restart POLICY-EXTRA: run headend again with these group-policy lines.
restart() {
	if [ -n "$HE_PID" ]; then
		lc_logoff_all
		pid_stop "$HE_PID"
	fi
	he_write_config 198.19.0.0/24 "" "$1"
	he_start
}

# udp_every SECONDS COUNT: from the client, one UDP datagram to the
# inside host's discard port every SECONDS, COUNT times.
udp_every() {
	ip netns exec "$NS_CLIENT" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[3])):
    s.sendto(b"sip keepalive", (sys.argv[1], 9))
    time.sleep(float(sys.argv[2]))' "$INSIDE_ADDR" "$1" "$2"
}

# ended_after USER: seconds from the start of USER's session to its
# "session ended" line in the log.
ended_after() {
	grep "user=$1 .*session ended" "$HE_LOG" | tail -n 1 |
		grep -Eo 'duration=[0-9]+' | cut -d= -f2
}

tap_plan 14
he_setup

# ---- idle timeout: ICMP echo does not count, UDP does ----------------------

restart "idle-timeout = 4;"
he_connect alice alice-secret "$HE_TMPDIR/oc1.log" ||
	tap_diag_file "$HE_TMPDIR/oc1.log"
spawn_in_ns "$NS_CLIENT" ping -i 0.5 -W 1 "$INSIDE_ADDR" >/dev/null 2>&1
pinger=$SPAWNED_PID
tap_ok "pings only: session ends by the idle timeout" \
	wait_until 10 lc_has_count alice 0
tap_ok "pings only: logged as an idle timeout" file_contains "$HE_LOG" \
	'user=alice .*session ended \(idle timeout'
tap_ok "pings only: openconnect exits on TERMINATE" \
	wait_until 5 pid_stopped "$OC_PID"
pid_stop "$pinger"
pid_stop "$OC_PID"

he_connect alice alice-secret "$HE_TMPDIR/oc2.log" ||
	tap_diag_file "$HE_TMPDIR/oc2.log"
udp_every 1 8
tap_ok "UDP every second: session outlives the idle timeout" \
	lc_has_count alice 1
tap_ok "UDP stopped: session ends by the idle timeout" \
	wait_until 10 lc_has_count alice 0
pid_stop "$OC_PID"

# ---- session timeout, with a reconnect shortly before it -------------------

restart "idle-timeout = 0; session-timeout = 8;"
he_connect alice alice-secret "$HE_TMPDIR/oc3.log" ||
	tap_diag_file "$HE_TMPDIR/oc3.log"
tap_ok "session timeout advertised" file_contains "$HE_TMPDIR/oc3.log" \
	'X-CSTP-Session-Timeout: [78]$'
sleep 4
lc_kill_tcp
tap_ok "reconnect before the session timeout" \
	wait_until 3 lc_reconnected alice 1
tap_ok "the reconnect sees only the time left" \
	file_contains "$HE_TMPDIR/oc3.log" 'X-CSTP-Session-Timeout: [1-4]$'
tap_ok "session ends by the session timeout" \
	wait_until 8 lc_has_count alice 0
took=$(ended_after alice)
tap_diag "session ended ${took}s after the login"
tap_ok "session ends 8 s after the login, reconnect or not" \
	test "$took" -ge 8 -a "$took" -le 9
tap_ok "logged as a session timeout" file_contains "$HE_LOG" \
	'user=alice .*session ended \(session timeout'
pid_stop "$OC_PID"

# ---- rekey by a new tunnel -------------------------------------------------

restart "rekey-time = 3;"
he_connect alice alice-secret "$HE_TMPDIR/oc4.log" ||
	tap_diag_file "$HE_TMPDIR/oc4.log"
addr=$(lc_field alice address)
tap_ok "rekey advertised as new-tunnel" sh -c \
	"grep -q 'X-CSTP-Rekey-Method: new-tunnel' '$HE_TMPDIR/oc4.log' &&
	grep -q 'X-CSTP-Rekey-Time: 3' '$HE_TMPDIR/oc4.log'"
tap_ok "rekey: openconnect reconnects with its cookie" \
	wait_until 10 lc_reconnected alice 1
tap_ok "rekey: same address, one lease" sh -c \
	"[ '$(lc_field alice address)' = '$addr' ] && [ $(lc_pool_used) -eq 1 ]"
pid_stop "$OC_PID"
tap_done
