#!/bin/bash
# The phone TLS profile. A TLS 1.0 client with only an RSA AES-CBC suite,
# as 7900-series phones offer, completes the handshake on a listener
# with tls-profile "phone". A default listener rejects it and logs that
# the version was below its minimum. For a client with no suite in
# common, the log line states that and quotes the client's offer.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"

tap_plan 13
phone_setup
he_add_user SEP001122334455 phone-secret
phone_write_config "authentication = \"password\"; user-file = \"$HE_USERS\";" \
	'tls-profile = "phone"; }, { tcp-port = 8443; udp-port = 8443;
	certificate = "server.crt"; key = "server.key"; }, {
	tcp-port = 9443; udp-port = 9443; certificate = "server.crt";
	key = "server.key";
	tls12-ciphers = "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0";'
he_start
wait_tcp_listen "$NS_HEADEND" 8443
wait_tcp_listen "$NS_HEADEND" 9443

# tls_client PORT ARGS...: a handshake with openssl s_client from the
# client namespace; prints its summary.
tls_client() {
	local port=$1

	shift
	ip netns exec "$NS_CLIENT" timeout 10 openssl s_client \
		-connect "$HEADEND_OUTSIDE_ADDR:$port" -servername \
		"$VPN_HOSTNAME" "$@" </dev/null 2>&1
}

out=$(tls_client 443 -tls1 -cipher 'AES128-SHA@SECLEVEL=0') || true
tap_diag "$(grep -E 'Protocol|Cipher|alert|error' <<<"$out" | head -n 5)"
tap_ok "phone profile accepts TLS 1.0 with AES128-SHA" grep -Eq \
	'Cipher is AES128-SHA|Cipher +: AES128-SHA' <<<"$out"
tap_ok "the protocol is TLS 1.0" grep -Eq 'Protocol +: TLSv1$' <<<"$out"

out=$(tls_client 8443 -tls1 -cipher 'AES128-SHA@SECLEVEL=0') || true
tap_diag "$(grep -E 'alert|error' <<<"$out" | head -n 3)"
tap_ok "default profile rejects TLS 1.0" sh -c \
	"! grep -Eq 'Cipher +: AES128-SHA'" <<<"$out"
tap_ok "log says the version is below the minimum" wait_file_contains \
	"$HE_LOG" 'TLS handshake failed: TLS version below the listener.s minimum: the client offers at most TLS 1\.0, the listener requires TLS 1\.2 or later' 5

out=$(tls_client 8443 -tls1_2 -cipher AES128-SHA) || true
tap_ok "default profile has no RSA-CBC suite" sh -c \
	"! grep -Eq 'Cipher +: AES128-SHA'" <<<"$out"
tap_ok "log says no suite is in common and quotes the offer" \
	wait_file_contains "$HE_LOG" \
	'TLS handshake failed: no cipher suite in common: the client offers AES128-SHA with TLS 1\.2' 5

# Security level 0 from tls12-ciphers is not the phone profile, so the
# advice is the default profile's.
out=$(tls_client 9443 -tls1_2 -cipher AES128-SHA) || true
tap_ok "security level 0 alone gets the default advice" \
	wait_file_count_above "$HE_LOG" \
	'no cipher suite in common: .* or use tls-profile "phone"' 1 5
tap_ok "no advice about overriding the phone profile" test \
	"$(file_count "$HE_LOG" 'overrides the phone profile')" -eq 0

# s_client prints the session block for TLS 1.3 only once a ticket
# arrives, and headend sends none, so look for the handshake line.
out=$(tls_client 8443 -tls1_3) || true
tap_ok "default profile still speaks TLS 1.3" grep -q 'New, TLSv1.3, ' \
	<<<"$out"
out=$(tls_client 443 -tls1_3) || true
tap_ok "phone profile stops at TLS 1.2" sh -c \
	"! grep -q 'New, TLSv1.3, '" <<<"$out"
tap_ok "log says the version is above the maximum" wait_file_contains \
	"$HE_LOG" 'TLS version above the listener.s maximum: the client offers only TLS 1\.3 and later, the listener allows up to TLS 1\.2' 5

# A client that does not trust the server certificate sends an alert.
out=$(tls_client 8443 -verify_return_error) || true
tap_diag "$(grep -E 'alert|error' <<<"$out" | head -n 2)"
tap_ok "log says that the client rejected the certificate" \
	wait_file_contains "$HE_LOG" 'TLS handshake failed: the client rejected the server certificate \(.*unknown ca.*\): check that the client trusts its issuer' 5

out=$(phone_emu --user SEP001122334455 --password phone-secret \
	--ping "$INSIDE_ADDR" "$PHONE_URL" 2>&1) || true
tap_diag "$out"
tap_ok "7962 on TLS 1.0 gets the AES256-SHA suite it prefers" grep -q \
	'^tls: TLSv1 AES256-SHA' <<<"$out"
tap_done
