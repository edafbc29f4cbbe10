#!/bin/bash
# Stops that log everyone off, and state files that cannot be trusted.
# "headendctl shutdown --logoff" sends each client a TERMINATE, so
# openconnect exits, and discards the state: the next start restores
# nothing. logoff-on-stop does the same on SIGTERM. A state file written
# under another key, and one that is damaged, are reported, moved aside
# and ignored. So is one that a start cannot open, which is opened once
# it can be.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

STATE="$HE_TMPDIR/state"

# start_and_connect LOG-NAME: start headend on its own log and bring
# alice's tunnel up.
start_and_connect() {
	HE_LOG="$HE_TMPDIR/$1.log"
	he_start
	he_connect alice alice-secret "$HE_TMPDIR/oc-$1.log" ||
		tap_diag_file "$HE_TMPDIR/oc-$1.log"
}

# stop_headend: wait for the daemon to exit and reap it.
stop_headend() {
	wait_until 10 pid_stopped "$HE_PID" || true
	pid_stop "$HE_PID"
}

restored_nothing() {
	file_contains "$HE_LOG" "state file $STATE: 0 session\\(s\\) to restore"
}

no_sessions() {
	[ "$(he_ctl --json show sessions)" = '{"sessions":[]}' ]
}

tap_plan 18
he_setup
he_write_config

# shutdown --logoff
start_and_connect first
tap_ok "shutdown --logoff is accepted" he_ctl shutdown --logoff
tap_ok "shutdown --logoff: openconnect exits by itself" \
	wait_until 10 pid_stopped "$OC_PID"
stop_headend
tap_ok "shutdown --logoff: the state is discarded" file_contains \
	"$HE_LOG" 'discarded every session'
HE_LOG="$HE_TMPDIR/second.log"
he_start
tap_ok "shutdown --logoff: the next start restores nothing" \
	restored_nothing
tap_ok "shutdown --logoff: no session after the restart" no_sessions
pid_stop "$HE_PID"

# logoff-on-stop
sed -i '1a logoff-on-stop = true;' "$HE_CONF"
start_and_connect third
kill -TERM "$HE_PID"
tap_ok "logoff-on-stop: openconnect exits by itself" \
	wait_until 10 pid_stopped "$OC_PID"
stop_headend
tap_ok "logoff-on-stop: every session was logged off" file_contains \
	"$HE_LOG" 'logged off 1 session\(s\) before stopping'
HE_LOG="$HE_TMPDIR/fourth.log"
he_start
tap_ok "logoff-on-stop: the next start restores nothing" restored_nothing
pid_stop "$HE_PID"
sed -i '/^logoff-on-stop/d' "$HE_CONF"

# A session is saved by a plain stop, then the key is replaced.
start_and_connect fifth
pid_stop "$HE_PID"
pid_stop "$OC_PID"
head -c 32 /dev/urandom >"$STATE.key"
HE_LOG="$HE_TMPDIR/sixth.log"
he_start
tap_ok "another key: the state file is reported as foreign" file_contains \
	"$HE_LOG" "state file $STATE was written under another key"
tap_ok "another key: it is moved aside" test -s "$STATE.rejected"
tap_ok "another key: no session is restored" no_sessions
pid_stop "$HE_PID"

# A damaged file.
printf 'not a journal at all, but long enough to hold a header......' \
	>"$STATE"
HE_LOG="$HE_TMPDIR/seventh.log"
he_start
tap_ok "damaged file: reported as not a session journal" file_contains \
	"$HE_LOG" "state file $STATE is not a session journal"
he_connect alice alice-secret "$HE_TMPDIR/oc-seventh.log" || true
tap_ok "damaged file: the daemon serves" tun_has_address "$NS_CLIENT"

# A start that cannot open the state file (its lock file is a symbolic
# link, which the journal refuses) restores nothing. It moves the file
# aside, so that no later start restores alice, and opens the file once
# the lock is fixed.
pid_stop "$HE_PID"
rm -f "$STATE.lock"
ln -s "$HE_TMPDIR/elsewhere" "$STATE.lock"
HE_LOG="$HE_TMPDIR/eighth.log"
he_start
tap_ok "unusable lock: the file is moved aside" file_contains "$HE_LOG" \
	"state file $STATE moved to $STATE.stale"
tap_ok "unusable lock: no session is restored" no_sessions
rm "$STATE.lock"
tap_ok "lock fixed: the state file opens while headend runs" \
	wait_file_contains "$HE_LOG" "state file $STATE: opened" 15
pid_stop "$HE_PID"
HE_LOG="$HE_TMPDIR/ninth.log"
he_start
tap_ok "lock fixed: the next start restores nothing" restored_nothing

# A state folder that others may write is reported at the start.
pid_stop "$HE_PID"
mkdir -m 0777 "$HE_TMPDIR/open"
chmod 0777 "$HE_TMPDIR/open"
sed -i "s|^state-file = .*|state-file = \"$HE_TMPDIR/open/state\";|" \
	"$HE_CONF"
HE_LOG="$HE_TMPDIR/tenth.log"
he_start
tap_ok "open state folder: the start warns" file_contains "$HE_LOG" \
	"the folder $HE_TMPDIR/open of the state file is writable by others"
tap_done
