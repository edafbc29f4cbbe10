#!/bin/bash
# DTLS 1.2 resumption: the session made from X-DTLS-Master-Secret and the
# server's X-DTLS-Session-ID, named once the openconnect way
# (OC-DTLS1_2-AES256-GCM in X-DTLS-CipherSuite) and once the Cisco way
# (X-DTLS12-CipherSuite). Ping and iperf3 cross on DTLS, and the data
# MTU is the same in X-CSTP-MTU and X-DTLS-MTU. DTLS replies leave from
# the address the client sent to, also on a host with several.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

tap_plan 12
tap_require_commands iperf3
he_setup
dtls_write_config
dtls_start
dtls_iperf_start || tap_diag "iperf3 -s is not listening"

# reply_header LOG NAME: the value of a CONNECT reply header in
# openconnect's log.
reply_header() {
	sed -n "s/^$2: //p" "$1" | head -n 1
}

# --- openconnect's name, in X-DTLS-CipherSuite --------------------------
log="$HE_TMPDIR/oc-oc.log"
he_connect alice alice-secret "$log" \
	--dtls-ciphers=OC-DTLS1_2-AES256-GCM || tap_diag_file "$log"
tap_ok "OC-DTLS1_2-AES256-GCM: openconnect establishes DTLS" \
	wait_file_contains "$log" 'Established DTLS connection' 20
tap_diag "$(dtls_oc_established "$log" || true)"
tap_ok "openconnect resumes DTLS 1.2 with AES-256-GCM" file_contains "$log" \
	'Established DTLS connection.*\(DTLS1\.2\)-\(RSA\)-\(AES-256-GCM\)'
tap_ok "reply names the suite and a 32-byte session id" sh -c "
	grep -q '^X-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM\$' '$log' &&
	grep -Eq '^X-DTLS-Session-ID: [0-9A-F]{64}\$' '$log'"
tap_ok "X-CSTP-MTU equals X-DTLS-MTU" test \
	"$(reply_header "$log" X-CSTP-MTU)" = \
	"$(reply_header "$log" X-DTLS-MTU)"
tap_ok "session shows DTLS 1.2 resumption" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["session"]["dtls"]
assert d == {"mode": "dtls1.2-resume", "version": "DTLSv1.2",
             "cipher": "AES256-GCM-SHA384", "state": "up"}, d
' "$(he_ctl --json show session "$(dtls_session_id)")"
tap_ok "ping crosses on DTLS" dtls_ping_counts
tap_ok "iperf3 transfer crosses on DTLS" dtls_iperf_on_dtls
pid_stop "$OC_PID"
wait_or_diag 10 "alice's session ended" sh -c \
	"! '$HEADENDCTL' -s '$HE_SOCKET' show sessions | grep -q alice"

# --- Cisco's way, in X-DTLS12-CipherSuite ------------------------------
# This client connects to a second address of the headend, from which
# routing would not pick the source of the replies: DTLS works only if
# they leave from the address the client sent to.
ip -n "$NS_HEADEND" addr add 198.18.0.3/24 dev veth-ho
log="$HE_TMPDIR/oc-cisco.log"
HEADEND_OUTSIDE_ADDR=198.18.0.3 he_connect alice alice-secret "$log" \
	--dtls12-ciphers=ECDHE-RSA-AES128-GCM-SHA256 || tap_diag_file "$log"
tap_ok "X-DTLS12-CipherSuite: openconnect establishes DTLS" \
	wait_file_contains "$log" 'Established DTLS connection' 20
tap_diag "$(dtls_oc_established "$log" || true)"
tap_ok "openconnect resumes DTLS 1.2 with AES-128-GCM" file_contains "$log" \
	'Established DTLS connection.*\(DTLS1\.2\)-.*\(AES-128-GCM\)'
tap_ok "reply names the suite in X-DTLS12-CipherSuite" file_contains "$log" \
	'^X-DTLS12-CipherSuite: ECDHE-RSA-AES128-GCM-SHA256$'
tap_ok "session shows the DTLS 1.2 suite" test \
	"$(dtls_field 's["dtls"]["cipher"]')" = ECDHE-RSA-AES128-GCM-SHA256
tap_ok "ping crosses on DTLS" dtls_ping_counts
tap_done
