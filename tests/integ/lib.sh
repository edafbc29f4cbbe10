# shellcheck shell=bash
#
# Shared helpers for the integration tests in tests/integ/*.sh, which print
# TAP and run under `prove -e bash tests/integ/*.sh`. Source this file
# after `set -eu`. It installs an EXIT trap that stops the processes
# started with spawn_in_ns, deletes the namespaces and removes $HE_TMPDIR,
# so tests must not set their own EXIT trap. Under set -e, a failed tap_ok
# ends the test, and prove reports the missing tests as a failure.
#
# Each test runs in three network namespaces of its own, named after the
# test's PID so that tests and a demo can run side by side:
#
#   +-------------+            +-------------------+            +-------------+
#   | client ns   |            | headend ns        |            | inside ns   |
#   | openconnect |  veth-c    | veth-ho   veth-hi |  veth-i    | servers     |
#   | 198.18.0.5  |<---------->| 198.18.0.1        |<---------->| 198.18.1.2  |
#   |             |            |        198.18.1.1 |            |             |
#   +-------------+            +-------------------+            +-------------+
#
# Only the headend forwards packets. The only default route is the one
# that the openconnect script adds in the client namespace, and it leads
# into the tunnel, which ends at the headend. So no packet can leave the
# three namespaces. The inside host routes the VPN address pool
# ($VPN_POOL) back through the headend.

NS_CLIENT="he-$$-client"
NS_HEADEND="he-$$-headend"
NS_INSIDE="he-$$-inside"

# Odd, so that with two workers the client's tunnel runs on worker 1 and
# every test crosses from the control thread to a worker thread.
CLIENT_ADDR=198.18.0.5
HEADEND_OUTSIDE_ADDR=198.18.0.1
HEADEND_INSIDE_ADDR=198.18.1.1
INSIDE_ADDR=198.18.1.2
VPN_POOL=198.19.0.0/16
VPN_HOSTNAME=vpn.example.net

# Worker threads of the headend under test: two, whatever the machine, so
# that handovers between workers run on every machine.
HE_WORKERS=${HE_WORKERS:-2}

# Seconds that netns_teardown waits for a process after SIGTERM before it
# sends SIGKILL. openconnect needs this to send its disconnect message,
# and headend's parent must be left the 5 s it gives its children before
# it kills them.
TEARDOWN_TIMEOUT=8

TAP_COUNT=0
TAP_FAILED=0
SPAWNED_PIDS=()
SPAWNED_PID=
NETNS_CREATED=()
HE_TMPDIR=

# ---- TAP output ------------------------------------------------------------

tap_plan() {
	echo "1..$1"
}

# tap_result STATUS DESCRIPTION: print "ok" when STATUS is 0, else "not ok".
tap_result() {
	local status=$1 description=$2

	TAP_COUNT=$((TAP_COUNT + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $TAP_COUNT - $description"
		return 0
	fi
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_COUNT - $description"
	return 1
}

# tap_ok DESCRIPTION CMD...: run CMD in a subshell and report its exit
# status. The output of a failed CMD is shown as diagnostics. Returns the
# status, so `tap_ok ... || true` continues after a failure under set -e.
tap_ok() {
	local description=$1 output status=0

	shift
	output=$("$@" 2>&1) || status=$?
	if tap_result "$status" "$description"; then
		return 0
	fi
	tap_diag "command failed with status $status: $*"
	[ -z "$output" ] || printf '%s\n' "$output" | tap_diag_stdin
	return "$status"
}

# Diagnostics go to stderr, where prove shows them even without -v.
tap_diag() {
	printf '# %s\n' "$*" >&2
}

tap_diag_stdin() {
	sed 's/^/# /' >&2
}

# tap_diag_file FILE [LINES]: show the last LINES (default 40) of FILE.
tap_diag_file() {
	local file=$1 lines=${2:-40}

	tap_diag "last $lines lines of $file:"
	tail -n "$lines" "$file" 2>&1 | tap_diag_stdin
}

# tap_skip_all REASON: skip the whole test. When CI is set, nothing may be
# skipped, so the skip is reported as a failure instead.
tap_skip_all() {
	local reason=$1

	if [ -n "${CI:-}" ]; then
		echo "1..1"
		echo "not ok 1 - $reason (CI is set, so skipping is a failure)"
		exit 1
	fi
	echo "1..0 # SKIP $reason"
	exit 0
}

# tap_done: exit 1 if any test failed, so that callers other than prove
# also see the failure.
tap_done() {
	[ "$TAP_FAILED" -eq 0 ] || exit 1
	exit 0
}

tap_require_root() {
	[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root"
}

# tap_require_commands CMD...: skip unless every CMD is installed.
tap_require_commands() {
	local cmd

	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 ||
			tap_skip_all "needs $cmd (run scripts/install-deps)"
	done
}

# ---- waiting ---------------------------------------------------------------

# wait_until TIMEOUT_SECONDS CMD...: run CMD every 0.1 s until it succeeds.
# Returns 1 when it still fails after TIMEOUT_SECONDS (an integer).
wait_until() {
	local timeout=$1 deadline

	shift
	deadline=$((${EPOCHREALTIME//[!0-9]/} + timeout * 1000000))
	until "$@"; do
		if [ "${EPOCHREALTIME//[!0-9]/}" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# wait_or_diag TIMEOUT WHAT CMD...: wait_until, and when it times out,
# say what did not happen and go on. The checks after it then fail by
# name, where set -e would end the test with a bad plan.
wait_or_diag() {
	local timeout=$1 what=$2

	shift 2
	wait_until "$timeout" "$@" && return 0
	tap_diag "gave up after $timeout s waiting until $what"
}

tcp_listening() {
	[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ]
}

udp_listening() {
	[ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2")" ]
}

# wait_tcp_listen NS PORT [TIMEOUT]: wait for a TCP listener on PORT in NS.
wait_tcp_listen() {
	wait_until "${3:-10}" tcp_listening "$1" "$2"
}

wait_udp_listen() {
	wait_until "${3:-10}" udp_listening "$1" "$2"
}

file_contains() {
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# wait_file_contains FILE REGEX TIMEOUT: wait for an extended regex match.
wait_file_contains() {
	wait_until "$3" file_contains "$1" "$2"
}

# file_count FILE REGEX: print how many lines of FILE match REGEX, or 0
# when FILE is missing.
file_count() {
	local count

	count=$(grep -Ec -- "$2" "$1" 2>/dev/null) || true
	echo "${count:-0}"
}

# file_count_above FILE REGEX N: true once more than N lines match.
file_count_above() {
	[ "$(file_count "$1" "$2")" -gt "$3" ]
}

# wait_file_count_above FILE REGEX N TIMEOUT: wait for a line that
# matches REGEX beyond the first N, such as the log line of a restart
# when earlier starts wrote the same line.
wait_file_count_above() {
	wait_until "$4" file_count_above "$1" "$2" "$3"
}

# ---- processes -------------------------------------------------------------

# shellcheck disable=SC2034 # SPAWNED_PID is for the tests that source this
spawn_record() {
	SPAWNED_PID=$1
	SPAWNED_PIDS+=("$1")
}

# spawn_in_ns NS CMD...: start CMD in the background inside NS, with stdin
# from /dev/null. Its PID goes into SPAWNED_PID and into the list that
# netns_teardown stops. Redirect the call's output to a log file. A call
# in a subshell, such as $(...) or tap_ok, records the PID only in that
# subshell, so stop the process there with pid_stop.
spawn_in_ns() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@" </dev/null &
	spawn_record "$!"
}

# spawn_in_ns_with_input NS TEXT CMD...: like spawn_in_ns, with TEXT and a
# newline on the command's stdin.
spawn_in_ns_with_input() {
	local ns=$1 input=$2

	shift 2
	ip netns exec "$ns" "$@" <<<"$input" &
	spawn_record "$!"
}

# True while PID is alive and not yet a zombie.
pid_running() {
	local state

	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $state != Z* ]]
}

# True when PID is a child of this shell, so a PID that was reaped and
# reused by an unrelated process is never signalled. BASHPID, not $$, is
# the shell that ran spawn_in_ns when that ran in a subshell.
pid_is_ours() {
	[ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$BASHPID" ]
}

pid_stopped() {
	! pid_running "$1"
}

# pid_stop PID: SIGTERM, then SIGKILL after TEARDOWN_TIMEOUT seconds.
pid_stop() {
	local pid=$1

	if pid_running "$pid" && pid_is_ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_until "$TEARDOWN_TIMEOUT" pid_stopped "$pid"; then
			tap_diag "PID $pid ($(ps -o comm= -p "$pid")) ignored" \
				"SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# Stop the spawned processes, newest first, so clients go before servers.
spawn_stop_all() {
	local i

	for ((i = ${#SPAWNED_PIDS[@]} - 1; i >= 0; i--)); do
		pid_stop "${SPAWNED_PIDS[i]}"
	done
	SPAWNED_PIDS=()
}

# ---- namespaces ------------------------------------------------------------

netns_create() {
	local ns=$1 forward=$2

	ip netns add "$ns"
	NETNS_CREATED+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward="$forward"

	# The headend is IPv4 only, and this keeps IPv6 router and neighbour
	# solicitations off the links.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

# netns_link NS1 IF1 ADDR1 NS2 IF2 ADDR2: create a veth pair between two
# namespaces, with an address on each end. Both ends are created inside
# the namespaces, so their names cannot clash with those of other tests.
netns_link() {
	local ns1=$1 if1=$2 addr1=$3 ns2=$4 if2=$5 addr2=$6

	ip -n "$ns1" link add "$if1" type veth peer name "$if2" netns "$ns2"
	ip -n "$ns1" addr add "$addr1" dev "$if1"
	ip -n "$ns2" addr add "$addr2" dev "$if2"
	ip -n "$ns1" link set "$if1" up
	ip -n "$ns2" link set "$if2" up
}

# netns_setup: create the topology drawn at the top of this file.
netns_setup() {
	netns_create "$NS_CLIENT" 0
	netns_create "$NS_HEADEND" 1
	netns_create "$NS_INSIDE" 0
	netns_link "$NS_CLIENT" veth-c "$CLIENT_ADDR/24" \
		"$NS_HEADEND" veth-ho "$HEADEND_OUTSIDE_ADDR/24"
	netns_link "$NS_HEADEND" veth-hi "$HEADEND_INSIDE_ADDR/24" \
		"$NS_INSIDE" veth-i "$INSIDE_ADDR/24"
	ip -n "$NS_INSIDE" route add "$VPN_POOL" via "$HEADEND_INSIDE_ADDR"
}

# Kill what is left in a namespace of ours, such as children that a
# spawned process started and did not stop. Only this test's namespaces
# are searched, so only processes this test started are hit.
netns_kill_leftovers() {
	local ns=$1 pid

	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		tap_diag "killing PID $pid left in namespace $ns"
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# netns_teardown: stop the spawned processes and delete the namespaces.
# Safe to call more than once.
netns_teardown() {
	local ns

	spawn_stop_all
	for ns in "${NETNS_CREATED[@]}"; do
		netns_kill_leftovers "$ns"
		ip netns del "$ns" 2>/dev/null ||
			tap_diag "failed to delete namespace $ns"
	done
	NETNS_CREATED=()
}

# Paths outside HE_TMPDIR that a test made and cleanup removes.
LIB_CLEANUP_PATHS=()

lib_cleanup() {
	netns_teardown
	if [ "${#LIB_CLEANUP_PATHS[@]}" -gt 0 ]; then
		rm -rf "${LIB_CLEANUP_PATHS[@]}"
	fi
	if [ -z "$HE_TMPDIR" ]; then
		return
	elif [ -n "${HE_KEEP_TMPDIR:-}" ]; then
		tap_diag "kept $HE_TMPDIR because HE_KEEP_TMPDIR is set"
	else
		rm -rf "$HE_TMPDIR"
	fi
}

# The traps go in before the directory is made, so an interrupt cannot
# leave it behind.
trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
HE_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/he-$$.XXXXXX")

# ---- certificates ----------------------------------------------------------

# make_ca_and_server_cert DIR HOSTNAME: write a demo CA (DIR/ca.crt and
# DIR/ca.key) and a server certificate for HOSTNAME signed by it
# (DIR/server.crt and DIR/server.key). Both keys are RSA 2048, and both
# certificates are valid for 30 days. openssl 3 picks a random serial.
make_ca_and_server_cert() (
	set -eu
	dir=$1
	host=$2

	umask 077
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
		-subj "/CN=headend test CA" \
		-addext "basicConstraints = critical, CA:TRUE" \
		-addext "keyUsage = critical, keyCertSign, cRLSign" \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null

	printf '%s\n' \
		"basicConstraints = critical, CA:FALSE" \
		"keyUsage = critical, digitalSignature, keyEncipherment" \
		"extendedKeyUsage = serverAuth" \
		"subjectAltName = DNS:$host" >"$dir/server.ext"
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$host" \
		-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
	openssl x509 -req -days 30 -in "$dir/server.csr" \
		-CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
	rm -f "$dir/server.csr" "$dir/server.ext"
)

# cert_sha256_pin FILE: print the pin that openconnect's --servercert
# accepts, "pin-sha256:" and the base64 SHA-256 of the certificate's
# SubjectPublicKeyInfo.
cert_sha256_pin() (
	set -eu -o pipefail
	digest=$(openssl x509 -in "$1" -noout -pubkey |
		openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | base64)
	echo "pin-sha256:$digest"
)

# ---- openconnect -----------------------------------------------------------

# oc_script_path: write the vpnc-script replacement for openconnect's
# --script to $HE_TMPDIR and print its path. On "connect" it sets the
# address, MTU and routes of the tun device: the networks in
# CISCO_SPLIT_INC_<i>_ADDR/MASKLEN when the headend sends split routes,
# otherwise a default route into the tunnel. Other reasons do nothing,
# and it never touches /etc/resolv.conf.
oc_script_path() {
	local path="$HE_TMPDIR/oc-script"

	cat >"$path" <<'EOF'
#!/bin/bash
set -eu

run() {
	echo "oc-script: $*" >&2
	"$@"
}

add_split_routes() {
	local i addr masklen

	for ((i = 0; i < CISCO_SPLIT_INC; i++)); do
		addr="CISCO_SPLIT_INC_${i}_ADDR"
		masklen="CISCO_SPLIT_INC_${i}_MASKLEN"
		run ip route add "${!addr}/${!masklen}" dev "$TUNDEV"
	done
}

configure_tun() {
	run ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
	if [ -n "${INTERNAL_IP4_MTU:-}" ]; then
		run ip link set dev "$TUNDEV" mtu "$INTERNAL_IP4_MTU"
	fi
	run ip link set dev "$TUNDEV" up
	if [ "${CISCO_SPLIT_INC:-0}" -gt 0 ]; then
		add_split_routes
	else
		run ip route add default dev "$TUNDEV"
	fi
}

if [ "${reason:-}" = connect ]; then
	configure_tun
fi
EOF
	chmod 755 "$path"
	echo "$path"
}

# oc_connect NS URL USER PASSWORD LOGFILE [OPENCONNECT-ARGS...]: start
# openconnect in NS in the background, logging to LOGFILE. It accepts only
# the server certificate whose pin is in OC_SERVERCERT (see
# cert_sha256_pin) and resolves $VPN_HOSTNAME to the headend's outside
# address. The PID is in SPAWNED_PID.
# NOTE: 00-lib.sh runs this only against openssl s_server, up to the TLS
# handshake. Login and the script run by openconnect itself are untested
# until a headend test uses them.
oc_connect() {
	local ns=$1 url=$2 user=$3 password=$4 log=$5 script

	shift 5
	if [ -z "${OC_SERVERCERT:-}" ]; then
		tap_diag "oc_connect: OC_SERVERCERT is not set; set it to" \
			"the output of cert_sha256_pin"
		return 1
	fi
	script=$(oc_script_path)
	spawn_in_ns_with_input "$ns" "$password" \
		openconnect -v --non-inter --passwd-on-stdin --no-proxy \
		--user "$user" --script "$script" \
		--servercert "$OC_SERVERCERT" \
		--resolve "$VPN_HOSTNAME:$HEADEND_OUTSIDE_ADDR" \
		"$@" "$url" >"$log" 2>&1
}

# tun_device NS: print the name of the first tun device in NS with an
# IPv4 address; fail when there is none.
tun_device() {
	local name

	# "ip addr show type tun" does not filter by type, so ask sysfs:
	# only tun devices have tun_flags. ip netns exec mounts the
	# namespace's own /sys.
	for name in $(ip netns exec "$1" sh -c \
		'for d in /sys/class/net/*/tun_flags; do
			[ -e "$d" ] && basename "$(dirname "$d")"; done'); do
		if [ -n "$(ip -n "$1" -o -4 addr show dev "$name")" ]; then
			echo "$name"
			return 0
		fi
	done
	return 1
}

tun_has_address() {
	tun_device "$1" >/dev/null
}

# wait_tun_up NS [TIMEOUT]: wait until a tun device in NS has an IPv4
# address, which the openconnect script sets once the tunnel is up.
wait_tun_up() {
	wait_until "${2:-20}" tun_has_address "$1"
}
