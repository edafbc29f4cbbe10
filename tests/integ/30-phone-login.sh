#!/bin/bash
# Phone login by password with the phone emulator. The phone dialogue
# runs on a group-url with the exact cookies, and the phone gets an
# address and passes packets through CSTP. Only wrong credentials get
# 401; an authd that fails or does not reply gets 503. Unknown paths are
# rejected, and the same group-url still serves openconnect.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"

tap_plan 25
phone_setup
he_add_user SEP001122334455 'ph%one&pa+ss'
phone_write_config "authentication = \"password\"; user-file = \"$HE_USERS\";" \
	'tls-profile = "phone";' ", { name = \"broken\"; phone = true;
	group-urls = [ \"https://vpn.example.net/BrokenVPN\" ];
	user-file = \"$HE_TMPDIR/missing-users\";
	pool = \"phones\"; group-policy = \"all\"; }"
# A start checks that the file exists; it goes once headend serves, so
# that authd cannot read it at login.
cp "$HE_USERS" "$HE_TMPDIR/missing-users"
he_start
rm "$HE_TMPDIR/missing-users"

# The exact response to the GET, as a phone parses it.
get_headers() {
	ip netns exec "$NS_CLIENT" curl -sk -o /dev/null -D - \
		--resolve "$VPN_HOSTNAME:443:$HEADEND_OUTSIDE_ADDR" \
		-A 'Cisco SVC IPPhone Client v1.0 (1.0)' "$PHONE_URL" | tr -d '\r'
}
headers=$(get_headers)
tap_diag "GET response: $headers"
tap_ok "GET sets the expired webvpn cookie" grep -qxF \
	'Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure' \
	<<<"$headers"
tap_ok "GET sets webvpnlogin=1" grep -qxF 'Set-Cookie: webvpnlogin=1; secure' \
	<<<"$headers"
tap_ok "GET answers 200" grep -qx 'HTTP/1.1 200 OK' <<<"$headers"
tap_ok "GET has X-Transcend-Version" grep -qx 'X-Transcend-Version: 1' \
	<<<"$headers"
tap_ok "GET has Content-Length 0" grep -qx 'Content-Length: 0' <<<"$headers"

# Methods that no VPN client uses get 405, HEAD gets no body, and an
# HTTP/1.1 request without Host gets 400.
http_status() {
	ip netns exec "$NS_CLIENT" curl -sk -o "$HE_TMPDIR/body" \
		-w '%{http_code}' --resolve \
		"$VPN_HOSTNAME:443:$HEADEND_OUTSIDE_ADDR" "$@" "$PHONE_URL" ||
		true
}
tap_ok "DELETE gets 405" test "$(http_status -X DELETE)" = 405
# head_reply: a raw HEAD request; prints the status line
# and how many bytes came after the header block.
head_reply() {
	ip netns exec "$NS_CLIENT" python3 -c '
import socket, ssl, sys
ctx = ssl._create_unverified_context()
s = ctx.wrap_socket(socket.create_connection((sys.argv[1], 443)),
                    server_hostname="vpn.example.net")
s.sendall(b"HEAD /PhoneVPN HTTP/1.1\r\nHost: vpn.example.net\r\n\r\n")
s.settimeout(5)
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except (socket.timeout, ssl.SSLError):
    pass
head, _, rest = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), len(rest))' "$HEADEND_OUTSIDE_ADDR"
}
tap_ok "HEAD gets 200 and no body" test "$(head_reply)" = "HTTP/1.1 200 OK 0"
tap_ok "HTTP/1.1 without Host gets 400" test "$(http_status -H 'Host:')" = 400

out=$(phone_emu --user SEP001122334455 --password 'ph%one&pa+ss' \
	--ping "$INSIDE_ADDR" --count 2 "$PHONE_URL" 2>&1) || true
tap_diag "$out"
tap_ok "7962 logs in by password" grep -q '^login: 200 cookie received' \
	<<<"$out"
tap_ok "7962 gets an address from the phone pool" grep -Eq \
	'^connect: 200 address=198\.19\.1\.[0-9]+ ' <<<"$out"
tap_ok "7962 pings the inside host through CSTP" grep -q \
	"^ping: reply from $INSIDE_ADDR seq=2" <<<"$out"
tap_ok "log names the phone's session" file_contains "$HE_LOG" \
	'user=SEP001122334455 group=phones .*logged in'

# The phone sends DISCONNECT and closes without reading the server's
# last bytes, so its kernel resets the connection. The server must see
# that at once, not keep the socket for the 10 s a slow reader gets.
net_sockets() {
	find "/proc/$(he_child_pid network)/fd" -lname 'socket:*' | wc -l
}
net_sockets_at_most() {
	[ "$(net_sockets)" -le "$1" ]
}
sockets0=$(net_sockets)
phone_emu --user SEP001122334455 --password 'ph%one&pa+ss' \
	--ping "$INSIDE_ADDR" --count 1 "$PHONE_URL" >/dev/null 2>&1 || true
tap_ok "logout: the server lets go of the phone's socket within 3 s" \
	wait_until 3 net_sockets_at_most "$sockets0"

out=$(phone_emu --profile 8841 --user SEP001122334455 \
	--password 'ph%one&pa+ss' --login-tail --ping "$INSIDE_ADDR" \
	"$PHONE_URL" 2>&1) || true
tap_diag "$out"
tap_ok "8841 speaks TLS 1.2" grep -q '^tls: TLSv1.2 ' <<<"$out"
tap_ok "8841 logs in and pings" grep -q '^ping: reply from' <<<"$out"

status=0
out=$(phone_emu --user SEP001122334455 --password wrong "$PHONE_URL" \
	2>&1) || status=$?
tap_diag "$out"
tap_ok "wrong password gets 401" sh -c \
	"[ $status -eq 1 ] && grep -q '^login: 401 Authentication failed'" \
	<<<"$out"

# A phone in certificate mode sends an empty POST to this password group.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	-subj "/CN=CP-8841-SEP001122334455" -keyout "$HE_TMPDIR/mic.key" \
	-out "$HE_TMPDIR/mic.crt" 2>/dev/null
out=$(phone_emu --cert-mode --cert "$HE_TMPDIR/mic.crt" \
	--key "$HE_TMPDIR/mic.key" "$PHONE_URL" 2>&1) || true
tap_diag "$out"
tap_ok "certificate mode on a password group: the log says so" \
	wait_file_contains "$HE_LOG" 'phone POST without a username or a password, as a phone in certificate mode sends, but tunnel-group [a-z]+ takes passwords' 5

# A phone whose certHash matches no certificate of the server closes
# the connection after the handshake, without a request.
out=$(ip netns exec "$NS_CLIENT" "$PHONE_EMU" --connect \
	"$HEADEND_OUTSIDE_ADDR" --cert-hash AAAAvSLQGMKfApZFmpXLQQLeQ4s= \
	--user SEP001122334455 --password phone-secret "$PHONE_URL" 2>&1) ||
	true
tap_diag "$out"
tap_ok "wrong certHash: the log names the likely cause" \
	wait_file_contains "$HE_LOG" 'closed by the client after the TLS handshake, before any request \(1 so far\): a phone does this when the server certificate matches none of its certHash pins' 5
tap_ok "wrong certHash: counted" sh -c "'$HEADENDCTL' -s '$HE_SOCKET' \
	--json show stats | python3 -c '
import json, sys
tls = json.load(sys.stdin)[\"handshakes\"][\"tls\"]
assert tls[\"closed_before_request\"] == 1, tls'"

status=0
out=$(phone_emu --user SEP001122334455 --password x \
	"https://$VPN_HOSTNAME/svc" 2>&1) || status=$?
tap_diag "$out"
tap_ok "unknown path is rejected, not defaulted" sh -c \
	"[ $status -eq 3 ] && grep -q '^get: 404'" <<<"$out"

status=0
out=$(phone_emu --user SEP001122334455 --password 'ph%one&pa+ss' \
	"https://$VPN_HOSTNAME/BrokenVPN" 2>&1) || status=$?
tap_diag "$out"
tap_ok "authd error gets 503, not 401" sh -c \
	"[ $status -eq 3 ] && grep -q '^login: 503'" <<<"$out"
tap_ok "authd error is logged as such" file_contains "$HE_LOG" \
	'phone login of user=SEP001122334455 group=broken could not be checked'

# A stopped authd never replies. The network process gives up after its
# timeout, and the phone must still not see 401.
authd=$(he_child_pid authd)
kill -STOP "$authd"
status=0
out=$(phone_emu --timeout 40 --user SEP001122334455 \
	--password 'ph%one&pa+ss' "$PHONE_URL" 2>&1) || status=$?
kill -CONT "$authd"
tap_diag "$out"
tap_ok "stopped authd gets 503, not 401" sh -c \
	"[ $status -eq 3 ] && grep -q '^login: 503'" <<<"$out"

oc_connect "$NS_CLIENT" "$PHONE_URL" SEP001122334455 'ph%one&pa+ss' \
	"$HE_TMPDIR/oc-phone.log"
tap_ok "openconnect logs in on the phone group-url" wait_until 15 \
	he_tunnel_ready
tap_ok "openconnect's tunnel carries packets" he_ping_inside
tap_done
