#!/bin/bash
# Phone login by certificate. MIC-like and LSC-like certificates from two
# test CAs log in, with the username taken from the CN by the phone-name
# rule. An untrusted CA and a certificate without a CN are rejected, and
# a "both" group checks the password of the certificate's user. Revoking
# a certificate ends its live session and rejects its cookie and any new
# login with it.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"

tap_plan 47
phone_setup

phone_ca_init mic "/CN=Test Manufacturing CA"
phone_ca_init capf "/CN=Test CAPF"
phone_ca_init rogue "/CN=Untrusted CA"
phone_cert mic mic "/O=Cisco Systems Inc./CN=CP-7962G-SEP$PHONE_MAC"
phone_cert capf lsc "/O=Example/OU=phones/CN=SEP0011223344AA"
phone_cert capf lost "/O=Example/OU=phones/CN=SEP0011223344BB"
phone_cert rogue rogue "/CN=SEP001122334466"
phone_cert mic nocn "/O=Cisco Systems Inc./OU=no common name"
PHONE_CERT_DAYS=-1 phone_cert mic expired \
	"/O=Cisco Systems Inc./CN=CP-7962G-SEP001122334477"
he_add_user SEP0011223344AA lsc-secret

# put_crl FILE...: make the CRL file the given files, one after the
# other, replaced in one rename as an operator's tooling would.
put_crl() {
	cat "$@" >"$HE_TMPDIR/phones.crl.new"
	chmod 644 "$HE_TMPDIR/phones.crl.new"
	mv "$HE_TMPDIR/phones.crl.new" "$HE_TMPDIR/phones.crl"
}

# One CRL file for both CAs.
publish_crls() {
	phone_crl mic
	phone_crl capf
	put_crl "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/capf/crl.pem"
}
publish_crls

phone_write_config "authentication = \"certificate\";
	ca-files = [ \"mic/ca.crt\", \"capf/ca.crt\" ];
	crl-file = \"phones.crl\"; cert-user-rule = \"phone-name\";" \
	'tls-profile = "phone";' ", { name = \"phoneboth\"; phone = true;
	group-urls = [ \"https://vpn.example.net/PhoneBoth\" ];
	authentication = \"both\"; ca-files = [ \"capf/ca.crt\" ];
	user-file = \"$HE_USERS\";
	pool = \"phones\"; group-policy = \"all\"; }"
he_start

# The test CRLs are valid for five days, so the check warns already.
tap_ok "startup warns about a CRL near its nextUpdate" file_contains \
	"$HE_LOG" 'warning: crl-file .*/phones.crl of tunnel-group phones: the CRL of "CN=Test CAPF" expires on'

# spawn_live_phone NAME OUT [ARGS...]: start a phone with NAME.crt and
# .key that logs in by certificate, pings the inside host and keeps its
# tunnel up to 30 s, with its output in OUT, and wait for the first
# reply.
spawn_live_phone() {
	local name=$1 out=$2

	shift 2
	spawn_in_ns "$NS_CLIENT" "$PHONE_EMU" \
		--connect "$HEADEND_OUTSIDE_ADDR" \
		--cert-hash "$PHONE_CERT_HASH" --cert "$HE_TMPDIR/$name.crt" \
		--key "$HE_TMPDIR/$name.key" --cert-mode "$@" \
		--ping "$INSIDE_ADDR" --wait-close 30 "$PHONE_URL" >"$out" 2>&1
	wait_file_contains "$out" '^ping: reply from' 15 ||
		tap_diag_file "$out"
}

# cert_login NAME [ARGS...]: certificate-mode login with NAME.crt/.key.
cert_login() {
	local name=$1

	shift
	phone_emu --cert "$HE_TMPDIR/$name.crt" --key "$HE_TMPDIR/$name.key" \
		--cert-mode "$@"
}

out=$(cert_login mic --ping "$INSIDE_ADDR" "$PHONE_URL" 2>&1) || true
tap_diag "$out"
tap_ok "MIC logs in with an empty POST" grep -q '^login: 200' <<<"$out"
tap_ok "MIC session passes packets" grep -q '^ping: reply from' <<<"$out"
tap_ok "username is the phone name from the MIC's CN" file_contains \
	"$HE_LOG" "user=SEP$PHONE_MAC group=phones .*logged in with a client certificate"

out=$(cert_login lsc --profile 8841 --ping "$INSIDE_ADDR" "$PHONE_URL" \
	2>&1) || true
tap_diag "$out"
tap_ok "LSC logs in on the 8841 profile" grep -q '^login: 200' <<<"$out"
tap_ok "LSC session passes packets" grep -q '^ping: reply from' <<<"$out"

status=0
out=$(cert_login rogue "$PHONE_URL" 2>&1) || status=$?
tap_diag "$out"
tap_ok "certificate from an untrusted CA gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"
tap_ok "log names the untrusted issuer" file_contains "$HE_LOG" \
	'client certificate rejected for group=phones: .*issuer="CN=Untrusted CA".*unable to get local issuer'
tap_ok "log says to add the issuer to ca-files" file_contains "$HE_LOG" \
	'unable to get local issuer .*: the CA that issued it is not in ca-files of tunnel-group phones; add'

status=0
out=$(cert_login expired "$PHONE_URL" 2>&1) || status=$?
tap_ok "expired certificate gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"
tap_ok "log gives the expiry date" file_contains "$HE_LOG" \
	"certificate has expired \\(at chain depth 0, expired on $(date -u -d yesterday +%Y-%m-%d) "

status=0
out=$(phone_emu --cert-mode --cert "$HE_TMPDIR/nocn.crt" \
	--key "$HE_TMPDIR/nocn.key" "$PHONE_URL" 2>&1) || status=$?
tap_ok "certificate without a CN gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"
tap_ok "log says the CN is missing" file_contains "$HE_LOG" \
	'no username in field CN: the certificate has no such field'

status=0
out=$(phone_emu --user SEP0011223344AA --password lsc-secret \
	"$PHONE_URL" 2>&1) || status=$?
tap_ok "password without a certificate gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"

both_url="https://$VPN_HOSTNAME/PhoneBoth"
status=0
out=$(cert_login lsc "$both_url" 2>&1) || status=$?
tap_ok "both: a POST without password is prompted again, not failed" \
	sh -c "[ $status -eq 3 ] && grep -qx 'login: 200 OK'" <<<"$out"
out=$(phone_emu --cert "$HE_TMPDIR/lsc.crt" --key "$HE_TMPDIR/lsc.key" \
	--user someone-else --password lsc-secret --ping "$INSIDE_ADDR" \
	"$both_url" 2>&1) || true
tap_diag "$out"
tap_ok "both: certificate and its user's password log in" grep -q \
	'^ping: reply from' <<<"$out"
tap_ok "both: the username comes from the certificate" file_contains \
	"$HE_LOG" 'user=SEP0011223344AA group=phoneboth .*logged in'
status=0
out=$(phone_emu --cert "$HE_TMPDIR/lsc.crt" --key "$HE_TMPDIR/lsc.key" \
	--user SEP0011223344AA --password wrong "$both_url" 2>&1) ||
	status=$?
tap_ok "both: wrong password gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"

# Revocation while the session is up.
lost_out="$HE_TMPDIR/lost.out"
spawn_live_phone lost "$lost_out" --show-cookie
cookie=$(sed -n 's/^login: 200 cookie=//p' "$lost_out")
tap_ok "lost phone's session is up" phone_has_session SEP0011223344BB

phone_revoke capf lost
put_crl "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/capf/crl.pem"
tap_ok "revocation ends the live tunnel" wait_file_contains "$lost_out" \
	'^tunnel: closed by the server' 20
tap_ok "the revoked session is gone" wait_until 5 phone_has_no_session \
	SEP0011223344BB
tap_ok "log says why" file_contains "$HE_LOG" \
	'user=SEP0011223344BB .*revoked by the new CRL'

status=0
out=$(phone_emu --cookie "$cookie" "$PHONE_URL" 2>&1) || status=$?
tap_ok "the revoked session's cookie is refused" sh -c \
	"[ $status -eq 1 ] && grep -q '^connect: 401'" <<<"$out"

status=0
out=$(cert_login lost "$PHONE_URL" 2>&1) || status=$?
tap_ok "a new login with the revoked certificate gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"

# check_crl FILE: print headend -t's output with crl-file set to FILE.
check_crl() {
	sed "s|crl-file = \"phones.crl\"|crl-file = \"$1\"|" "$HE_CONF" \
		>"$HE_TMPDIR/variant.conf"
	"$HEADEND" -t -c "$HE_TMPDIR/variant.conf" 2>&1 || true
}

# A CRL of a CA outside ca-files fails every certificate check.
phone_crl rogue
out=$(check_crl rogue/crl.pem)
tap_diag_stdin <<<"$out"
want="rogue/crl.pem of tunnel-group phones has no CRL signed by a CA in"
want+=" its ca-files, so certificate logins to this group get 503"
tap_ok "a CRL of no group CA: -t warns of the 503s" grep -qF "$want" \
	<<<"$out"

# A CRL with the CA's name but another key's signature gets a warning.
phone_ca_init fake "/CN=Test CAPF"
phone_crl fake
cat "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/fake/crl.pem" >"$HE_TMPDIR/fake.crl"
out=$(check_crl fake.crl)
tap_diag_stdin <<<"$out"
want='the CRL of "CN=Test CAPF" does not verify with that CA'"'"'s key in'
want+=" ca-files, so logins with certificates of that CA get 503"
tap_ok "a CRL under the CA's name but another key: -t warns" grep -qF \
	"$want" <<<"$out"

# A CRL cut short behind a whole one would lose that CA's revocations.
{ cat "$HE_TMPDIR/mic/crl.pem"; head -c 300 "$HE_TMPDIR/capf/crl.pem"; } \
	>"$HE_TMPDIR/short.crl"
out=$(check_crl short.crl)
tap_diag_stdin <<<"$out"
want="cannot read crl-file $HE_TMPDIR/short.crl: a PEM block in it is"
want+=" damaged or cut short"
tap_ok "a CRL cut short behind a whole one: -t fails" grep -qF "$want" \
	<<<"$out"

# Two DER CRLs in one file: only the first would be read.
for ca in mic capf; do
	openssl crl -in "$HE_TMPDIR/$ca/crl.pem" -outform der
done >"$HE_TMPDIR/two.der"
out=$(check_crl two.der)
tap_diag_stdin <<<"$out"
tap_ok "two DER CRLs in one file: -t fails" grep -qF \
	"cannot read crl-file $HE_TMPDIR/two.der: it holds bytes after its one DER CRL" \
	<<<"$out"

# A client certificate given as a CA verifies no login.
sed 's|"capf/ca.crt" \]|"capf/ca.crt", "lsc.crt" ]|' "$HE_CONF" \
	>"$HE_TMPDIR/variant.conf"
out=$("$HEADEND" -t -c "$HE_TMPDIR/variant.conf" 2>&1) || true
tap_diag_stdin <<<"$out"
want="ca-files entry $HE_TMPDIR/lsc.crt of tunnel-group phones:"
want+=' "CN=SEP0011223344AA,OU=phones,O=Example" is not a CA certificate'
tap_ok "a leaf certificate in ca-files: -t warns" grep -qF "$want" \
	<<<"$out"

# An expired CA in ca-files fails every certificate under it with 401.
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=Old CA" \
	-keyout "$HE_TMPDIR/old-ca.key" -out "$HE_TMPDIR/old-ca.csr" 2>/dev/null
printf 'basicConstraints = critical, CA:TRUE\n' >"$HE_TMPDIR/old-ca.ext"
openssl x509 -req -days -1 -in "$HE_TMPDIR/old-ca.csr" \
	-signkey "$HE_TMPDIR/old-ca.key" -extfile "$HE_TMPDIR/old-ca.ext" \
	-out "$HE_TMPDIR/old-ca.crt" 2>/dev/null
sed 's|"capf/ca.crt" \]|"capf/ca.crt", "old-ca.crt" ]|' "$HE_CONF" \
	>"$HE_TMPDIR/variant.conf"
out=$("$HEADEND" -t -c "$HE_TMPDIR/variant.conf" 2>&1) || true
tap_diag_stdin <<<"$out"
tap_ok "an expired CA in ca-files: -t warns" grep -qF \
	"CA \"CN=Old CA\" expired on" <<<"$out"

# A CRL under the CAPF's name but signed by another key, put in force
# while an LSC phone's session runs, lists that phone: it ends nothing.
lsc_out="$HE_TMPDIR/lsc.out"
spawn_live_phone lsc "$lsc_out"
openssl ca -config "$HE_TMPDIR/fake/ca.cnf" -revoke "$HE_TMPDIR/lsc.crt" \
	2>/dev/null
phone_crl fake
put_crl "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/fake/crl.pem"
want='crl-file .*: the CRL of "CN=Test CAPF" does not verify with that'
want+=" CA's key in ca-files, so it revokes no session"
tap_ok "a forged CRL put in force: the log warns" wait_until 15 \
	file_contains "$HE_LOG" "$want"
tap_ok "a forged CRL ends no session" phone_has_session SEP0011223344AA
# The same forgery with an authority key identifier of the forging key:
# no CA in ca-files claims it, so only the sweep's check of the signature
# with the key of the session's own CA keeps it from revoking.
printf '[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n' \
	>>"$HE_TMPDIR/fake/ca.cnf"
openssl ca -config "$HE_TMPDIR/fake/ca.cnf" -gencrl -crlexts crl_ext \
	-out "$HE_TMPDIR/fake/akid.pem" 2>/dev/null
forged_lines() {
	grep -c 'lists the certificate of a session, or a CA of its chain' \
		"$HE_LOG" || true
}
forged_lines_above() {
	[ "$(forged_lines)" -gt "$1" ]
}
forged0=$(forged_lines)
put_crl "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/fake/akid.pem"
tap_ok "a CRL with the forger's key id: the log warns" wait_until 15 \
	forged_lines_above "$forged0"
tap_ok "and it ends no session" phone_has_session SEP0011223344AA

# A phone whose certificate comes from an intermediate CA under the MIC
# root, and which sends that intermediate. Revoking the intermediate in
# the root's CRL ends its session and rejects its next login.
phone_ca_init inter "/CN=Test Intermediate CA"
openssl req -new -key "$HE_TMPDIR/inter/ca.key" \
	-subj "/CN=Test Intermediate CA" -out "$HE_TMPDIR/inter/ca.csr"
printf '%s\n' "basicConstraints = critical, CA:TRUE" \
	"keyUsage = critical, keyCertSign, cRLSign" >"$HE_TMPDIR/inter/ext"
openssl x509 -req -days 30 -in "$HE_TMPDIR/inter/ca.csr" \
	-CA "$HE_TMPDIR/mic/ca.crt" -CAkey "$HE_TMPDIR/mic/ca.key" \
	-extfile "$HE_TMPDIR/inter/ext" -out "$HE_TMPDIR/inter/ca.crt" \
	2>/dev/null
phone_cert inter sub "/O=Cisco Systems Inc./CN=CP-8841-SEP0011223344CC"
cat "$HE_TMPDIR/inter/ca.crt" >>"$HE_TMPDIR/sub.crt"
# crl_reads: how many times the network process has read the CRL file.
crl_reads() {
	grep -c 'read [0-9]* CRL(s) from' "$HE_LOG" || true
}
crl_reads_above() {
	[ "$(crl_reads)" -gt "$1" ]
}
reads=$(crl_reads)
phone_crl mic
phone_crl inter
put_crl "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/inter/crl.pem"
wait_until 15 crl_reads_above "$reads" || true

sub_out="$HE_TMPDIR/sub.out"
spawn_live_phone sub "$sub_out"
tap_ok "a phone under an intermediate CA logs in" \
	phone_has_session SEP0011223344CC

openssl ca -config "$HE_TMPDIR/mic/ca.cnf" \
	-revoke "$HE_TMPDIR/inter/ca.crt" 2>/dev/null
phone_crl mic
put_crl "$HE_TMPDIR/mic/crl.pem" "$HE_TMPDIR/inter/crl.pem"
tap_ok "revoking the intermediate ends the session" wait_until 20 \
	phone_has_no_session SEP0011223344CC
tap_ok "the log names the revoked CA" file_contains "$HE_LOG" \
	'CA certificate "CN=Test Intermediate CA" of the client certificate'
status=0
out=$(cert_login sub "$PHONE_URL" 2>&1) || status=$?
tap_diag_stdin <<<"$out"
tap_ok "a new login under the revoked intermediate gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401'" <<<"$out"
tap_ok "other MIC phones still log in" cert_login mic --step login \
	"$PHONE_URL"
# A CRL file without the CAPF's CRL: an LSC login gets 503, and the log
# names the file, the CA and the fix.
reads=$(crl_reads)
put_crl "$HE_TMPDIR/mic/crl.pem"
wait_until 15 crl_reads_above "$reads" || true
status=0
out=$(cert_login lsc "$PHONE_URL" 2>&1) || status=$?
tap_diag_stdin <<<"$out"
tap_ok "no CRL of the CAPF: an LSC login gets 503" grep -q '^login: 503' \
	<<<"$out"
tap_ok "the log names the CRL file and the CA" file_contains "$HE_LOG" \
	"crl-file $HE_TMPDIR/phones.crl has no CRL of \"CN=Test CAPF\": add that CA's CRL to it"
# A damaged CRL file, then none: each failure is logged, and the CRLs in
# force stay.
crl_failures() {
	grep -c "cannot read crl-file $HE_TMPDIR/phones.crl" "$HE_LOG" || true
}
crl_failures_above() {
	[ "$(crl_failures)" -gt "$1" ]
}
failures=$(crl_failures)
printf 'not a CRL\n' >"$HE_TMPDIR/garbage.crl"
put_crl "$HE_TMPDIR/garbage.crl"
tap_ok "a damaged CRL file is logged" wait_until 15 crl_failures_above \
	"$failures"
rm "$HE_TMPDIR/phones.crl"
tap_ok "and so is its removal after it" wait_until 15 crl_failures_above \
	"$((failures + 1))"
# A CRL that expires two seconds after it is put in force: once it has,
# a MIC login gets 503 and the log names the CRL's due date and the fix.
reads=$(crl_reads)
openssl ca -config "$HE_TMPDIR/mic/ca.cnf" -gencrl -crlsec 2 \
	-out "$HE_TMPDIR/short-lived.crl" 2>/dev/null
put_crl "$HE_TMPDIR/short-lived.crl"
wait_until 15 crl_reads_above "$reads" || true
# mic_login_gets STATUS: a MIC login gets that HTTP status.
mic_login_gets() {
	cert_login mic --step login "$PHONE_URL" 2>&1 | grep -q "^login: $1"
}
tap_ok "an expired CRL: a MIC login gets 503" wait_until 15 \
	mic_login_gets 503
tap_ok "the log gives the CRL's due date and the fix" file_contains \
	"$HE_LOG" 'the CRL of "CN=Test Manufacturing CA" in crl-file .* was due for renewal on .*: publish a new CRL from that CA'

# A root that lists itself in its own CRL: its phones' sessions end and
# their logins fail, as OpenSSL's check of a login decides.
mic_out="$HE_TMPDIR/mic-live.out"
phone_crl mic
reads=$(crl_reads)
put_crl "$HE_TMPDIR/mic/crl.pem"
wait_until 15 crl_reads_above "$reads" || true
spawn_live_phone mic "$mic_out"
openssl ca -config "$HE_TMPDIR/mic/ca.cnf" -revoke "$HE_TMPDIR/mic/ca.crt" \
	2>/dev/null
phone_crl mic
put_crl "$HE_TMPDIR/mic/crl.pem"
tap_ok "a root revoked by itself ends its phone's session" wait_until 20 \
	phone_has_no_session "SEP$PHONE_MAC"
tap_ok "and its phones' logins get 401" mic_login_gets 401
tap_done
