#!/bin/bash
# DTLS from the phone emulator, which resumes with the suite of its TLS
# connection as phones do. A 7962 logging in by password and one logging
# in by certificate bring up legacy DTLS (0x0100) with their TLS suite
# and ping the inside host over it. The server's per-session counters
# show the packets on DTLS. A 7962 whose DTLS list lacks its TLS suite
# gets no DTLS and pings over CSTP. An 8841 on TLS 1.2 with
# ECDHE-RSA-AES256-GCM-SHA384 resumes DTLS 1.2 with that suite, and one
# on AES256-SHA runs legacy DTLS. When the server names a suite other
# than the TLS one, the handshake fails as a phone's does and the ping
# goes over CSTP. A phone on a listener whose X-DTLS-Port is 8443 still
# sends DTLS to port 443, and --dtls-port reply sends it to 8443; when
# its DTLS does not arrive, the log advises UDP port 443, and when its
# hellos have another DTLS version, the log names that cause. A
# DISCONNECT over DTLS with reason 0xb0 (logout) ends the session, and
# one with another reason ends only DTLS.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"

PHONE_CERT_URL="https://$VPN_HOSTNAME/PhoneCert"
PHONE_8443_URL="https://$VPN_HOSTNAME:8443/PhoneVPN"
PHONE_USER=SEP001122334455
CERT_USER=SEP001122334466

tap_plan 56
phone_setup
he_add_user "$PHONE_USER" phone-secret
phone_ca_init mic "/CN=Test Manufacturing CA"
phone_cert mic mic "/O=Cisco Systems Inc./CN=CP-7962G-$CERT_USER"

# DPD every 2 s, so the emulator receives DPD requests on both channels
# while it keeps the tunnel up after the pings.
phone_write_config "authentication = \"password\"; user-file = \"$HE_USERS\";" \
	'tls-profile = "phone"; }, { tcp-port = 8443; udp-port = 8443;
	certificate = "server.crt"; key = "server.key";
	tls-profile = "phone";' ", { name = \"phonecert\"; phone = true;
	group-urls = [ \"$PHONE_CERT_URL\" ];
	authentication = \"certificate\"; ca-files = [ \"mic/ca.crt\" ];
	cert-user-rule = \"phone-name\";
	pool = \"phones\"; group-policy = \"all\"; },
	{ name = \"phones8443\"; phone = true;
	group-urls = [ \"$PHONE_8443_URL\" ];
	authentication = \"password\"; user-file = \"$HE_USERS\";
	pool = \"phones\"; group-policy = \"all\"; }" 'dpd = 2;'
he_start
wait_udp_listen "$NS_HEADEND" 443
wait_udp_listen "$NS_HEADEND" 8443

# run_phone NAME COUNT ARGS...: start the emulator with --dtls, pinging
# the inside host COUNT times, with its output in $HE_TMPDIR/NAME.out.
# Wait until the last reply or the emulator's end. A --hold in ARGS
# keeps the session up, so that its counters can be read meanwhile.
run_phone() {
	local name=$1 count=$2

	shift 2
	OUT="$HE_TMPDIR/$name.out"
	phone_emu_spawn "$OUT" --dtls --ping "$INSIDE_ADDR" --count "$count" \
		"$@"
	wait_until 20 pinged_or_ended "$count" || tap_diag_file "$OUT"
}

# pinged_or_ended COUNT: the emulator got reply COUNT, or it has ended.
pinged_or_ended() {
	grep -q "^ping: reply .* seq=$1 " "$OUT" ||
		! pid_running "$PHONE_EMU_PID"
}

# finish_phone: wait for the emulator to end, show its output and set
# STATUS to its exit status. It must not run in a subshell such as
# tap_ok's, which cannot wait for the emulator.
finish_phone() {
	STATUS=0
	phone_emu_wait 20 || STATUS=$?
	tap_diag_file "$OUT"
}

out_has() {
	grep -Eq -- "$1" "$OUT"
}

# pinged_on SEQ CHANNEL: the reply to ping SEQ came on CHANNEL, and the
# request went there too.
pinged_on() {
	out_has "^ping: reply from $INSIDE_ADDR seq=$1 .*, request on $2, \
reply on $2\$"
}

# session_check USER PYTHON: run PYTHON's asserts on USER's session
# document, bound to s, with dtls and cstp the channel counters.
session_check() {
	local doc

	doc=$(phone_session "$1") || return 1
	python3 -c "
import json, sys
s = json.loads(sys.argv[1])
s = s.get('session', s)
dtls, cstp = s['channels']['dtls'], s['channels']['cstp']
print('tls', s['tls'], 'dtls', s['dtls'])
print('channels', s['channels'])
$2" "$doc"
}

# --- 7962, password login, legacy DTLS ---------------------------------
run_phone 7962-password 3 --user "$PHONE_USER" --password phone-secret \
	--hold 5 "$PHONE_URL"
tap_ok "7962 runs legacy DTLS with its TLS suite" session_check \
	"$PHONE_USER" '
assert s["tls"] == {"version": "TLSv1", "cipher": "AES256-SHA"}, s["tls"]
assert s["dtls"] == {"mode": "legacy", "version": "DTLSv0.9",
                     "cipher": "AES256-SHA", "state": "up"}, s["dtls"]'
tap_ok "7962's pings cross on DTLS" session_check "$PHONE_USER" '
assert dtls["packets_in"] >= 3, dtls
assert dtls["packets_out"] >= 3, dtls
assert cstp["packets_in"] == 0, cstp
assert cstp["packets_out"] == 0, cstp'
finish_phone
tap_ok "7962 emulator exits 0" test "$STATUS" -eq 0
tap_ok "it resumes on UDP port 443" out_has \
	'^dtls: resuming DTLSv0.9 with the TLS suite AES256-SHA on UDP port 443'
tap_ok "the server names AES256-SHA too" out_has \
	'^dtls: resuming .* the server names AES256-SHA$'
tap_ok "it reports DTLS up" out_has '^dtls: up DTLSv0.9 AES256-SHA$'
tap_ok "its pings go and return on DTLS" pinged_on 3 dtls
tap_ok "DTLS carried every packet" out_has '^dtls: packets out=3 in=3 '
tap_ok "CSTP carried none" out_has '^cstp: packets out=0 in=0 '
tap_ok "it answers DPD on DTLS" out_has '^dtls: .* dpd-answered=[1-9]'
tap_ok "and on CSTP" out_has '^cstp: .* dpd-answered=[1-9]'
tap_ok "the session ends" wait_until 5 phone_has_no_session "$PHONE_USER"

# --- certificate login, legacy DTLS, keepalives ------------------------
run_phone 7962-cert 3 --cert "$HE_TMPDIR/mic.crt" \
	--key "$HE_TMPDIR/mic.key" --cert-mode --keepalive 1 --hold 3 \
	"$PHONE_CERT_URL"
tap_ok "certificate login runs legacy DTLS" session_check "$CERT_USER" '
assert s["dtls"] == {"mode": "legacy", "version": "DTLSv0.9",
                     "cipher": "AES256-SHA", "state": "up"}, s["dtls"]'
tap_ok "its pings cross on DTLS" session_check "$CERT_USER" '
assert dtls["packets_in"] >= 3, dtls
assert dtls["packets_out"] >= 3, dtls
assert cstp["packets_in"] == 0, cstp
assert cstp["packets_out"] == 0, cstp'
finish_phone
tap_ok "certificate emulator exits 0" test "$STATUS" -eq 0
tap_ok "it logs in by certificate" out_has '^login: 200 cookie received'
tap_ok "its pings go and return on DTLS" pinged_on 3 dtls
tap_ok "it sends keepalives on DTLS" out_has \
	'^dtls: packets out=3 in=3 .* keepalives=[2-9]'

# --- 7962 whose DTLS list lacks its TLS suite ---------------------------
run_phone 7962-nodtls 2 --user "$PHONE_USER" --password phone-secret \
	--dtls-ciphers AES128-SHA:DES-CBC3-SHA --hold 3 "$PHONE_URL"
tap_ok "phone without its TLS suite gets no DTLS" session_check \
	"$PHONE_USER" '
assert s["dtls"]["mode"] == "none", s["dtls"]
assert s["dtls"]["state"] == "never", s["dtls"]
assert cstp["packets_in"] >= 2, cstp
assert cstp["packets_out"] >= 2, cstp
assert dtls["packets_in"] == 0, dtls
assert dtls["packets_out"] == 0, dtls'
finish_phone
tap_ok "no-DTLS emulator exits 0" test "$STATUS" -eq 0
tap_ok "it sees no DTLS offer" out_has \
	'^dtls: the server offers no DTLS; staying on CSTP$'
tap_ok "its pings go and return on CSTP" pinged_on 2 cstp
tap_ok "log says why" file_contains "$HE_LOG" \
	"no DTLS.*lack its TLS suite AES256-SHA"
wait_until 5 phone_has_no_session "$PHONE_USER" || true

# --- 8841, TLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384, DTLS 1.2 ----------
run_phone 8841-gcm 3 --profile 8841 --ciphers ECDHE-RSA-AES256-GCM-SHA384 \
	--user "$PHONE_USER" --password phone-secret --hold 3 "$PHONE_URL"
tap_ok "8841 resumes DTLS 1.2 with its TLS suite" session_check \
	"$PHONE_USER" '
assert s["tls"] == {"version": "TLSv1.2",
                    "cipher": "ECDHE-RSA-AES256-GCM-SHA384"}, s["tls"]
assert s["dtls"] == {"mode": "dtls1.2-resume", "version": "DTLSv1.2",
                     "cipher": "ECDHE-RSA-AES256-GCM-SHA384",
                     "state": "up"}, s["dtls"]'
tap_ok "8841's pings cross on DTLS" session_check "$PHONE_USER" '
assert dtls["packets_in"] >= 3, dtls
assert dtls["packets_out"] >= 3, dtls
assert cstp["packets_in"] == 0, cstp
assert cstp["packets_out"] == 0, cstp'
finish_phone
tap_ok "8841 emulator exits 0" test "$STATUS" -eq 0
tap_ok "the reply names the suite in X-DTLS12-CipherSuite" out_has \
	'^connect: 200 .* dtls12-cipher=ECDHE-RSA-AES256-GCM-SHA384 '
tap_ok "it reports DTLS 1.2 up" out_has \
	'^dtls: up DTLSv1.2 ECDHE-RSA-AES256-GCM-SHA384$'
tap_ok "its pings go and return on DTLS" pinged_on 3 dtls
wait_until 5 phone_has_no_session "$PHONE_USER" || true

# --- 8841 with TLS forced to AES256-SHA: legacy DTLS --------------------
status=0
OUT="$HE_TMPDIR/8841-cbc.out"
phone_emu --profile 8841 --ciphers AES256-SHA --dtls --user "$PHONE_USER" \
	--password phone-secret --ping "$INSIDE_ADDR" "$PHONE_URL" \
	>"$OUT" 2>&1 || status=$?
tap_diag_file "$OUT"
tap_ok "8841 on AES256-SHA exits 0" test "$status" -eq 0
tap_ok "it runs legacy DTLS" out_has '^dtls: up DTLSv0.9 AES256-SHA$'
tap_ok "its ping crosses on DTLS" pinged_on 1 dtls

# --- the server names another suite ------------------------------------
# For phones the server names only the TLS suite. With another
# User-Agent on the CONNECT it picks from the lists: AES128-SHA and
# ECDHE-RSA-AES128-GCM-SHA256 here, while the TLS suites use AES-256.

# mismatch NAME ARGS...: log in as a phone, then CONNECT with the cookie
# and ARGS as another client, with the output in $HE_TMPDIR/NAME.out.
mismatch() {
	local name=$1 cookie

	shift
	cookie=$(phone_emu --user "$PHONE_USER" --password phone-secret \
		--step login --show-cookie "$PHONE_URL" |
		sed -n 's/^login: 200 cookie=//p')
	OUT="$HE_TMPDIR/$name.out"
	STATUS=0
	phone_emu --cookie "$cookie" --dtls --ping "$INSIDE_ADDR" \
		--user-agent 'Open AnyConnect VPN Agent v9.01' "$@" \
		"$PHONE_URL" >"$OUT" 2>&1 || STATUS=$?
	tap_diag_file "$OUT"
}

mismatch legacy-mismatch --dtls-ciphers AES128-SHA
tap_ok "the reply names AES128-SHA" out_has \
	'^connect: 200 .* dtls-cipher=AES128-SHA '
tap_ok "legacy handshake fails as a phone's" out_has \
	'^dtls: failed: old session cipher not returned; staying on CSTP$'
tap_ok "legacy mismatch emulator exits 0" test "$STATUS" -eq 0
tap_ok "the ping crosses on CSTP" pinged_on 1 cstp

mismatch dtls12-mismatch --profile 8841 \
	--ciphers ECDHE-RSA-AES256-GCM-SHA384 \
	--dtls12-ciphers ECDHE-RSA-AES128-GCM-SHA256
tap_ok "the reply names ECDHE-RSA-AES128-GCM-SHA256" out_has \
	'^connect: 200 .* dtls12-cipher=ECDHE-RSA-AES128-GCM-SHA256 '
tap_ok "DTLS 1.2 handshake fails as a phone's" out_has \
	'^dtls: failed: old session cipher not returned; staying on CSTP$'
tap_ok "DTLS 1.2 mismatch emulator exits 0" test "$STATUS" -eq 0
tap_ok "its ping crosses on CSTP" pinged_on 1 cstp

# --- X-DTLS-Port 8443 ---------------------------------------------------
# The server finds the session by its id on either UDP port.
OUT="$HE_TMPDIR/port.out"
for port in 443 reply; do
	phone_emu --dtls --dtls-port "$port" --user "$PHONE_USER" \
		--password phone-secret --ping "$INSIDE_ADDR" \
		"$PHONE_8443_URL" >>"$OUT" 2>&1 || true
done
tap_diag_file "$OUT"
tap_ok "reply on port 8443 names X-DTLS-Port 8443" out_has \
	'^connect: 200 .* dtls-port=8443$'
tap_ok "phone sends DTLS to port 443 anyway" out_has \
	'^dtls: resuming DTLSv0.9 .* on UDP port 443;'
tap_ok "--dtls-port reply sends it to 8443" out_has \
	'^dtls: resuming DTLSv0.9 .* on UDP port 8443;'
tap_ok "both bring DTLS up" test "$(grep -c '^dtls: up DTLSv0.9 ' "$OUT")" \
	-eq 2
wait_until 5 phone_has_no_session "$PHONE_USER" || true

# hold_phone NAME ARGS...: run the emulator with DTLS and a tunnel held
# for 8 s, past the DTLS notice, with its output in $HE_TMPDIR/NAME.out.
# The session is logged off after it, because a handshake that keeps the
# emulator busy past three DPD intervals leaves it waiting for a return.
hold_phone() {
	OUT="$HE_TMPDIR/$1.out"
	shift
	phone_emu --dtls --user "$PHONE_USER" --password phone-secret \
		--hold 8 "$@" >"$OUT" 2>&1 || true
	tap_diag_file "$OUT"
	he_ctl logoff user "$PHONE_USER" >/dev/null || true
}

# A phone on the 8443 listener whose datagrams do not arrive (sent to
# port 9 here): the notice names port 443, where phones send DTLS, and
# not the listener's 8443. It comes 2 x DPD + 1 = 5 s after CONNECT.
hold_phone port-lost --dtls-port 9 "$PHONE_8443_URL"
tap_ok "the DTLS notice names port 443 for a phone" file_contains \
	"$HE_LOG" "datagrams to port 443 do not arrive; allow UDP port 443 "
tap_ok "and not the listener's port" sh -c \
	"! grep -q 'datagrams to port 8443' '$HE_LOG'"

# A 7962 whose ClientHello has DTLS 1.2 in place of the 0x0100 that its
# CONNECT chose: the server drops such hellos, and the notice names them.
hold_phone wrong-version --dtls-version 1.2 "$PHONE_URL"
tap_ok "the DTLS notice names hellos of another version" file_contains \
	"$HE_LOG" "the client's handshakes had another DTLS version than the \
one its CONNECT chose"

# --- DISCONNECT over DTLS -----------------------------------------------
# goodbye NAME REASON: ping over DTLS, send DISCONNECT with REASON there
# and wait 3 s for the server to close the tunnel. The output goes to
# $HE_TMPDIR/NAME.out, and the exit status to STATUS.
goodbye() {
	OUT="$HE_TMPDIR/$1.out"
	STATUS=0
	phone_emu --dtls --user "$PHONE_USER" --password phone-secret \
		--ping "$INSIDE_ADDR" --dtls-disconnect "$2" --wait-close 3 \
		"$PHONE_URL" >"$OUT" 2>&1 || STATUS=$?
	tap_diag_file "$OUT"
}

goodbye dtls-logout 0xb0
tap_ok "logout over DTLS: the emulator exits 0" test "$STATUS" -eq 0
tap_ok "it sent DISCONNECT 0xb0 over DTLS" out_has \
	'^dtls: sent DISCONNECT with reason 0xb0$'
tap_ok "the server closed the tunnel" out_has '^tunnel: closed by the server'
tap_ok "the session ends" wait_until 5 phone_has_no_session "$PHONE_USER"
tap_ok "the log names the logout over DTLS" file_contains "$HE_LOG" \
	"logged out by the client over DTLS"

# Reason 0x91 (reconnecting) keeps the tunnel: exit status 6.
dtls_down_lines() {
	grep -c 'DTLS is down (the client sent DISCONNECT)' "$HE_LOG" || true
}
downs=$(dtls_down_lines)
goodbye dtls-reconnecting 0x91
tap_ok "DISCONNECT 0x91 over DTLS keeps the tunnel" test "$STATUS" -eq 6
tap_ok "the log says that only DTLS went down" \
	test "$(dtls_down_lines)" -gt "$downs"
# --- Datagrams merged by UDP GRO ----------------------------------------
# A phone sends 40 echo requests as one UDP GSO datagram over DTLS. The
# server's socket receives them as one buffer, as the datagrams of one
# client after a network card's GRO, and must reply to each of them.
gro_datagrams() {
	he_ctl --json show stats | python3 -c "
import json, sys
print(json.load(sys.stdin)['handshakes']['dtls']['gro_datagrams'])"
}
gro0=$(gro_datagrams || echo 0)
OUT="$HE_TMPDIR/burst.out"
phone_emu --dtls --user "$PHONE_USER" --password phone-secret \
	--ping "$INSIDE_ADDR" --dtls-burst 40 "$PHONE_URL" >"$OUT" 2>&1 || true
tap_diag_file "$OUT"
tap_ok "40 requests in one datagram get 40 replies" out_has \
	"^burst: 40 of 40 replies from $INSIDE_ADDR\$"
tap_ok "the server received them merged" test "$(gro_datagrams)" -ge \
	$((gro0 + 40))
tap_done
