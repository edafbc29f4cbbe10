#!/bin/bash
# The systemd integration, checked without systemd as PID 1: the unit,
# sysusers.d and tmpfiles.d files that `make install` writes are checked
# by systemd's own tools in a scratch root, and the daemon sends READY=1
# and STOPPING=1 to a NOTIFY_SOCKET of the test's own, as Type=notify
# requires.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

ROOT="$HE_TMPDIR/root"
UNIT="$ROOT/lib/systemd/system/headend.service"
NOTIFY_SOCKET_PATH="$HE_TMPDIR/notify.sock"
NOTIFY_LOG="$HE_TMPDIR/notify.log"

# Highest overall exposure that `systemd-analyze security` may report, in
# tenths (systemd 252 rates 0 to 100; up to 49 is "OK"). The unit scores
# 30 with systemd 252.
EXPOSURE_MAX=40

install_to_root() {
	make -C "$TOP" --no-print-directory install DESTDIR="$ROOT" \
		>"$HE_TMPDIR/install.log" 2>&1 ||
		{ tail -n 20 "$HE_TMPDIR/install.log"; return 1; }
}

# systemd-analyze verify needs the binaries on their real paths, so this
# copy points into the scratch root.
unit_for_host() {
	sed "s|=/usr/local/sbin/|=$ROOT/usr/local/sbin/|g" "$UNIT" \
		>"$HE_TMPDIR/headend.service"
}

# verify exits 0 on some problems, such as an unknown directive, so its
# output must be empty as well.
unit_verifies() {
	local output

	output=$(systemd-analyze verify "$HE_TMPDIR/headend.service" 2>&1) ||
		{ echo "$output"; return 1; }
	[ -z "$output" ] || { echo "$output"; return 1; }
}

unit_exposure_ok() {
	local output

	output=$(systemd-analyze security --offline=true \
		--threshold="$EXPOSURE_MAX" "$HE_TMPDIR/headend.service") ||
		{ tail -n 1 <<<"$output"; return 1; }
}

unit_has() {
	grep -qx -- "$1" "$UNIT" || { echo "missing line: $1"; return 1; }
}

sysusers_creates_user() {
	local entry='^headend:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:'

	entry+='/usr/sbin/nologin$'
	mkdir -p "$ROOT/etc"
	systemd-sysusers --root="$ROOT" \
		"$ROOT/usr/lib/sysusers.d/headend.conf" &&
		grep -Eq "$entry" "$ROOT/etc/passwd" &&
		grep -q '^headend:' "$ROOT/etc/group"
}

tmpfiles_creates_run_dir() {
	systemd-tmpfiles --root="$ROOT" --create \
		"$ROOT/usr/lib/tmpfiles.d/headend.conf" &&
		[ "$(stat -c '%a %U %G' "$ROOT/run/headend")" = \
			"755 root root" ]
}

# A datagram listener standing in for systemd: it appends each message it
# receives to NOTIFY_LOG, one line each.
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

tap_plan 11
tap_require_root
tap_require_commands systemd-analyze systemd-sysusers systemd-tmpfiles \
	python3
tap_ok "make install writes into DESTDIR" install_to_root
unit_for_host
tap_ok "systemd-analyze verify accepts the unit" unit_verifies
tap_ok "unit exposure at most $EXPOSURE_MAX tenths" unit_exposure_ok
tap_ok "unit is Type=notify" unit_has "Type=notify"
tap_ok "unit checks and runs the installed configuration" unit_has \
	"ExecStartPre=/usr/local/sbin/headend -t -c /etc/headend/headend.conf"
tap_ok "unit sets NoNewPrivileges" unit_has "NoNewPrivileges=yes"
tap_ok "sysusers.d creates the headend user" sysusers_creates_user
tap_ok "tmpfiles.d creates /run/headend" tmpfiles_creates_run_dir

he_setup
he_write_config
notify_listen || tap_diag_file "$HE_TMPDIR/notify.err"
he_start NOTIFY_SOCKET="$NOTIFY_SOCKET_PATH"
tap_ok "headend sends READY=1 once it serves" \
	wait_file_contains "$NOTIFY_LOG" '^READY=1' 5
pid_stop "$HE_PID"
tap_ok "headend sends STOPPING=1 on SIGTERM" \
	wait_file_contains "$NOTIFY_LOG" '^STOPPING=1' 5
tap_ok "READY=1 came before STOPPING=1" sh -c \
	"[ \"\$(cut -d ' ' -f 1 '$NOTIFY_LOG')\" = \"READY=1
STOPPING=1\" ]"
tap_done
