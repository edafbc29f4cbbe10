#!/bin/bash
# Session persistence. A client that reconnects with its webvpn cookie
# gets the same session and address without a second lease, also after
# its TCP connection was reset from outside, after a reload changed its
# pool's netmask. A second CONNECT closes the
# first connection. DISCONNECT 0x91 (reconnecting) or another reason
# than a logout keeps the session,
# while 0xb0 (logout), openconnect's exit and an XML logout end it, and
# the cookie stops working. A phone's cookie reconnect keeps its address.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

tap_plan 27
phone_setup
he_add_user SEP001122334455 phone-secret
phone_write_config "authentication = \"password\"; user-file = \"$HE_USERS\";" \
	'tls-profile = "phone";'
he_start

# ---- openconnect, and a TCP reset from outside -----------------------------

he_connect alice alice-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
addr=$(lc_field alice address)
id=$(lc_field alice id)
tap_diag "alice: session $id, address $addr"
tap_ok "openconnect: tunnel up" he_ping_inside
# A reload that shrinks the pool changes its netmask. openconnect refuses
# a reconnect that brings another netmask, so the session keeps its own.
sed -i 's|"198.19.0.0/24"|"198.19.0.0/25"|' "$HE_CONF"
he_ctl reload >/dev/null
lc_kill_tcp
tap_ok "TCP reset: openconnect reconnects by itself" \
	wait_until 30 lc_reconnected alice 1
tap_ok "TCP reset: same session" lc_field_is alice id "$id"
tap_ok "TCP reset: same address" lc_field_is alice address "$addr"
tap_ok "TCP reset: no second lease" test "$(lc_pool_used)" -eq 1
tap_ok "TCP reset: traffic flows again" wait_until 10 he_ping_inside

# ---- openconnect's exit sends DISCONNECT 0xb0 ------------------------------

mark=$(lc_log_mark)
pid_stop "$OC_PID"
tap_ok "openconnect exit: session ends" wait_until 10 lc_has_count alice 0
tap_ok "openconnect exit: logged as a logout" \
	lc_log_after "$mark" "user=alice .*session ended \(logged out by the client\)"
tap_ok "openconnect exit: address released" test "$(lc_pool_used)" -eq 0

# ---- a second CONNECT with the cookie takes over ---------------------------

cookie=$(lc_login alice alice-secret)
first=$(lc_connect_address "$cookie")
lc_client connect "$VPN_HOSTNAME" "$cookie" --hold 20 \
	>"$HE_TMPDIR/held.out" 2>&1 &
held=$!
wait_or_diag 10 "the held client got an address" \
	file_contains "$HE_TMPDIR/held.out" '^address='
held_peer=$(grep -E 'user=alice .*tunnel up' "$HE_LOG" | tail -n 1 |
	sed -E 's/.* peer=([^ ]+): .*/\1/')
second=$(lc_connect_address "$cookie")
wait "$held" || true
lc_diag "$(cat "$HE_TMPDIR/held.out")"
tap_ok "new CONNECT: the close names the replaced connection" \
	wait_file_contains "$HE_LOG" \
	"peer=$held_peer: tunnel closed: replaced by a new connection" 5
tap_ok "new CONNECT: the old connection is closed" \
	file_contains "$HE_TMPDIR/held.out" '^closed$'
tap_ok "new CONNECT: same address" test -n "$first" -a "$first" = "$second"
tap_ok "new CONNECT: counted as reconnects" lc_field_is alice reconnects 2

# ---- DISCONNECT 0x91 keeps the session, 0xb0 ends it -----------------------

out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" --disconnect 91)
lc_diag "$out"
tap_ok "0x91: server closes the connection" grep -q '^closed$' <<<"$out"
tap_ok "0x91: session kept, waiting for the client" \
	lc_field_is alice connected false
tap_ok "0x91: reconnect gets the same address" \
	test "$(lc_connect_address "$cookie")" = "$first"
out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" --disconnect 70)
lc_diag "$out"
tap_ok "CONNECT reply has AnyConnect's policy headers" test "$(grep -c \
	-e '^header: X-CSTP-License: accept' \
	-e '^header: X-CSTP-TCP-Keepalive: true' \
	-e '^header: X-CSTP-Smartcard-Removal-Disconnect: true' <<<"$out")" = 3
tap_ok "0x70 (a local error): session kept" \
	lc_field_is alice connected false
tap_ok "0x70: the log gives the reason" file_contains "$HE_LOG" \
	'tunnel closed: client disconnected with reason 0x70'
out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" --disconnect b0)
lc_diag "$out"
tap_ok "0xb0: session ends" wait_until 5 lc_has_count alice 0
out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" 2>&1 || true)
lc_diag "$out"
tap_ok "0xb0: the cookie is rejected" grep -q '^HTTP/1.1 401' <<<"$out"

# ---- XML logout ------------------------------------------------------------

cookie=$(lc_login alice alice-secret)
lc_client logout "$VPN_HOSTNAME" /staff "$cookie" >/dev/null
tap_ok "XML logout: session ends" lc_has_count alice 0
out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" 2>&1 || true)
tap_ok "XML logout: the cookie is rejected" grep -q '^HTTP/1.1 401' <<<"$out"

# ---- a phone reconnects with its cookie ------------------------------------

# The emulator sends DISCONNECT 0xb0 when it exits on its own, so the
# first tunnel stays up until the second CONNECT replaces it, as when a
# phone moves to another network.
out=$(phone_emu --user SEP001122334455 --password phone-secret \
	--show-cookie --step login "$PHONE_URL" 2>&1) || true
phone_cookie=$(sed -n 's/^login: 200 cookie=//p' <<<"$out")
phone_emu --cookie "$phone_cookie" --hold 20 "$PHONE_URL" \
	>"$HE_TMPDIR/phone1.out" 2>&1 &
phone1=$!
wait_until 10 file_contains "$HE_TMPDIR/phone1.out" '^connect: 200' || true
out2=$(phone_emu --cookie "$phone_cookie" --ping "$INSIDE_ADDR" \
	"$PHONE_URL" 2>&1) || true
wait "$phone1" || true
lc_diag "$(cat "$HE_TMPDIR/phone1.out")"
lc_diag "$out2"
phone_addr1=$(grep -Eo '^connect: 200 address=[0-9.]+' \
	"$HE_TMPDIR/phone1.out" || true)
phone_addr2=$(grep -Eo '^connect: 200 address=[0-9.]+' <<<"$out2" || true)
tap_ok "phone: cookie reconnect gets the same address" \
	test -n "$phone_addr1" -a "$phone_addr1" = "$phone_addr2"
tap_ok "phone: the first connection is closed" sh -c \
	"grep '^tunnel: ' '$HE_TMPDIR/phone1.out' | grep -vq 'still up'"
tap_ok "phone: traffic flows after the reconnect" \
	grep -q "^ping: reply from $INSIDE_ADDR" <<<"$out2"

# ---- a split-tunnel policy's CONNECT reply -----------------------------------

sed -i -e 's|group-policies = ( {|group-policies = ( { name = "split"; split-tunnel = "include"; routes = [ "198.18.1.0/24" ]; }, {|' \
	-e '/name = "staff"/,/group-policy/s|group-policy = "all"|group-policy = "split"|' \
	"$HE_CONF"
he_ctl reload >/dev/null
cookie=$(lc_login alice alice-secret)
out=$(lc_client connect "$VPN_HOSTNAME" "$cookie" --disconnect b0)
lc_diag "$out"
tap_ok "split tunnel: the route and DNS policy in the reply" test "$(grep -c \
	-e '^header: X-CSTP-Split-Include: 198\.18\.1\.0/255\.255\.255\.0$' \
	-e '^header: X-CSTP-Tunnel-All-DNS: false$' <<<"$out")" = 2
tap_done
