#!/bin/bash
# Pre-standard Cisco DTLS (version 0x0100, DTLS0.9 in GnuTLS) over a CSTP
# connection with a CBC suite, as old phones use it. The DTLS suite is the
# TLS suite when the client offers it, even when another one comes first
# in the client's list. Ping and iperf3 cross on DTLS. Then a
# group-policy with dtls = false sends no DTLS headers at all.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

tap_plan 12
tap_require_commands iperf3
he_setup
dtls_write_config 'tls-max-version = "1.2"; tls12-ciphers = "AES128-SHA";'
dtls_start
dtls_iperf_start || tap_diag "iperf3 -s is not listening"

log="$HE_TMPDIR/oc-legacy.log"
he_connect alice alice-secret "$log" \
	--dtls-ciphers=AES256-SHA:AES128-SHA || tap_diag_file "$log"
tap_ok "openconnect establishes legacy DTLS" \
	wait_file_contains "$log" 'Established DTLS connection' 20
tap_diag "$(dtls_oc_established "$log" || true)"
tap_ok "DTLS0.9 with the TLS suite AES128-SHA" file_contains "$log" \
	'Established DTLS.*\(DTLS0\.9\)-\(RSA\)-\(AES-128-CBC\)-\(SHA1\)'
tap_ok "reply names AES128-SHA" file_contains "$log" \
	'^X-DTLS-CipherSuite: AES128-SHA$'
tap_ok "session shows legacy DTLS" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["session"]
assert s["tls"]["cipher"] == "AES128-SHA", s["tls"]
assert s["dtls"] == {"mode": "legacy", "version": "DTLSv0.9",
                     "cipher": "AES128-SHA", "state": "up"}, s["dtls"]
' "$(he_ctl --json show session "$(dtls_session_id)")"
tap_ok "ping crosses on DTLS" dtls_ping_counts
tap_ok "iperf3 transfer crosses on DTLS" dtls_iperf_on_dtls
tap_ok "MTU probes are echoed at full size" \
	file_contains "$log" 'No change in MTU after detection'
pid_stop "$OC_PID"
pid_stop "$HE_PID"

dtls_mode_is() {
	[ "$(dtls_field 's["dtls"]["mode"]')" = "$1" ]
}

# --- DTLS switched off in the group-policy -----------------------------
dtls_write_config "" "dtls = false;"
dtls_start
log="$HE_TMPDIR/oc-off.log"
he_connect alice alice-secret "$log" || tap_diag_file "$log"
tap_ok "dtls = false: tunnel comes up" tun_has_address "$NS_CLIENT"
tap_ok "reply carries no X-DTLS headers" sh -c \
	"! grep -q '^X-DTLS' '$log'"
tap_ok "ping crosses on CSTP" he_ping_inside
tap_ok "session shows no DTLS" dtls_mode_is none
tap_ok "log says why" file_contains "$HE_LOG" \
	'no DTLS, the tunnel runs on CSTP only: DTLS is off in the group-policy'
tap_done
