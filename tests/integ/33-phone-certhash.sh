#!/bin/bash
# Certificate diagnostics. headendctl cert-hash prints the SHA-1
# fingerprint and the certHash value that phones pin for the listener's
# certificate, its chain and its next-certificate, and the values equal
# an independent computation with openssl. headend prints them at
# startup, and headend -t warns about what makes phones fail.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"

tap_plan 29
phone_setup

# A rollover certificate: EC key, wildcard name, ten days left.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-days 10 -subj "/CN=*.example.net" \
	-addext "subjectAltName = DNS:*.example.net,DNS:198.18.0.9" \
	-keyout "$HE_TMPDIR/next.key" -out "$HE_TMPDIR/next.crt" 2>/dev/null

# sha1_hex FILE: the fingerprint as openssl x509 -fingerprint prints it.
sha1_hex() {
	openssl x509 -in "$1" -noout -fingerprint -sha1 | cut -d= -f2
}

# hash_lines FILE: the two lines cert-hash prints for FILE's certificate.
hash_lines() {
	printf '    SHA-1 fingerprint: %s\n' "$(sha1_hex "$1")"
	printf '    certHash (base64 of SHA-1): %s\n' "$(cert_hash_b64 "$1")"
}

# printed_after LABEL-REGEX FILE OUTPUT: OUTPUT has LABEL's line followed
# by FILE's two hash lines.
printed_after() {
	python3 -c '
import re, sys
label, expected, out = sys.argv[1], sys.argv[2], sys.argv[3].splitlines()
for i, line in enumerate(out):
	if re.search(label, line) and "\n".join(out[i + 1:i + 3]) == expected:
		sys.exit(0)
sys.exit(1)' "$1" "$(hash_lines "$2")" "$3"
}

phone_write_config "authentication = \"password\"; user-file = \"$HE_USERS\";" \
	'chain = "ca.crt"; next-certificate = "next.crt";'
he_start

out=$("$HEADENDCTL" cert-hash -c "$HE_CONF")
tap_diag "$out"
tap_ok "leaf hashes equal openssl's" printed_after '^  leaf: CN=vpn' \
	"$HE_TMPDIR/server.crt" "$out"
tap_ok "chain hashes equal openssl's" printed_after \
	'^  chain 1: CN=headend test CA' "$HE_TMPDIR/ca.crt" "$out"
tap_ok "next-certificate hashes equal openssl's" printed_after \
	'^  leaf: CN=\*\.example\.net' "$HE_TMPDIR/next.crt" "$out"
tap_ok "the next certificate is labelled" grep -q \
	"^listener 1: next-certificate $HE_TMPDIR/next.crt" <<<"$out"

cat "$HE_TMPDIR/server.crt" "$HE_TMPDIR/ca.crt" >"$HE_TMPDIR/both.pem"
out=$("$HEADENDCTL" cert-hash "$HE_TMPDIR/both.pem")
tap_ok "cert-hash FILE: first certificate" printed_after \
	'^  certificate 1: CN=vpn' "$HE_TMPDIR/server.crt" "$out"
tap_ok "cert-hash FILE: second certificate" printed_after \
	'^  certificate 2: CN=headend test CA' "$HE_TMPDIR/ca.crt" "$out"
pin=$(openssl x509 -in "$HE_TMPDIR/server.crt" -pubkey -noout |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary |
	base64)
tap_ok "cert-hash FILE: the first certificate's openconnect pin" grep -qF \
	"openconnect --servercert pin-sha256:$pin" <<<"$out"
status=0
"$HEADENDCTL" cert-hash "$HE_TMPDIR/missing.pem" >/dev/null \
	2>"$HE_TMPDIR/missing.err" || status=$?
tap_ok "cert-hash of a missing file fails" test "$status" -eq 1
tap_ok "cert-hash of a missing file: an error on stderr" grep -qF \
	"headendctl: $HE_TMPDIR/missing.pem: No such file or directory" \
	"$HE_TMPDIR/missing.err"

tap_ok "show certificates: the chain's certHash" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show certificates | python3 -c '
import json, sys
chain = json.load(sys.stdin)[\"certificates\"][0][\"chain\"]
assert [c[\"phone_cert_hash\"] for c in chain] == [sys.argv[1]], chain
' '$(cert_hash_b64 "$HE_TMPDIR/ca.crt")'"
tap_ok "startup log has the certHash" file_contains "$HE_LOG" \
	"parent.*certHash \\(base64 of SHA-1\\): $(cert_hash_b64 \
	"$HE_TMPDIR/server.crt" | sed 's/[+/]/./g')"

# A configuration file that is not there gets a one-line error.
rc=0
out=$("$HEADENDCTL" cert-hash -c "$HE_TMPDIR/missing.conf" 2>&1) || rc=$?
tap_diag "$out"
tap_ok "cert-hash names a missing configuration file in one line" sh -c \
	"[ $rc -eq 1 ] && [ \$(printf '%s\n' \"\$1\" | wc -l) -eq 1 ] &&
	printf '%s' \"\$1\" | grep -q 'cannot read the configuration file'" \
	sh "$out"

# A configuration with every problem the checks know about.
bad="$HE_TMPDIR/bad.conf"
sed -e 's|chain = "ca.crt";|chain = "ca.crt"; udp-port = 8443; tls-profile = "phone"; tls-min-version = "1.2";|' \
	-e 's|group-urls = \[ "https://vpn.example.net/PhoneVPN" \];|group-urls = [ "https://vpn.example.net/PhoneVPN", "https://other.example.net/PhoneVPN", "https://198.18.0.9/PhoneVPN" ];|' \
	-e 's|group-policies = ( {|group-policies = ( { name = "split"; split-tunnel = "include"; routes = [ "198.18.1.0/24" ]; }, {|' \
	-e '/name = "phones"/,/group-policy/s|group-policy = "all"|group-policy = "split"|' \
	"$HE_CONF" >"$bad"
out=$("$HEADEND" -t -c "$bad" 2>&1) || true
tap_diag "$out"
tap_ok "-t still accepts the file" grep -q 'configuration is valid' <<<"$out"
tap_ok "-t prints the certHash" grep -qF \
	"certHash (base64 of SHA-1): $(cert_hash_b64 "$HE_TMPDIR/server.crt")" \
	<<<"$out"
tap_ok "warns: host not in the certificate" grep -q \
	'^warning: group-url https://other.example.net/PhoneVPN of tunnel-group phones: host other.example.net is neither the CN nor a subjectAltName' \
	<<<"$out"
tap_ok "warns: address not in the certificate, with the IP: fix" grep -q \
	'^warning: group-url https://198.18.0.9/PhoneVPN of tunnel-group phones: address 198.18.0.9 is not a subjectAltName of certificate .*server.crt.* with IP:198.18.0.9 in subjectAltName' \
	<<<"$out"
tap_ok "warns: address named only as text" grep -q \
	'^warning: group-url https://198.18.0.9/PhoneVPN of tunnel-group phones: address 198.18.0.9 is in certificate .*next.crt only as text (its CN or DNS:198.18.0.9), which openconnect rejects: add IP:198.18.0.9' \
	<<<"$out"
tap_ok "warns: next certificate matches only a wildcard" grep -q \
	'^warning: .*host vpn.example.net matches certificate .*next.crt only through a wildcard' \
	<<<"$out"
tap_ok "warns: phone policy is not tunnel-all" grep -q \
	'^warning: phone tunnel-group phones uses group-policy split, which splits the tunnel' \
	<<<"$out"
tap_ok "warns: DTLS is not on UDP 443" grep -q \
	'^warning: listener 1 serves a phone tunnel-group with DTLS on UDP port 8443' \
	<<<"$out"
tap_ok "warns: tls-min-version overrides the phone profile" grep -q \
	'^warning: listener 1 serves a phone tunnel-group but accepts no TLS 1.0.*: remove its tls-min-version, which overrides tls-profile "phone"' \
	<<<"$out"
tap_ok "warns: key is not RSA" grep -q \
	"^warning: certificate $HE_TMPDIR/next.crt serves a phone tunnel-group but its key is id-ecPublicKey, not RSA" \
	<<<"$out"
tap_ok "warns: certificate expires within 30 days" grep -q \
	"^warning: certificate \"CN=\\*.example.net\" in $HE_TMPDIR/next.crt expires on" \
	<<<"$out"
# An ECDSA certificate on a listener with the phone profile: its TLS 1.2
# ciphers are all RSA and TLS 1.3 is off, so no handshake could succeed.
ec_conf="$HE_TMPDIR/ec.conf"
sed 's|certificate = "server.crt"; key = "server.key";|certificate = "next.crt"; key = "next.key"; tls-profile = "phone";|' \
	"$HE_CONF" >"$ec_conf"
rc=0
out=$("$HEADEND" -t -c "$ec_conf" 2>&1) || rc=$?
tap_diag "$out"
tap_ok "-t rejects an ECDSA certificate for the phone profile" \
	test "$rc" -eq 1
tap_ok "-t says that every handshake would fail" grep -qF \
	"has a key of type id-ecPublicKey, but none of the TLS 1.2 ciphers" \
	<<<"$out"
# An ECDSA certificate with an ECDSA cipher that needs TLS 1.2, on a
# listener that stops at TLS 1.1: no handshake could succeed either.
old_tls='certificate = "server.crt"; key = "server.key";'
new_tls='certificate = "next.crt"; key = "next.key";'
new_tls+=' tls-min-version = "1.0"; tls-max-version = "1.1";'
new_tls+=' tls12-ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";'
sed "s|$old_tls|$new_tls|" "$HE_CONF" >"$ec_conf"
rc=0
out=$("$HEADEND" -t -c "$ec_conf" 2>&1) || rc=$?
tap_diag "$out"
tap_ok "-t rejects a cipher that its TLS versions cannot use" grep -qF \
	"both signs with it and works at its TLS versions" <<<"$out"

# A chain file that contains no certificate: cert-hash -c must not print
# the leaf alone, as if the phones needed no chain hash.
printf 'not a certificate\n' >"$HE_TMPDIR/junk.pem"
sed 's|chain = "ca.crt";|chain = "junk.pem";|' "$HE_CONF" \
	>"$HE_TMPDIR/junk.conf"
rc=0
out=$("$HEADENDCTL" cert-hash -c "$HE_TMPDIR/junk.conf" 2>&1) || rc=$?
tap_diag "$out"
tap_ok "cert-hash -c fails on a chain file without certificates" \
	test "$rc" -eq 1
tap_ok "cert-hash -c names the chain file" grep -qF \
	"cannot read chain $HE_TMPDIR/junk.pem: it holds no PEM certificate" \
	<<<"$out"
# A DER certificate: cert-hash names the conversion.
openssl x509 -in "$HE_TMPDIR/server.crt" -outform der \
	-out "$HE_TMPDIR/server.der"
out=$("$HEADENDCTL" cert-hash "$HE_TMPDIR/server.der" 2>&1) || true
tap_ok "cert-hash of a DER file names the conversion" grep -qF \
	'a DER certificate converts with "openssl x509 -inform der' <<<"$out"
tap_done
