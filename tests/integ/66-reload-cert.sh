#!/bin/bash
# Certificate rollover by reload. A certificate whose key does not match
# is rejected, and the old one stays in use. A new certificate and key
# are served to new connections after SIGHUP. The tunnel that was up
# before keeps running on its old TLS connection. A key with a passphrase
# gives an error that explains the fix, not a prompt.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

# new_server_cert NAME: a certificate and key for $VPN_HOSTNAME, signed
# by the test CA, in $HE_TMPDIR/NAME.crt and NAME.key.
new_server_cert() (
	set -eu
	cd "$HE_TMPDIR"
	printf '%s\n' "basicConstraints = critical, CA:FALSE" \
		"extendedKeyUsage = serverAuth" \
		"subjectAltName = DNS:$VPN_HOSTNAME" >"$1.ext"
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$VPN_HOSTNAME" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null
	openssl x509 -req -days 30 -in "$1.csr" -CA ca.crt -CAkey ca.key \
		-extfile "$1.ext" -out "$1.crt" 2>/dev/null
)

fingerprint() {
	openssl x509 -noout -fingerprint -sha256 -in "$1"
}

# The fingerprint of the certificate that a new connection gets.
served_fingerprint() {
	ip netns exec "$NS_CLIENT" openssl s_client -connect \
		"$HEADEND_OUTSIDE_ADDR:443" -servername "$VPN_HOSTNAME" \
		</dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256
}

serves() {
	[ "$(served_fingerprint)" = "$(fingerprint "$1")" ]
}

reload_and_wait() {
	local lines

	lines=$(wc -l <"$HE_LOG")
	kill -HUP "$HE_PID"
	wait_or_diag 10 "the reload's outcome was logged" sh -c \
		"tail -n +$((lines + 1)) '$HE_LOG' |
		grep -Eq 'reloaded |reload of .* (rejected|failed)'"
}

alice_connected() {
	he_ctl --json show sessions | python3 -c '
import json, sys
s = json.load(sys.stdin)["sessions"]
sys.exit(not (len(s) == 1 and s[0]["id"] == int(sys.argv[1]) and
              s[0]["connected"]))' "$1"
}

tap_plan 20
he_setup
he_write_config
he_start
he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"
alice=$(he_ctl --json show sessions | python3 -c '
import json, sys; print(json.load(sys.stdin)["sessions"][0]["id"])')
cp "$HE_TMPDIR/server.crt" "$HE_TMPDIR/old.crt"
new_server_cert new

# The new certificate with the old key: the reload is rejected.
cp "$HE_TMPDIR/new.crt" "$HE_TMPDIR/server.crt"
reload_and_wait
tap_ok "mismatched key: reload is rejected" file_contains "$HE_LOG" \
	'key .*server\.key does not match certificate .*server\.crt'
tap_ok "mismatched key: the old certificate is served" serves \
	"$HE_TMPDIR/old.crt"

# Both files replaced, as a certificate rollover does.
cp "$HE_TMPDIR/new.key" "$HE_TMPDIR/server.key"
lines=$(wc -l <"$HE_LOG")
reload_and_wait
tap_ok "new certificate: reload applies" sh -c \
	"tail -n +$((lines + 1)) '$HE_LOG' | grep -q 'reloaded '"
tap_ok "new certificate: served to a new connection" serves \
	"$HE_TMPDIR/new.crt"
tap_ok "new certificate: show certificates names it" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show certificates |
	grep -qi \"\$(openssl x509 -noout -fingerprint -sha256 \
	-in '$HE_TMPDIR/new.crt' | sed 's/.*=//')\""
tap_ok "existing tunnel: still connected" alice_connected "$alice"
tap_ok "existing tunnel: passes packets" he_ping_inside
tap_ok "existing tunnel: openconnect did not reconnect" sh -c \
	"! grep -qiE 'reconnect' '$HE_TMPDIR/alice.log'"

# A key with a passphrase: headend -t on a terminal (script provides one)
# must not wait for the passphrase, and its error must explain the fix.
openssl pkey -in "$HE_TMPDIR/server.key" -aes256 -passout pass:secret \
	-out "$HE_TMPDIR/enc.key"
sed 's|key = "server.key"|key = "enc.key"|' "$HE_CONF" >"$HE_TMPDIR/enc.conf"
rc=0
out=$(script -qec "timeout 10 '$HEADEND' -t -c '$HE_TMPDIR/enc.conf'" \
	/dev/null </dev/null 2>&1) || rc=$?
tap_diag_stdin <<<"$out"
tap_ok "encrypted key: headend -t fails without a prompt" test "$rc" -eq 1
tap_ok "encrypted key: the error says how to write an unencrypted copy" \
	grep -qF "enc.key is encrypted with a passphrase, which headend cannot ask for: write an unencrypted copy" \
	<<<"$out"

# check_with SED: run headend -t on the configuration that SED makes of
# the running one, and keep its output in out.
check_with() {
	sed "$1" "$HE_CONF" >"$HE_TMPDIR/variant.conf"
	out=$("$HEADEND" -t -c "$HE_TMPDIR/variant.conf" 2>&1) || true
	tap_diag_stdin <<<"$out"
}

# out_has TEXT: whether the output that check_with kept contains TEXT.
out_has() {
	grep -qF -- "$1" <<<"$out"
}

# A DER certificate, and a certificate where the key belongs: the error
# names what the file must hold and how to convert a DER file.
openssl x509 -in "$HE_TMPDIR/server.crt" -outform der -out "$HE_TMPDIR/der.crt"
check_with 's|certificate = "server.crt"|certificate = "der.crt"|'
want="no PEM certificate could be read from it. It must hold a whole"
want+=" -----BEGIN CERTIFICATE----- block, the server's own first; a DER"
want+=" file converts with \"openssl x509 -inform der -in $HE_TMPDIR/der.crt"
tap_ok "DER certificate: the error names the conversion" out_has "$want"
check_with 's|key = "server.key"|\nkey = "server.crt"|'
want="cannot load key $HE_TMPDIR/server.crt: no PEM private key could be"
want+=" read from it"
tap_ok "certificate as key: the error names the missing key" out_has "$want"
key_line=$(grep -n '^key = ' "$HE_TMPDIR/variant.conf" | cut -d: -f1)
tap_ok "certificate as key: the error gives the key's line" \
	out_has "$HE_TMPDIR/variant.conf:$key_line: cannot load key"

# A next-certificate without a certificate cannot give phones a certHash.
check_with 's|key = "server.key"|&; next-certificate = "server.key"|'
want="warning: next-certificate $HE_TMPDIR/server.key: it holds no PEM"
want+=" certificate, so phones cannot be given its certHash"
tap_ok "next-certificate without a certificate: -t warns" out_has "$want"
tap_ok "next-certificate without a certificate: the rest is checked" \
	out_has "certHash (base64 of SHA-1): "

# A certificate cut short behind the leaf would shorten the chain sent.
{ cat "$HE_TMPDIR/server.crt"; head -c 500 "$HE_TMPDIR/server.crt"; } \
	>"$HE_TMPDIR/short.crt"
check_with 's|certificate = "server.crt"|certificate = "short.crt"|'
want="cannot load certificate $HE_TMPDIR/short.crt: a PEM block after its"
want+=" first certificate is damaged or cut short"
tap_ok "a certificate cut short behind the leaf: -t fails" out_has "$want"

# A certificate after the leaf that did not issue it breaks the chain,
# while the leaf's own CA after it is fine.
cat "$HE_TMPDIR/server.crt" "$HE_TMPDIR/old.crt" >"$HE_TMPDIR/badchain.crt"
check_with 's|certificate = "server.crt"|certificate = "badchain.crt"|'
tap_ok "a chain in the wrong order: -t warns" out_has \
	"but did not issue it, so clients that take the chain in order cannot"
cat "$HE_TMPDIR/server.crt" "$HE_TMPDIR/ca.crt" >"$HE_TMPDIR/goodchain.crt"
check_with 's|certificate = "server.crt"|certificate = "goodchain.crt"|'
chain_in_order() {
	out_has 'configuration is valid' && ! out_has 'did not issue it'
}
tap_ok "a chain in order: valid, and no such warning" chain_in_order

# A certificate that is valid only from a later date, issued by openssl ca,
# which can set the start date.
mkdir -p "$HE_TMPDIR/later"
: >"$HE_TMPDIR/later/index.txt"
printf '%s\n' "[ ca ]" "default_ca = c" "[ c ]" \
	"database = $HE_TMPDIR/later/index.txt" \
	"new_certs_dir = $HE_TMPDIR/later" "certificate = $HE_TMPDIR/ca.crt" \
	"private_key = $HE_TMPDIR/ca.key" "default_md = sha256" "policy = p" \
	"rand_serial = yes" "[ p ]" "commonName = supplied" \
	>"$HE_TMPDIR/later/ca.cnf"
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$VPN_HOSTNAME" \
	-keyout "$HE_TMPDIR/later.key" -out "$HE_TMPDIR/later.csr" 2>/dev/null
openssl ca -batch -config "$HE_TMPDIR/later/ca.cnf" -notext \
	-startdate 20300101000000Z -enddate 20300201000000Z \
	-in "$HE_TMPDIR/later.csr" -out "$HE_TMPDIR/later.crt" 2>/dev/null
check_with 's|"server.crt"|"later.crt"|; s|"server.key"|"later.key"|'
tap_ok "a certificate not valid yet: -t warns" out_has \
	"is valid only from 2030-01-01 00:00:00 UTC, so clients refuse it"

# -t gives the pin that openconnect's --servercert takes for the leaf.
check_with 's|^||'
tap_ok "-t prints the leaf's openconnect pin" out_has \
	"openconnect --servercert $(cert_sha256_pin "$HE_TMPDIR/server.crt")"
tap_done
