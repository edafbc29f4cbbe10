#!/bin/bash
# Bulk TCP from a client to the inside host, over DTLS and over TLS only.
# The headend writes runs of segments of one flow to the tun device as
# one merged packet (GRO). The bytes must arrive complete and in order,
# and the merging must actually happen.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

TOOLS="$(dirname "$0")/tools"
BULK_PORT=5300
BULK_MBYTES=24

# merged_segments: the headend's count of segments written merged.
merged_segments() {
	he_ctl --json show stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["traffic"]["tun_merged_segments"])'
}

# bulk_transfer NAME: send BULK_MBYTES through the tunnel and compare
# the digests of what was sent and what arrived.
bulk_transfer() {
	local name=$1 got="$HE_TMPDIR/bulk-$1.recv" sent

	spawn_in_ns "$NS_INSIDE" python3 "$TOOLS/bulktcp.py" recv \
		"$INSIDE_ADDR" "$BULK_PORT" "$got"
	wait_until 10 tcp_listening "$NS_INSIDE" "$BULK_PORT" || return 1
	sent=$(ip netns exec "$NS_CLIENT" timeout 60 python3 \
		"$TOOLS/bulktcp.py" send "$INSIDE_ADDR" "$BULK_PORT" \
		"$BULK_MBYTES") || return 1
	wait_until 30 test -s "$got" || return 1
	tap_diag "$name: sent $sent, received $(cat "$got")"
	[ "$sent" = "$(cat "$got")" ]
}

# connect_and_transfer NAME [OPENCONNECT ARGS]
connect_and_transfer() {
	local name=$1 before after

	shift
	he_connect alice alice-secret "$HE_TMPDIR/oc-$name.log" "$@" ||
		tap_diag_file "$HE_TMPDIR/oc-$name.log"
	before=$(merged_segments)
	tap_ok "$name: $BULK_MBYTES MiB arrive intact" bulk_transfer "$name"
	after=$(merged_segments)
	tap_diag "$name: merged segments $before -> $after"
	tap_ok "$name: segments were merged into larger tun writes" \
		test "$after" -gt "$((before + 1000))"
	pid_stop "$OC_PID"
}

tap_plan 5
tap_require_root
tap_require_commands openconnect python3
he_setup
he_write_config
he_start

connect_and_transfer dtls --dtls-ciphers=PSK-NEGOTIATE
tap_ok "dtls: the data went over DTLS" \
	file_contains "$HE_TMPDIR/oc-dtls.log" 'Established DTLS connection'
connect_and_transfer tls --no-dtls
tap_done
