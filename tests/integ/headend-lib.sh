# shellcheck shell=bash
#
# Helpers for integration tests that run the real headend, sourced after
# lib.sh. he_setup builds the three namespaces, a CA and server
# certificate for vpn.example.net, and a user file; he_start runs headend
# in the headend namespace on a configuration written by he_write_config.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# HEADEND_BUILD selects another build tree, such as build/asan, which
# `make sanitize` tests.
HE_BUILD=${HEADEND_BUILD:-$TOP/build}
HEADEND="$HE_BUILD/headend"
HEADENDCTL="$HE_BUILD/headendctl"
HE_CONF="$HE_TMPDIR/headend.conf"
HE_LOG="$HE_TMPDIR/headend.log"
HE_SOCKET="$HE_TMPDIR/status.sock"
HE_USERS="$HE_TMPDIR/users"
HE_PID=

# The unprivileged user of the network process must exist. Tests run in
# parallel, so another may add it first.
he_ensure_user() {
	getent passwd headend >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin headend 2>/dev/null ||
		wait_until 5 getent passwd headend >/dev/null
}

# he_add_user NAME PASSWORD: add a user to the test's user file.
he_add_user() {
	printf '%s\n' "$2" | "$HEADENDCTL" user add -f "$HE_USERS" "$1" \
		>/dev/null
}

he_setup() {
	tap_require_root
	tap_require_commands openconnect openssl ping
	[ -x "$HEADEND" ] || tap_skip_all "$HEADEND is missing: run make"
	he_ensure_user
	netns_setup
	make_ca_and_server_cert "$HE_TMPDIR" "$VPN_HOSTNAME" >/dev/null
	OC_SERVERCERT=$(cert_sha256_pin "$HE_TMPDIR/server.crt")
	export OC_SERVERCERT
	he_add_user alice alice-secret
}

# he_write_config [POOL [AUTH-LINE [POLICY-EXTRA]]]: write $HE_CONF with
# one tunnel-group "staff" at https://vpn.example.net/staff, pool POOL
# (default 198.19.0.0/24) and AUTH-LINE (default the test's user file).
he_write_config() {
	local pool=${1:-198.19.0.0/24}
	local auth=${2:-"user-file = \"$HE_USERS\";"}
	local policy_extra=${3:-}

	cat >"$HE_CONF" <<CONF
user = "headend";
status-socket = "$HE_SOCKET";
workers = $HE_WORKERS;
state-file = "$HE_TMPDIR/state";
listeners = ( { certificate = "server.crt"; key = "server.key"; } );
tun = { name = "headend0"; address = "198.19.255.1"; };
pools = ( { name = "staff"; network = "$pool"; } );
group-policies = ( { name = "all"; dns = [ "198.19.255.1" ];
	$policy_extra } );
tunnel-groups = ( { name = "staff";
	group-urls = [ "https://vpn.example.net/staff" ];
	authentication = "password"; $auth
	pool = "staff"; group-policy = "all"; } );
CONF
}

# he_diag_stacks: show the threads' stacks of the network process, when
# gdb is installed, so that a test that finds it stuck shows where.
he_diag_stacks() {
	local pid

	pid=$(he_child_pid network)
	command -v gdb >/dev/null && [ -n "$pid" ] && pid_running "$pid" ||
		return 0
	tap_diag "stacks of the network process $pid:"
	timeout 30 gdb -nx -batch -p "$pid" -ex 'thread apply all bt 20' \
		2>/dev/null | grep -E '^(Thread|#)' | cut -c 1-160 |
		tap_diag_stdin
}

# he_start [ENV=VALUE...]: start headend and wait until it serves.
he_start() {
	local ready

	ready=$(file_count "$HE_LOG" 'network.*ready:')
	spawn_in_ns "$NS_HEADEND" env "$@" "$HEADEND" -f -v -c "$HE_CONF" \
		>>"$HE_LOG" 2>&1
	HE_PID=$SPAWNED_PID
	if ! wait_file_count_above "$HE_LOG" 'network.*ready:' "$ready" 10 ||
		! wait_tcp_listen "$NS_HEADEND" 443; then
		tap_diag_file "$HE_LOG"
		he_diag_stacks
		return 1
	fi
}

he_ctl() {
	"$HEADENDCTL" -s "$HE_SOCKET" "$@"
}

# he_connect USER PASSWORD LOG [ARGS...]: connect openconnect to the
# staff group and wait for its tunnel; returns 1 if it does not come up.
he_connect() {
	local user=$1 password=$2 log=$3

	shift 3
	oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" "$user" \
		"$password" "$log" "$@"
	OC_PID=$SPAWNED_PID
	wait_until 15 he_tunnel_ready && return 0
	he_diag_stacks
	return 1
}

# True once openconnect's script has given the tun device an address and
# at least one route, which it adds last.
he_tunnel_ready() {
	local dev

	dev=$(tun_device "$NS_CLIENT") || return 1
	[ -n "$(ip -n "$NS_CLIENT" route show dev "$dev")" ]
}

# he_ping_inside: one ping from the client to the inside host.
he_ping_inside() {
	ip netns exec "$NS_CLIENT" ping -c 1 -W 2 "$INSIDE_ADDR" >/dev/null
}

# he_child_pid ROLE: PID of the headend process whose log lines carry
# ROLE. For authd and the network process it is the parent's line about
# their start, which comes before the network process is ready, while
# their own first line may come later.
he_child_pid() {
	local pattern="$1\[[0-9]+\]"

	case $1 in
	authd) pattern='started authd, pid [0-9]+' ;;
	network) pattern='started the network process, pid [0-9]+' ;;
	esac
	grep -Eo "$pattern" "$HE_LOG" | tail -n 1 | tr -dc '0-9'
}

# he_session_field JQ-PATH: a field of the first session, via python's
# strict JSON parser.
he_session_json() {
	he_ctl --json show sessions | python3 -c "$1"
}

# ---- sanitizer reports -------------------------------------------------------

# In a sanitizer build, every headend process and headendctl writes its
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer reports
# to files in $HE_SANITIZER_DIR, and stops at the first error. The network
# process runs as the headend user, so the folder is world-writable and
# $HE_TMPDIR must be searchable. Other builds ignore these variables.
HE_SANITIZER_DIR="$HE_TMPDIR/sanitizer"
mkdir -m 1777 "$HE_SANITIZER_DIR"
chmod 0711 "$HE_TMPDIR"
# Unwinding without frame pointers finds callers through OpenSSL. The
# PAM tests preload libpam_wrapper, which ASan would reject as coming
# before its runtime.
export ASAN_OPTIONS="log_path=$HE_SANITIZER_DIR/asan:abort_on_error=1"
ASAN_OPTIONS+=":fast_unwind_on_malloc=0:verify_asan_link_order=0"
export UBSAN_OPTIONS="log_path=$HE_SANITIZER_DIR/ubsan:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$TOP/tests/fuzz/lsan.supp"
# ASan stops a process that dlopens with RTLD_DEEPBIND, which pam_wrapper
# does with libpam unless this variable is set. pam_wrapper 1.1.4 (Debian
# 12) reads the UID_ name, later versions the PAM_ one.
export UID_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1

# he_sanitizer_clean: when a sanitizer wrote a report, add a failed test
# with the reports as diagnostics and return 1.
he_sanitizer_clean() {
	local report reports=()

	# LeakSanitizer writes this note, and nothing else, when a process
	# forked from headend's parent exits: the parent's main thread is
	# still in the child's thread list. It is not a finding.
	local benign='Running thread [0-9]+ was not suspended\. False leaks'

	for report in "$HE_SANITIZER_DIR"/*; do
		[ -e "$report" ] || continue
		grep -Evq "$benign" "$report" || continue
		reports+=("$report")
	done
	[ "${#reports[@]}" -eq 0 ] && return 0
	tap_result 1 "no sanitizer reports" || true
	# The first error and its stack come first in a report.
	for report in "${reports[@]}"; do
		tap_diag "first 100 lines of $report:"
		head -n 100 "$report" | tap_diag_stdin
	done
	return 1
}

# he_filter_clean: when the seccomp filter stopped the network process,
# add a failed test with the log lines that name the system call.
he_filter_clean() {
	local pattern='not allowed by the seccomp filter'

	[ -e "$HE_LOG" ] && grep -q "$pattern" "$HE_LOG" || return 0
	tap_result 1 "seccomp filter stopped nothing" || true
	grep "$pattern" "$HE_LOG" | tap_diag_stdin
	return 1
}

# Replaces the EXIT trap of lib.sh. The processes are stopped first, so
# the reports they write while exiting (leaks above all) are complete. A
# failed test shows the end of headend's log, as a failure in CI can
# seldom be run again to see it.
he_cleanup() {
	local status=$?

	netns_teardown
	he_sanitizer_clean || status=1
	he_filter_clean || status=1
	if [ "$status" -ne 0 ] || [ "$TAP_FAILED" -ne 0 ]; then
		[ ! -s "$HE_LOG" ] || tap_diag_file "$HE_LOG" 60
	fi
	lib_cleanup
	exit "$status"
}
trap he_cleanup EXIT
