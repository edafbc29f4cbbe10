#!/bin/bash
#
# Self-test of tests/integ/lib.sh, without a headend: the namespace
# topology, the waiting helpers, certificates and pins (checked by
# openconnect against openssl s_server), the openconnect script, and the
# cleanup after a normal exit, a failure and SIGTERM.
# shellcheck disable=SC2317 # the helpers below run through tap_ok
set -eu -o pipefail

LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source=tests/integ/lib.sh
. "$LIB"

tap_require_root
tap_require_commands ip ss ping openssl openconnect

# A pin that matches no key: the SHA-256 of nothing.
WRONG_PIN="pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
TEST_USER=alice
TEST_PASSWORD=correct-horse
TLS_PORT=443
DTLS_PORT=4443

netns_all_exist() {
	local ns

	for ns in "$NS_CLIENT" "$NS_HEADEND" "$NS_INSIDE"; do
		ip netns list | grep -qw -- "$ns" || return 1
	done
}

netns_none_exist() {
	! ip netns list | grep -q -- "he-$1-"
}

sysctl_in_ns() {
	ip netns exec "$1" sysctl -n "$2"
}

forwarding_only_in_headend() {
	[ "$(sysctl_in_ns "$NS_CLIENT" net.ipv4.ip_forward)" = 0 ] &&
		[ "$(sysctl_in_ns "$NS_HEADEND" net.ipv4.ip_forward)" = 1 ] &&
		[ "$(sysctl_in_ns "$NS_INSIDE" net.ipv4.ip_forward)" = 0 ]
}

no_default_routes() {
	local ns

	for ns in "$NS_CLIENT" "$NS_HEADEND" "$NS_INSIDE"; do
		[ -z "$(ip -n "$ns" -4 route show default)" ] || return 1
	done
}

# route_uses NS DEST TEXT: the route that NS picks for DEST contains TEXT.
route_uses() {
	ip -n "$1" route get "$2" | grep -q -- "$3"
}

route_missing() {
	! ip -n "$1" route get "$2" >/dev/null 2>&1
}

# Wait for a condition that is never true, and check that wait_until
# gives up after its timeout of 1 s (allowing up to 3 s).
wait_until_times_out() {
	local start=$SECONDS

	if wait_until 1 false; then
		return 1
	fi
	[ $((SECONDS - start)) -le 3 ]
}

server_key_matches_cert() {
	local dir=$1

	[ "$(openssl x509 -in "$dir/server.crt" -noout -pubkey)" = \
		"$(openssl pkey -in "$dir/server.key" -pubout)" ]
}

cert_has_server_extensions() {
	local text

	text=$(openssl x509 -in "$1" -noout -text)
	grep -q "DNS:$VPN_HOSTNAME" <<<"$text" &&
		grep -q "TLS Web Server Authentication" <<<"$text"
}

pin_has_openconnect_form() {
	[[ $1 =~ ^pin-sha256:[A-Za-z0-9+/]{43}=$ ]]
}

# oc_attempt PIN LOG REGEX: start openconnect against the TLS server in
# the headend namespace, wait until its log matches REGEX, then stop it.
# s_server is no VPN server, so openconnect never gets further than TLS.
oc_attempt() {
	local pin=$1 log=$2 regex=$3 status=0

	OC_SERVERCERT=$pin oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/" \
		"$TEST_USER" "$TEST_PASSWORD" "$log" --no-dtls
	wait_file_contains "$log" "$regex" 20 || status=$?
	pid_stop "$SPAWNED_PID"
	return "$status"
}

tun_create() {
	ip -n "$NS_CLIENT" tuntap add dev "$1" mode tun
}

# oc_script_run REASON TUNDEV [VAR=VALUE...]: run the openconnect script as
# openconnect would, in the client namespace.
oc_script_run() {
	local reason=$1 tun=$2

	shift 2
	ip netns exec "$NS_CLIENT" env reason="$reason" TUNDEV="$tun" \
		INTERNAL_IP4_ADDRESS=198.19.0.10 INTERNAL_IP4_MTU=1300 \
		"$@" "$(oc_script_path)" >>"$HE_TMPDIR/oc-script.log" 2>&1
}

tun_has_config() {
	local tun=$1

	ip -n "$NS_CLIENT" -4 addr show dev "$tun" |
		grep -q "inet 198.19.0.10/32" &&
		ip -n "$NS_CLIENT" link show dev "$tun" | grep -q "mtu 1300"
}

default_route_via() {
	ip -n "$NS_CLIENT" -4 route show default | grep -q "dev $1"
}

split_routes_present() {
	local routes

	routes=$(ip -n "$NS_CLIENT" -4 route show dev "$1")
	grep -q "198.19.128.0/17" <<<"$routes" &&
		grep -q "198.18.64.0/18" <<<"$routes"
}

skip_output_is() {
	local expected_status=$1 expected_line=$2 ci=$3 output status=0

	output=$(CI=$ci bash -c '. "$1"; tap_skip_all "no tool"' _ "$LIB") ||
		status=$?
	[ "$status" -eq "$expected_status" ] &&
		grep -qx -- "$expected_line" <<<"$output"
}

# sub_test_start LOG CMD: run a test in a child bash that sets up its own
# namespaces and starts `sleep` there, then runs CMD. Once set up, it
# prints "ready", its own PID and the PID of `sleep`. The child is
# recorded like a spawned process, so an interrupted self-test stops it.
sub_test_start() {
	local log=$1 cmd=$2

	bash -c 'set -eu
		. "$1"
		netns_setup
		spawn_in_ns "$NS_HEADEND" sleep 1000
		echo "ready $$ $SPAWNED_PID"
		eval "$2"' _ "$LIB" "$cmd" >"$log" 2>&1 &
	SUB_PID=$!
	spawn_record "$SUB_PID"
	wait_file_contains "$log" '^ready ' 20
	read -r _ SUB_SHELL_PID SUB_SLEEP_PID < <(grep '^ready ' "$log")
}

sub_test_cleaned_up() {
	netns_none_exist "$SUB_SHELL_PID" && pid_stopped "$SUB_SLEEP_PID"
}

tap_plan 29

netns_setup
tap_ok "netns_setup creates three namespaces" netns_all_exist
tap_ok "client pings headend" ip netns exec "$NS_CLIENT" \
	ping -c 1 -W 2 "$HEADEND_OUTSIDE_ADDR"
tap_ok "inside pings headend" ip netns exec "$NS_INSIDE" \
	ping -c 1 -W 2 "$HEADEND_INSIDE_ADDR"
tap_ok "forwarding only in headend" forwarding_only_in_headend
tap_ok "no default routes" no_default_routes
tap_ok "inside routes pool via headend" \
	route_uses "$NS_INSIDE" 198.19.0.5 "via $HEADEND_INSIDE_ADDR"
tap_ok "client has no route inside" route_missing "$NS_CLIENT" "$INSIDE_ADDR"

tap_ok "wait_until returns on success" wait_until 1 true
tap_ok "wait_until times out" wait_until_times_out

CERT_DIR="$HE_TMPDIR/pki"
mkdir "$CERT_DIR"
make_ca_and_server_cert "$CERT_DIR" "$VPN_HOSTNAME"
tap_ok "server cert verifies against CA" openssl verify -CAfile \
	"$CERT_DIR/ca.crt" -purpose sslserver -verify_hostname "$VPN_HOSTNAME" \
	"$CERT_DIR/server.crt"
tap_ok "server cert has SAN and serverAuth" \
	cert_has_server_extensions "$CERT_DIR/server.crt"
tap_ok "server key matches cert" server_key_matches_cert "$CERT_DIR"
PIN=$(cert_sha256_pin "$CERT_DIR/server.crt")
tap_ok "pin has openconnect form" pin_has_openconnect_form "$PIN"

spawn_in_ns "$NS_HEADEND" openssl s_server -www -quiet \
	-accept "$HEADEND_OUTSIDE_ADDR:$TLS_PORT" \
	-cert "$CERT_DIR/server.crt" -key "$CERT_DIR/server.key" \
	>"$HE_TMPDIR/s_server.log" 2>&1
tap_ok "wait_tcp_listen sees TLS server" \
	wait_tcp_listen "$NS_HEADEND" "$TLS_PORT"
spawn_in_ns "$NS_HEADEND" openssl s_server -dtls -quiet \
	-accept "$HEADEND_OUTSIDE_ADDR:$DTLS_PORT" \
	-cert "$CERT_DIR/server.crt" -key "$CERT_DIR/server.key" \
	>"$HE_TMPDIR/s_server_dtls.log" 2>&1
tap_ok "wait_udp_listen sees DTLS server" \
	wait_udp_listen "$NS_HEADEND" "$DTLS_PORT"

OC_LOG="$HE_TMPDIR/oc-pin.log"
tap_ok "openconnect accepts pinned cert" oc_attempt "$PIN" "$OC_LOG" \
	"Connected to HTTPS on $VPN_HOSTNAME" || tap_diag_file "$OC_LOG"

OC_LOG="$HE_TMPDIR/oc-wrong-pin.log"
tap_ok "openconnect rejects other pin" oc_attempt "$WRONG_PIN" "$OC_LOG" \
	"specified via --servercert match" || tap_diag_file "$OC_LOG"
tap_ok "openconnect computes same pin" \
	grep -qF -- "match server's certificate: $PIN" "$OC_LOG"

tun_create tun-full
oc_script_run connect tun-full
tap_ok "script configures tun device" tun_has_config tun-full
tap_ok "script adds default route" default_route_via tun-full
tap_ok "wait_tun_up sees tun address" wait_tun_up "$NS_CLIENT" 2
oc_script_run disconnect tun-full
tap_ok "disconnect leaves tun alone" tun_has_config tun-full
ip -n "$NS_CLIENT" link del tun-full

tun_create tun-split
oc_script_run connect tun-split CISCO_SPLIT_INC=2 \
	CISCO_SPLIT_INC_0_ADDR=198.19.128.0 CISCO_SPLIT_INC_0_MASKLEN=17 \
	CISCO_SPLIT_INC_1_ADDR=198.18.64.0 CISCO_SPLIT_INC_1_MASKLEN=18
tap_ok "script adds split routes" split_routes_present tun-split
tap_ok "split tunnel has no default" no_default_routes

tap_ok "skip without CI" skip_output_is 0 "1..0 # SKIP no tool" ""
tap_ok "skip fails with CI set" skip_output_is 1 \
	"not ok 1 - no tool (CI is set, so skipping is a failure)" 1

sub_test_start "$HE_TMPDIR/sub-fail.log" "exit 1"
wait "$SUB_PID" || true
tap_ok "cleanup after failed test" sub_test_cleaned_up ||
	tap_diag_file "$HE_TMPDIR/sub-fail.log"

# shellcheck disable=SC2016 # expanded by the child bash
sub_test_start "$HE_TMPDIR/sub-term.log" 'wait "$SPAWNED_PID"'
kill -TERM "$SUB_PID"
wait "$SUB_PID" || true
tap_ok "cleanup after SIGTERM" sub_test_cleaned_up ||
	tap_diag_file "$HE_TMPDIR/sub-term.log"

netns_teardown
tap_ok "netns_teardown removes namespaces" netns_none_exist "$$"
tap_done
