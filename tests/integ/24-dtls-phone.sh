#!/bin/bash
# DTLS selection for Cisco IP phones, which resume legacy DTLS with the
# suite of their TLS connection whatever the server names. A phone gets
# the DTLS suite equal to its TLS suite. A phone whose list lacks that
# suite gets no DTLS at all, and the log says why. The phone is a CONNECT
# request written by hand (User-Agent, headers and TLS suite of a phone)
# with the cookie of an openconnect login.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

SECRET=$(printf '%096d' 42)

tap_plan 9
he_setup
dtls_write_config 'tls-max-version = "1.2";
	tls12-ciphers = "AES256-SHA:AES128-SHA";'
dtls_start

cookie=$(ip netns exec "$NS_CLIENT" openconnect --authenticate --non-inter \
	--passwd-on-stdin --user alice --servercert "$OC_SERVERCERT" \
	--resolve "$VPN_HOSTNAME:$HEADEND_OUTSIDE_ADDR" \
	"https://$VPN_HOSTNAME/staff" <<<alice-secret 2>/dev/null |
	sed -n "s/^COOKIE='.*webvpn=\([0-9a-f]*\).*/\1/p")
tap_ok "openconnect logs in and prints the cookie" test -n "$cookie"

# phone_connect DTLS-CIPHERS: send a phone's CONNECT over TLS 1.2 with
# AES256-SHA and print the reply's header block.
phone_connect() {
	ip netns exec "$NS_CLIENT" python3 - "$HEADEND_OUTSIDE_ADDR" \
		"$VPN_HOSTNAME" "$cookie" "$SECRET" "$1" <<'PY'
import socket, ssl, sys

addr, host, cookie, secret, ciphers = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_ciphers("AES256-SHA")
with socket.create_connection((addr, 443), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall((
            "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "User-Agent: Cisco SVC IPPhone Client v1.0 (1.0)\r\n"
            f"Cookie: webvpn={cookie}\r\n"
            "X-CSTP-Version: 1\r\n"
            "X-CSTP-Hostname: SEP001122334455\r\n"
            "X-CSTP-MTU: 1290\r\n"
            "X-CSTP-Address-Type: IPv4\r\n"
            f"X-DTLS-Master-Secret: {secret}\r\n"
            f"X-DTLS-CipherSuite: {ciphers}\r\n\r\n").encode())
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = tls.recv(4096)
            if not chunk:
                break
            reply += chunk
print(reply.split(b"\r\n\r\n")[0].decode())
PY
}

# reply_has REGEX: the last reply has a line that matches.
reply_has() {
	printf '%s\n' "$reply" | tr -d '\r' | grep -Eq "$1"
}

reply_lacks() {
	! reply_has "$1"
}

reply=$(phone_connect AES128-SHA:DES-CBC3-SHA:DES-CBC-SHA)
printf '%s\n' "$reply" | tap_diag_stdin
tap_ok "phone without its TLS suite: CONNECTED" \
	reply_has '^HTTP/1.1 200 CONNECTED'
tap_ok "and no DTLS headers" reply_lacks '^X-DTLS'
tap_ok "log says why" file_contains "$HE_LOG" \
	"no DTLS.*: the phone's DTLS cipher lists lack its TLS suite AES256-SHA"

reply=$(phone_connect AES128-SHA:AES256-SHA:DES-CBC3-SHA)
printf '%s\n' "$reply" | tap_diag_stdin
tap_ok "phone with its TLS suite gets that suite" \
	reply_has '^X-DTLS-CipherSuite: AES256-SHA$'
tap_ok "a 32-byte session id" reply_has '^X-DTLS-Session-ID: [0-9A-F]{64}$'
tap_ok "UDP port 443" reply_has '^X-DTLS-Port: 443$'
tap_ok "the phone's MTU caps the data MTU" reply_has '^X-CSTP-MTU: 1290$'
tap_ok "X-DTLS-MTU equals X-CSTP-MTU" reply_has '^X-DTLS-MTU: 1290$'
tap_done
