#!/bin/bash
# A client that stops reading. Its tunnel's queue fills, and further
# packets to it are dropped and counted. A logoff then still reaches
# it: once it reads again it gets the queued packets, then TERMINATE,
# and openconnect exits without trying to reconnect.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

FLOOD_SECONDS=3

flood_client() {
	spawn_in_ns "$NS_INSIDE" python3 "$LC_TOOLS/udptag.py" send "$1" S \
		"$FLOOD_SECONDS" 4 >/dev/null
}

tap_plan 9
he_setup
he_write_config
he_add_user alice alice-secret
he_start

he_connect alice alice-secret "$HE_TMPDIR/oc.log" --no-dtls ||
	tap_diag_file "$HE_TMPDIR/oc.log"
addr=$(lc_field alice address)
kill -STOP "$OC_PID"
flood_client "$addr"
flood=$SPAWNED_PID
tap_ok "stopped client: full queue drops counted" \
	wait_until 15 lc_field_at_least alice queue_full 1
wait_until $((FLOOD_SECONDS + 10)) pid_stopped "$flood" || true
tap_diag "queue-full drops: $(lc_field alice queue_full)"

he_ctl logoff user alice >/dev/null
tap_ok "logoff ends the session" wait_until 10 lc_has_count alice 0
kill -CONT "$OC_PID"
tap_ok "the client exits once it reads again" \
	wait_until 20 pid_stopped "$OC_PID"
tap_diag_file "$HE_TMPDIR/oc.log"
tap_ok "it read TERMINATE behind the queued packets" \
	file_contains "$HE_TMPDIR/oc.log" "[Tt]erminate"
tap_ok "it did not try to reconnect" \
	sh -c "! grep -Eq 'Reconnect|SSL read error|Failed to' \
	'$HE_TMPDIR/oc.log'"

# A client that floods DPD requests and reads none of the replies: the
# replies that find the queue full are dropped, but they are no traffic,
# so the session's queue-full count of lost packets stays 0.
he_add_user bob bob-secret
cookie=$(lc_login bob bob-secret)
out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" --dpd-flood 3 2>&1) || true
tap_diag "$out"
tap_ok "DPD flood: the client sent it" grep -q '^dpd-flooded [1-9]' \
	<<<"$out"
tap_ok "DPD flood: no packet counted as lost" lc_field_is bob queue_full 0

# The tunnel carries IPv4 only; a client's IPv6 packet is no malformed one.
lc_client connect "$VPN_HOSTNAME" "$cookie" --ipv6 >/dev/null 2>&1 || true
tap_ok "an IPv6 packet is counted as ipv6" lc_field_is bob ipv6 1
tap_ok "and not as malformed" lc_field_is bob malformed 0
tap_done
