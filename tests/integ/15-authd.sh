#!/bin/bash
# authd supervision: when authd is killed, the parent restarts it and
# passes its socket to the network process. Password logins work again,
# and an established session keeps passing packets throughout.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

tap_plan 9
he_setup
he_add_user bob bob-secret
he_write_config
he_start
he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"

old=$(he_child_pid authd)
kill -KILL "$old"
tap_ok "parent restarts authd" \
	wait_file_count_above "$HE_LOG" 'started authd, pid' 1 10
new=$(grep -Eo 'started authd, pid [0-9]+' "$HE_LOG" | tail -n 1 |
	tr -dc '0-9')
tap_ok "the new authd is another process" test "$new" != "$old"
tap_ok "established session untouched" he_ping_inside
tap_ok "network process got the new socket" wait_file_contains "$HE_LOG" \
	'connected to a new authd' 10

oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" bob bob-secret \
	"$HE_TMPDIR/bob.log"
tap_ok "password login works again" wait_until 15 sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show sessions |
	grep -q '\"user\":\"bob\",[^}]*\"connected\":true'"

# A stopped authd, like one stuck in a PAM module, must not hold up the
# restart of the network process: the parent does not wait for it.
stuck=$(he_child_pid authd)
kill -STOP "$stuck"
ready=$(file_count "$HE_LOG" 'network.*ready:')
kill -KILL "$(he_child_pid network)"
tap_ok "stopped authd: the network process comes back" \
	wait_file_count_above "$HE_LOG" 'network.*ready:' "$ready" 15
tap_ok "stopped authd: the stopped one is ended" wait_until 10 \
	pid_stopped "$stuck"

# A network process that keeps dying right after its start is restarted
# less and less often, and runs on once it no longer dies.
for kill_round in 1 2 3 4 5; do
	started=$(file_count "$HE_LOG" 'started the network process')
	kill -KILL "$(grep -Eo 'started the network process, pid [0-9]+' \
		"$HE_LOG" | tail -n 1 | tr -dc '0-9')" 2>/dev/null || true
	wait_file_count_above "$HE_LOG" 'started the network process' \
		"$started" 40 || break
done
tap_diag "network process killed $kill_round time(s) after its start"
tap_ok "quick deaths: the restart delay grows" file_contains "$HE_LOG" \
	'the network process .* restarting it in 4 s'
last=$(grep -Eo 'started the network process, pid [0-9]+' "$HE_LOG" |
	tail -n 1 | tr -dc '0-9')
tap_ok "quick deaths: it runs on once it no longer dies" wait_until 20 \
	sh -c "kill -0 $last && '$HEADENDCTL' -s '$HE_SOCKET' show stats \
	>/dev/null"
tap_done
