#!/bin/bash
# The data path. A packet whose source is not the client's leased
# address is dropped and counted. A packet from the inside that exceeds
# the tunnel's data MTU gets ICMP fragmentation-needed. A second headend
# with the same tun.name leaves the running one's device alone. Client-to-client
# traffic is dropped when the group-policy of the sender or of the
# receiver does not allow it.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

# session_field USER FIELD: a field of the user's session, from
# "show session ID"; FIELD may name a member of "drops".
session_field() {
	local id

	id=$(he_ctl --json show sessions user "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["sessions"][0]["id"])')
	he_ctl --json show session "$id" | python3 -c '
import json, sys
se = json.load(sys.stdin)
se = se.get("session", se)
field = sys.argv[1]
print(se["drops"][field] if field in se["drops"] else se[field])
' "$2"
}

# field_at_least USER FIELD N: the user's session counter is >= N.
field_at_least() {
	[ "$(session_field "$1" "$2")" -ge "$3" ]
}

tap_plan 16
he_setup
he_write_config
he_start
he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"
dev=$(tun_device "$NS_CLIENT")
addr=$(session_field alice address)

# A second address on the client's tun device lets ping send a packet
# into the tunnel whose source the headend never leased.
ip -n "$NS_CLIENT" addr add 198.19.0.200/32 dev "$dev"
tap_ok "spoofed source: ping fails" sh -c "! ip netns exec $NS_CLIENT \
	ping -c 2 -W 1 -I 198.19.0.200 $INSIDE_ADDR >/dev/null"
tap_ok "spoofed source: dropped and counted" \
	field_at_least alice spoofed 2
tap_ok "real source still works" he_ping_inside

# A second headend in the same namespace, with its own ports and status
# socket but the same tun.name, must not join the running one's device:
# it would take over its address and routes.
second="$HE_TMPDIR/second.conf"
sed -e "s|^status-socket = .*|status-socket = \"$HE_TMPDIR/second.sock\";|" \
	-e "s|^state-file = .*|state-file = \"$HE_TMPDIR/second-state\";|" \
	-e 's|key = "server.key"; }|key = "server.key"; tcp-port = 8443; udp-port = 8443; }|' \
	"$HE_CONF" >"$second"
rc=0
ip netns exec "$NS_HEADEND" timeout 20 "$HEADEND" -f -c "$second" \
	>"$HE_TMPDIR/second.log" 2>&1 || rc=$?
tap_diag_file "$HE_TMPDIR/second.log"
tap_ok "same tun.name: the second headend does not start" test "$rc" -eq 1
tap_ok "same tun.name: it names the device and the fix" file_contains \
	"$HE_TMPDIR/second.log" 'tun device headend0 already exists, .*set tun.name'
tap_ok "same tun.name: the first one's tunnel still works" he_ping_inside
tap_ok "same tun.name: the second one's status socket is gone" \
	test ! -e "$HE_TMPDIR/second.sock"

mtu=$(ip -n "$NS_CLIENT" -o link show dev "$dev" | grep -Eo 'mtu [0-9]+' |
	cut -d' ' -f2)
tap_diag "tunnel data MTU $mtu"
# Without DF, the headend cuts such packets to the tunnel's MTU, and
# fragments made on the inside link again. These go before the DF ping,
# whose ICMP reply makes the inside host cut its packets itself.
tap_ok "too big without DF: the headend fragments it" \
	ip netns exec "$NS_INSIDE" ping -c 1 -W 2 -M dont -s "$mtu" "$addr"
tap_ok "fragments of the inside link: fragmented again" \
	ip netns exec "$NS_INSIDE" ping -c 1 -W 2 -M dont -s 3000 "$addr"
tap_ok "fragmented packets counted" sh -c "'$HEADENDCTL' -s '$HE_SOCKET' \
	--json show stats | python3 -c '
import json, sys
assert json.load(sys.stdin)[\"traffic\"][\"fragmented\"] >= 3'"

# Larger than the tunnel's MTU, smaller than the inside link's 1500.
out=$(ip netns exec "$NS_INSIDE" ping -c 1 -W 2 -M do -s $((mtu - 20)) \
	"$addr" 2>&1 || true)
tap_diag "$out"
tap_ok "too big from the inside: ICMP fragmentation needed" sh -c \
	"echo '$out' | grep -q 'Frag needed and DF set (mtu = $mtu)'"

# connect_other USER PATH: connect USER (password USER-secret) at PATH
# as another client in the client namespace, and set OTHER to its leased
# address. Both clients share the namespace, so the address is removed
# from it: a packet to it then leaves through alice's tunnel instead of
# looping back.
connect_other() {
	local dev

	he_add_user "$1" "$1-secret"
	oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME$2" "$1" "$1-secret" \
		"$HE_TMPDIR/$1.log"
	wait_until 15 sh -c "'$HEADENDCTL' -s '$HE_SOCKET' --json \
		show sessions | grep -q '\"user\":\"$1\".*\"connected\":true'" ||
		true
	OTHER=$(session_field "$1" address)
	wait_until 15 sh -c "ip -n $NS_CLIENT -o -4 addr show |
		grep -q ' $OTHER/32'" || tap_diag_file "$HE_TMPDIR/$1.log"
	dev=$(ip -n "$NS_CLIENT" -o -4 addr show | awk -v a="$OTHER/32" \
		'$4 == a { print $2 }')
	ip -n "$NS_CLIENT" addr del "$OTHER/32" dev "$dev"
}

connect_other bob /staff
bob=$OTHER
tap_ok "client-to-client off: ping to another client fails" sh -c \
	"! ip netns exec $NS_CLIENT ping -c 2 -W 1 -I $addr $bob >/dev/null"
tap_ok "client-to-client off: dropped and counted" \
	field_at_least alice client_to_client 2
# Staff's policy now allows client-to-client, and a group "closed" does
# not: alice reaches bob, but not carol of the closed group.
he_write_config "" "" "client-to-client = true;"
closed_group="{ name = \"closed\";
	group-urls = [ \"https://vpn.example.net/closed\" ];
	authentication = \"password\"; user-file = \"$HE_USERS\";
	pool = \"staff\"; group-policy = \"closed\"; }, "
python3 - "$HE_CONF" "$closed_group" <<'PY'
import sys
path, group = sys.argv[1], sys.argv[2]
text = open(path).read()
text = text.replace('group-policies = ( {',
                    'group-policies = ( { name = "closed"; }, {', 1)
text = text.replace('tunnel-groups = ( ', 'tunnel-groups = ( ' + group, 1)
open(path, 'w').write(text)
PY
lines=$(wc -l <"$HE_LOG")
kill -HUP "$HE_PID"
wait_until 10 sh -c "tail -n +$((lines + 1)) '$HE_LOG' | grep -q 'reloaded'" ||
	tap_diag_file "$HE_LOG"
# bob's own address is gone from the namespace, so nothing replies to the
# pings there: what counts is that headend sends them to bob's tunnel.
bob_out=$(session_field bob packets_out)
ip netns exec "$NS_CLIENT" ping -c 2 -W 1 -I "$addr" "$bob" >/dev/null ||
	true
tap_ok "client-to-client on: the packets reach the other client" \
	field_at_least bob packets_out "$((bob_out + 2))"

connect_other carol /closed
carol=$OTHER
carol_out=$(session_field carol packets_out)
ip netns exec "$NS_CLIENT" ping -c 2 -W 1 -I "$addr" "$carol" >/dev/null ||
	true
tap_ok "a receiver whose policy forbids it gets no packet" test \
	"$(session_field carol packets_out)" -eq "$carol_out"
tap_ok "and the drops count on the receiver's session" \
	field_at_least carol client_to_client 2
tap_done
