#!/bin/bash
# Password login with the real openconnect client: the tunnel comes up,
# a ping crosses it to the inside host, the status socket lists the
# session, and the network process does not run as root. The traffic
# totals do not fall when the session ends. A login whose connection was
# rejected with "Connection: close" while authd checked the password
# gets no session.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

tap_plan 13
he_setup
he_write_config
he_start

he_connect alice alice-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
tap_ok "openconnect brings the tunnel up" tun_has_address "$NS_CLIENT"
tap_ok "ping crosses the tunnel to the inside host" he_ping_inside

sessions=$(he_ctl --json show sessions)
tap_diag "status: $sessions"
tap_ok "status lists alice in group staff" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["sessions"]
assert len(s) == 1, "one session"
assert s[0]["user"] == "alice", "user"
assert s[0]["group"] == "staff", "group"
assert s[0]["address"] == "198.19.0.1", "address"
assert s[0]["bytes_in"] > 0, "bytes_in"
' "$sessions"
tap_ok "headendctl prints a table" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' show sessions | grep -q alice"
tap_ok "the table says that alice's client is connected" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' show sessions |
	awk '\$2 == \"alice\" { print \$6 }' | grep -qx yes"

net_pid=$(he_child_pid network)
tap_ok "network process is not uid 0" sh -c \
	"awk '/^Uid:/ { exit !(\$2 != 0 && \$3 != 0 && \$4 != 0) }' \
	/proc/$net_pid/status"
tap_ok "log names session, user, group and peer" file_contains "$HE_LOG" \
	"session=[0-9]+ user=alice group=staff peer=${CLIENT_ADDR//./\\.}:[0-9]+: .*tunnel up"
tap_ok "unknown inside address is not reachable" sh -c \
	"! ip netns exec '$NS_CLIENT' ping -c 1 -W 1 198.18.5.5 >/dev/null"

# The traffic totals are counters: they must not fall when a session
# ends, also before its worker has closed the tunnel. One connection
# reads them, logs alice off and reads them again at once.
totals_keep() {
	python3 - "$HE_SOCKET" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stats\nlogoff user alice\nshow stats\n")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
before, logoff, after = [json.loads(line) for line in data.splitlines()]
print("before", before["traffic"], "after", after["traffic"])
assert "error" not in logoff, logoff
for key in ("bytes_in", "bytes_out", "packets_in", "packets_out"):
    assert before["traffic"][key] > 0, key
    assert after["traffic"][key] >= before["traffic"][key], key
PY
}
tap_ok "the totals do not fall when a session ends" totals_keep

# A request sent before the response to an auth-reply gets 400 with
# "Connection: close". A client that reads nothing keeps the responses
# in headend, so the 400 waits in the queue while authd, stopped for
# that moment, checks the password. The login must then end without a
# response.
he_add_user carol carol-secret
authd_pid=$(he_child_pid authd)
out=$(ip netns exec "$NS_CLIENT" python3 \
	"$(dirname "$0")/tools/busyreject.py" "$VPN_HOSTNAME" /staff \
	carol carol-secret "$authd_pid" "$NS_HEADEND" 2>&1) || true
tap_diag "$out"
tap_ok "the 400 waited in headend while authd checked" grep -qx \
	'connection held while authd checked: True' <<<"$out"
tap_ok "no cookie follows the 400 on that connection" grep -q \
	'^400 seen: True; cookies after it: 0$' <<<"$out"
tap_ok "and the login got no session" sh -c \
	"! grep -q 'user=carol .*logged in' '$HE_LOG'"
# An XML login's init request with "Connection: close" gets its
# response, and then the server closes the connection at once, not at
# the idle timeout.
out=$(ip netns exec "$NS_CLIENT" python3 - "$VPN_HOSTNAME" <<'PY' 2>&1
import socket, ssl, sys, time
host = sys.argv[1]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = ctx.wrap_socket(socket.create_connection(('198.18.0.1', 443),
                                                timeout=5),
                       server_hostname=host)
body = ('<?xml version="1.0" encoding="UTF-8"?>\n<config-auth client="vpn" '
        'type="init" aggregate-auth-version="2"><version who="vpn">test'
        '</version><group-access>https://{}/staff</group-access>'
        '</config-auth>').format(host).encode()
conn.sendall(('POST /staff HTTP/1.1\r\nHost: {}\r\nX-Aggregate-Auth: 1\r\n'
              'X-Transcend-Version: 1\r\nContent-Type: application/xml\r\n'
              'Connection: close\r\nContent-Length: {}\r\n\r\n').format(
                  host, len(body)).encode() + body)
data, start = b'', time.monotonic()
try:
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
except (socket.timeout, ssl.SSLError, OSError) as err:
    print('no close:', err)
head = data.split(b'\r\n\r\n', 1)[0].decode(errors='replace')
print(head.splitlines()[0] if head else 'no response')
print('closed with Connection: close' if 'Connection: close' in head and
      time.monotonic() - start < 5 else 'kept open')
PY
)
tap_diag "$out"
tap_ok "Connection: close closes after the response" grep -qx \
	'closed with Connection: close' <<<"$out"
tap_done
