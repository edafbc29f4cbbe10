#!/bin/bash
# sd_notify through a reload and a stop, seen on a NOTIFY_SOCKET of the
# test's own, as systemd with Type=notify would see them: READY=1 once
# it serves, RELOADING=1 and READY=1 around each reload (also a rejected
# one), and STOPPING=1 on SIGTERM, after which it exits in bounded time
# even with a client connected.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

NOTIFY_SOCKET_PATH="$HE_TMPDIR/notify.sock"
NOTIFY_LOG="$HE_TMPDIR/notify.log"

# A datagram listener standing in for systemd: one line per message.
notify_listen() {
	spawn_in_ns "$NS_HEADEND" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$NOTIFY_SOCKET_PATH" "$NOTIFY_LOG" >"$HE_TMPDIR/notify.err" 2>&1
	wait_until 5 test -S "$NOTIFY_SOCKET_PATH"
}

# notify_count N: at least N messages arrived.
notify_count() {
	[ "$(wc -l <"$NOTIFY_LOG")" -ge "$1" ]
}

# The first word of each message, in order, on one line.
notify_sequence() {
	cut -d ' ' -f 1 "$NOTIFY_LOG" | tr '\n' ' '
}

tap_plan 9
tap_require_commands python3
he_setup
he_write_config
notify_listen || tap_diag_file "$HE_TMPDIR/notify.err"
he_start NOTIFY_SOCKET="$NOTIFY_SOCKET_PATH"
tap_ok "READY=1 once it serves" wait_until 5 notify_count 1
he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"

kill -HUP "$HE_PID"
tap_ok "a reload sends RELOADING=1 and READY=1" wait_until 10 \
	notify_count 3
tap_ok "RELOADING=1 carries MONOTONIC_USEC" file_contains "$NOTIFY_LOG" \
	'^RELOADING=1 MONOTONIC_USEC=[0-9]+'

echo 'bogus-setting = 1;' >>"$HE_CONF"
kill -HUP "$HE_PID"
tap_ok "a rejected reload sends READY=1 too" wait_until 10 notify_count 5

start=$SECONDS
kill -TERM "$HE_PID"
tap_ok "SIGTERM: the daemon exits within 7 s" wait_until 7 pid_stopped \
	"$HE_PID"
tap_diag "stopped after $((SECONDS - start)) s"
status=0
wait "$HE_PID" || status=$?
tap_ok "SIGTERM: the exit status is 0" test "$status" -eq 0
tap_ok "SIGTERM sends STOPPING=1" wait_until 5 notify_count 6
tap_ok "the messages come in order" test "$(notify_sequence)" = \
	"READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 "
tap_ok "SIGTERM logs nobody off" sh -c \
	"! grep -q 'session ended' '$HE_LOG'"
tap_done
