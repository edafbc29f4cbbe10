#!/bin/bash
# Group-url selection. A URL that matches no group-url is rejected with a
# log line naming the path and peer, and there is no fallback group. The
# follow-up POST stays in the group of the first request. A tunnel-group
# named DefaultWEBVPNGroup is a configuration error whose message gives
# the reason.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

tap_plan 19
he_setup
he_write_config
# A second group, for a group-access that names another group than the
# URL does.
lab_group='{ name = "lab"; group-urls = [ "https://vpn.example.net/lab" ];
	authentication = "password"; user-file = "'"$HE_USERS"'";
	pool = "staff"; group-policy = "all"; }'
python3 - "$HE_CONF" "$lab_group" <<'EOF'
import sys
path, group = sys.argv[1:3]
text = open(path).read().rstrip()
assert text.endswith("} );"), "the last setting is not tunnel-groups"
open(path, "w").write(text[:-2] + ", " + group + " );\n")
EOF
he_start

log=$HE_TMPDIR/unknown.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/nosuchgroup" alice \
	alice-secret "$log"
wait_until 15 pid_stopped "$SPAWNED_PID" || true
tap_ok "unknown group-url: openconnect fails" pid_stopped "$SPAWNED_PID"
tap_ok "unknown group-url: no tunnel" sh -c \
	"! ip -n $NS_CLIENT -o link show type tun | grep -q ."
tap_ok "unknown group-url: log names the path and peer" file_contains \
	"$HE_LOG" \
	"peer=${CLIENT_ADDR//./\\.}:[0-9]+: rejected login: no tunnel-group has the group-url https://vpn\\.example\\.net/nosuchgroup"
tap_ok "unknown group-url: log lists the group-urls of the host" \
	file_contains "$HE_LOG" \
	'group-url https://vpn\.example\.net/nosuchgroup \(2 group-url\(s\) on this host: https://vpn\.example\.net/staff, https://vpn\.example\.net/lab\)'

# get_path PATH: a GET of PATH on the headend; prints the status line.
get_path() {
	ip netns exec "$NS_CLIENT" python3 -c '
import socket, ssl, sys
ctx = ssl._create_unverified_context()
raw = socket.create_connection(("198.18.0.1", 443), timeout=10)
conn = ctx.wrap_socket(raw, server_hostname="vpn.example.net")
conn.sendall(b"GET " + sys.argv[1].encode() +
             b" HTTP/1.1\r\nHost: vpn.example.net\r\n\r\n")
print(conn.recv(100).split(b"\r\n")[0].decode())
' "$1"
}
tap_diag "$(get_path /Staff)"
tap_ok "path in another case: log names the group-url" file_contains \
	"$HE_LOG" 'group-url https://vpn\.example\.net/Staff \(paths are case-sensitive: group-url https://vpn\.example\.net/staff differs only in case\)'
tap_diag "$(get_path /)"
tap_ok "no path: log says there is no default group" file_contains \
	"$HE_LOG" 'group-url https://vpn\.example\.net/ \(there is no default group, so clients must give a group-url.s path: 2 on this host'
tap_ok "unknown group-url: counted" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show stats | python3 -c '
import json, sys
assert json.load(sys.stdin)[\"logins\"][\"group_url_rejected\"] >= 1'"

# The host is part of the group-url: the right path on another name
# selects nothing.
log=$HE_TMPDIR/host.log
spawn_in_ns_with_input "$NS_CLIENT" alice-secret openconnect -v \
	--non-inter --passwd-on-stdin --user alice \
	--servercert "$OC_SERVERCERT" \
	--resolve "other.example.net:$HEADEND_OUTSIDE_ADDR" \
	--script "$(oc_script_path)" "https://other.example.net/staff" \
	>"$log" 2>&1
wait_until 15 pid_stopped "$SPAWNED_PID" || true
tap_ok "right path on another host: rejected" file_contains "$HE_LOG" \
	'no tunnel-group has the group-url https://other\.example\.net/staff \(no group-url has the host other\.example\.net'

# group-access names the lab group and the URL the staff group. Neither
# wins, and the response names both.
xmllogin="$(dirname "$0")/tools/xmllogin.py"
out=$(ip netns exec "$NS_CLIENT" python3 "$xmllogin" "$VPN_HOSTNAME" \
	/staff /staff alice alice-secret \
	--group-access "https://$VPN_HOSTNAME/lab" 2>&1 || true)
tap_diag "$out"
staff_url='https://vpn\.example\.net/staff'
lab_url='https://vpn\.example\.net/lab'
tap_ok "group-access and URL disagree: the answer names both" sh -c \
	"echo '$out' | grep -Eq \
	'group chosen \\($lab_url\\) and the VPN address $staff_url belong'"
tap_ok "group-access and URL disagree: logged as such" file_contains \
	"$HE_LOG" \
	"group-access $lab_url and the request URL $staff_url select different"

# The auth-reply goes to "/", as openconnect's does after a group change:
# the signed opaque handle keeps it in the group of the first request.
tap_ok "auth-reply to / stays in the first request's group" \
	ip netns exec "$NS_CLIENT" python3 "$xmllogin" "$VPN_HOSTNAME" /staff / \
	alice alice-secret
tap_ok "group-select of another group: ignored, the login goes on" \
	ip netns exec "$NS_CLIENT" python3 "$xmllogin" "$VPN_HOSTNAME" /staff \
	/staff alice alice-secret --group-select lab
tap_ok "group-select of another group: logged" file_contains "$HE_LOG" \
	'group-select lab ignored: the login stays in tunnel-group staff'
tap_ok "auth-reply with a forged handle signature is rejected" sh -c \
	"! ip netns exec $NS_CLIENT python3 '$xmllogin' '$VPN_HOSTNAME' \
	/staff / alice alice-secret --forge-sig"

# One login handle, its auth-reply sent on several connections at once:
# each gets a response, at most one a cookie, and nothing crashes.
net_pid=$(he_child_pid network)
tap_ok "racing auth-replies, wrong password: all answered" \
	ip netns exec "$NS_CLIENT" python3 "$xmllogin" "$VPN_HOSTNAME" /staff \
	/staff alice wrong --race 4
tap_ok "racing auth-replies, right password: all answered" \
	ip netns exec "$NS_CLIENT" python3 "$xmllogin" "$VPN_HOSTNAME" /staff \
	/staff alice alice-secret --race 4
tap_ok "racing auth-replies: network process still the same" \
	test "$(he_child_pid network)" = "$net_pid" -a -d "/proc/$net_pid"

bad=$HE_TMPDIR/default.conf
sed 's/name = "staff";$/name = "DefaultWEBVPNGroup";/' "$HE_CONF" >"$bad"
tap_ok "DefaultWEBVPNGroup: headend -t fails" sh -c \
	"! '$HEADEND' -t -c '$bad' 2>'$HE_TMPDIR/t.err'"
tap_ok "DefaultWEBVPNGroup: error names the line and the reason" \
	file_contains "$HE_TMPDIR/t.err" \
	"default\.conf:[0-9]+: .*DefaultWEBVPNGroup.*default"
tap_done
