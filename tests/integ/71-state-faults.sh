#!/bin/bash
# State files on a bad day. A start on a full disk restores the sessions
# of a sound state file and writes the file once there is room. A stop
# on a full disk, after a logoff that the file could not record, moves
# the file aside, so that no later start brings that session back. A
# key file that the start cannot use (mode 0644) is read again once it
# is fixed, and the logins after that survive a restart. A logoff stop
# on a full disk sets the file aside too. A state file in
# a shared folder gets advice that leaves the folder's mode alone.
set -eu

# The test mounts a small tmpfs for the state file. In a mount namespace
# of its own, the mount ends with the test, whatever happens.
if [ -z "${HE_OWN_MOUNTS:-}" ]; then
	HE_OWN_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

STATE_DIR="$HE_TMPDIR/st"
STATE="$STATE_DIR/sessions"

# start LOG-NAME: start headend with its log in $HE_TMPDIR/LOG-NAME.log.
start() {
	HE_LOG="$HE_TMPDIR/$1.log"
	he_start
}

stop() {
	pid_stop "$HE_PID"
}

# fill_disk: fill the state file's tmpfs to the last byte.
fill_disk() {
	dd if=/dev/zero of="$STATE_DIR/filler" bs=4k 2>/dev/null || true
}

free_disk() {
	rm -f "$STATE_DIR/filler"
}

# login USER: an XML login, which makes a session; fails without cookie.
login() {
	[ -n "$(lc_login "$1" "$1-secret")" ]
}

session_count() {
	lc_sessions 'print(len(sessions))'
}

count_is() {
	[ "$(session_count)" -eq "$1" ]
}

# login_until_unrecorded: log dave in until the state file cannot
# record a login. An append that does not fit is cut off again, so the
# room left after that is less than one login record.
login_until_unrecorded() {
	local i

	for i in $(seq 60); do
		login dave || return 1
		if file_contains "$HE_LOG" 'cannot record the login'; then
			return 0
		fi
	done
	return 1
}

tap_plan 15
he_setup
for user in bob carol dave; do
	he_add_user "$user" "$user-secret"
done
he_write_config "" "" "simultaneous-logins = 100;"
sed -i "s|^state-file = .*|state-file = \"$STATE\";|" "$HE_CONF"
mkdir -m 0700 "$STATE_DIR"
mount -t tmpfs -o size=256k,mode=0700 he-state "$STATE_DIR"
trap 'umount "$STATE_DIR" 2>/dev/null || true; lib_cleanup' EXIT

# --- a full disk at the start -------------------------------------------
start full-1
login alice && login carol || tap_diag "a login failed"
stop
fill_disk
start full-2
tap_ok "full disk: the start restores both sessions" count_is 2
tap_ok "full disk: the log says the file waits for room" file_contains \
	"$HE_LOG" "cannot write the state file $STATE at the start: No space \
left on device; its 2 session\\(s\\) are restored"
free_disk
tap_ok "full disk: the file is written once there is room" \
	wait_file_contains "$HE_LOG" "state file $STATE: written again" 15

# --- a logoff that a full disk keeps out of the file --------------------
# Bob's 8 sessions are in the file. After a login that does not fit, the
# ends of all 8 do not fit either. A folder in place of the rewrite's
# temporary file keeps the rewrite failing too.
mkdir "$STATE.tmp"
for i in $(seq 8); do
	login bob || tap_diag "bob's login $i failed"
done
fill_disk
tap_ok "full disk: a login goes unrecorded" login_until_unrecorded
he_ctl logoff user bob >/dev/null
stop
tap_ok "full disk: the stop moves the file aside" file_contains "$HE_LOG" \
	"misses the end of sessions that were logged off, so it is moved to \
$STATE.stale"
free_disk
rmdir "$STATE.tmp"
start full-3
tap_ok "full disk: the next start restores no session" count_is 0
tap_ok "full disk: the start finds no state file" file_contains "$HE_LOG" \
	"state file $STATE: 0 session\\(s\\) to restore"
stop

# --- a key file with mode 0644 ------------------------------------------
chmod 0644 "$STATE.key"
start key-1
tap_ok "key file: the start names the mode and the fix" file_contains \
	"$HE_LOG" "key file $STATE.key has mode 0644, expected 0600: chmod \
0600 it"
chmod 0600 "$STATE.key"
tap_ok "key file: it is read again once fixed" \
	wait_file_contains "$HE_LOG" "key file $STATE.key: usable now" 15
tap_ok "key file: the state file opens then" \
	wait_file_contains "$HE_LOG" "state file $STATE: opened" 5
login carol || tap_diag "carol's login failed"
stop
start key-2
tap_ok "key file: the login after the fix survives a restart" count_is 1
tap_ok "key file: it is carol's" lc_has_count carol 1
stop

# --- a logoff stop that cannot empty the file --------------------------
# With logoff-on-stop and the network process gone, the parent empties
# the file itself. On a full disk it cannot, so it sets the file aside.
echo 'logoff-on-stop = true;' >>"$HE_CONF"
start discard-1
login carol || tap_diag "carol's login failed"
fill_disk
kill -KILL "$(he_child_pid network)"
kill -TERM "$HE_PID"
wait_until 15 pid_stopped "$HE_PID" || tap_diag "headend did not stop"
tap_ok "logoff stop on a full disk: the file is set aside" file_contains \
	"$HE_LOG" "misses the end of sessions that were logged off, so it is \
moved to $STATE.stale"
free_disk
sed -i '/^logoff-on-stop/d' "$HE_CONF"
start discard-2
tap_ok "logoff stop on a full disk: no session comes back" count_is 0
stop

# --- a shared folder ------------------------------------------------------
# The warning about a folder that others may write must not advise a
# chmod that would break a shared folder such as /tmp.
mkdir -m 1777 "$HE_TMPDIR/shared"
sed -i "s|^state-file = .*|state-file = \"$HE_TMPDIR/shared/sessions\";|" \
	"$HE_CONF"
start shared
tap_ok "shared folder: the warning advises a folder of its own" \
	file_contains "$HE_LOG" "the folder $HE_TMPDIR/shared of the state \
file is writable by others.*give it a folder of its own"
stop
tap_done
