#!/bin/bash
# UDP blocked between client and headend after DTLS came up: the session
# stays up and carries packets on CSTP, and DTLS comes back without a new
# CSTP connection once UDP passes again. openconnect 9.01 retries a
# failed DTLS handshake only every 60 seconds, so this test takes about
# a minute and a half. A client whose UDP never arrives is logged.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

log="$HE_TMPDIR/oc.log"

tap_plan 12
tap_require_commands nft
he_setup

# Short DPD intervals, so that both sides notice the dead UDP path soon.
dtls_write_config "" "dpd = 3; keepalive = 2;"
dtls_start
he_connect alice alice-secret "$log" || tap_diag_file "$log"
tap_ok "openconnect establishes DTLS" \
	wait_file_contains "$log" 'Established DTLS connection' 20
tap_ok "ping crosses on DTLS" dtls_ping_counts
session=$(dtls_session_id)
handshakes=$(dtls_stat succeeded)

# Drop DTLS silently at the client's interface, as a firewall on the path
# would: a rule in the output path would make sendmsg(2) fail instead.
ip netns exec "$NS_CLIENT" nft -f - <<'NFT'
table netdev block_udp {
	chain in {
		type filter hook ingress device veth-c priority 0;
		udp sport 443 drop
	}
	chain out {
		type filter hook egress device veth-c priority 0;
		udp dport 443 drop
	}
}
NFT
tap_ok "server notices the silence: DTLS down" dtls_wait_state down 20
tap_ok "log says why" file_contains "$HE_LOG" \
	'DTLS is down \(nothing received for [0-9]+ seconds\)'
tap_ok "with UDP blocked, ping crosses on CSTP" wait_until 30 he_ping_inside
tap_ok "session still up on its CSTP connection" sh -c \
	"test \"$(he_ctl --json show sessions | python3 -c '
import json, sys
s = json.load(sys.stdin)["sessions"]
print(len(s), s[0]["id"], s[0]["connected"])')\" = '1 $session True'"

ip netns exec "$NS_CLIENT" nft delete table netdev block_udp
tap_ok "DTLS comes back when UDP passes again" dtls_wait_state up 90
tap_ok "by a new DTLS handshake" \
	test "$(dtls_stat succeeded)" -gt "$handshakes"
tap_ok "ping crosses on DTLS again" dtls_ping_counts
tap_ok "same session, no reconnect" test \
	"$(dtls_field '"%s %s" % (s["id"], s["reconnects"])')" = "$session 0"

# reconnect_dropping HOOK PORT-FIELD LOG: a new openconnect client whose
# DTLS datagrams the client's interface drops at HOOK (egress or
# ingress), matched by "udp dport 443" or "udp sport 443".
reconnect_dropping() {
	pid_stop "$OC_PID"
	ip netns exec "$NS_CLIENT" nft delete table netdev block_udp \
		2>/dev/null || true
	ip netns exec "$NS_CLIENT" nft -f - <<NFT
table netdev block_udp {
	chain drop_dtls {
		type filter hook $1 device veth-c priority 0;
		udp $2 443 drop
	}
}
NFT
	he_connect alice alice-secret "$3" || tap_diag_file "$3"
}

# A new client whose UDP never arrives: once the time after which a
# silent DTLS channel counts as down has passed, the log reports it.
reconnect_dropping egress dport "$HE_TMPDIR/oc2.log"
tap_ok "no DTLS from a new client: the log says so" wait_file_contains \
	"$HE_LOG" 'no DTLS handshake from the client within 7 seconds of CONNECT, so the tunnel runs on TLS only: its UDP datagrams to port 443 do not arrive' 20

# Hellos that arrive, and replies that do not: the log reports that too.
reconnect_dropping ingress sport "$HE_TMPDIR/oc3.log"
tap_ok "hellos but no DTLS: the log says so" wait_file_contains \
	"$HE_LOG" 'DTLS did not come up within 7 seconds of CONNECT although the client sent handshakes' 20
tap_done
