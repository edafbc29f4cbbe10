#!/bin/bash
# Pool exhaustion: with a pool of two addresses, the third login gets the
# message that no address is free, before any cookie exists, and the log
# names the pool. An address returns to the pool when its session ends.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

tap_plan 5
he_setup
he_add_user bob bob-secret
he_write_config 198.19.0.4/31
he_start

he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"
tap_ok "first login gets the pool's address" he_ping_inside

# A /31 has no network or broadcast address: two addresses, two logins.
log=$HE_TMPDIR/bob.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" bob bob-secret \
	"$log"
bob_pid=$SPAWNED_PID
wait_until 15 sh -c "'$HEADENDCTL' -s '$HE_SOCKET' --json show sessions | grep -q '\"user\":\"bob\"'" || true
log=$HE_TMPDIR/carol.log
he_add_user carol carol-secret
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" carol carol-secret \
	"$log"
wait_until 15 pid_stopped "$SPAWNED_PID" || true
tap_ok "exhausted pool: the client is told why" file_contains "$log" \
	'No address is free in pool staff'
tap_ok "exhausted pool: no cookie was issued" sh -c \
	"! grep -q 'Set-Cookie: webvpn=<elided>' '$log'"
tap_ok "exhausted pool: log names group and pool" file_contains "$HE_LOG" \
	'login refused: user=carol group=staff: pool staff has no free address'

pid_stop "$bob_pid"
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" carol carol-secret \
	"$HE_TMPDIR/carol2.log"
tap_ok "a released address is leased again" wait_until 15 sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show sessions | grep -q '\"user\":\"carol\"'"
tap_done
