#!/bin/bash
# Address choice in a small pool (198.19.0.1 to .6) where alice has the
# static address .3. Alice always gets .3, and no other user gets it,
# even when it is the last free address. A user who logs in again gets
# the previous address while it is free, although a lower one is free.
# A reload that gives a user an address in use by another user's session
# warns, and the address is the user's once that session ends. A static
# address outside the pool is a configuration error.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/lifecycle-lib.sh"

STATIC=198.19.0.3

# login USER: an XML login of USER, whose cookie goes to COOKIES.
login() {
	COOKIES[$1]=$(lc_login "$1" "$1-secret")
}

logout() {
	lc_client logout "$VPN_HOSTNAME" /staff "${COOKIES[$1]}" >/dev/null
}

tap_plan 16
he_setup
for user in bob carol dave eve frank gina; do
	he_add_user "$user" "$user-secret"
done
declare -A COOKIES
he_write_config 198.19.0.0/29 "user-file = \"$HE_USERS\";
	static-addresses = ( { user = \"alice\"; address = \"$STATIC\"; } );"
he_start

# ---- the static address ----------------------------------------------------

he_connect alice alice-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
tap_ok "static: openconnect gets alice's address" \
	file_contains "$HE_TMPDIR/oc.log" "X-CSTP-Address: $STATIC\$"
tap_ok "static: traffic flows" he_ping_inside
tap_ok "static: logged as the static address" file_contains "$HE_LOG" \
	"user=alice .*address $STATIC leased from pool staff \(the user's static"
tap_ok "static: show pools counts it" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show pools | python3 -c '
import json, sys
assert json.load(sys.stdin)[\"pools\"][0][\"static\"] == 1'"
pid_stop "$OC_PID"

# ---- sticky addresses ------------------------------------------------------

login carol
login bob
carol=$(lc_field carol address)
bob=$(lc_field bob address)
tap_diag "carol $carol, bob $bob"
logout bob
logout carol
login bob
tap_ok "sticky: bob gets his previous address, not the lowest" \
	test "$(lc_field bob address)" = "$bob" -a "$bob" != 198.19.0.1
login carol
tap_ok "sticky: so does carol" lc_field_is carol address "$carol"

# ---- no other user gets the static address ---------------------------------

for user in dave eve frank; do
	login "$user"
	tap_diag "$user $(lc_field "$user" address)"
done
tap_ok "dynamic leases skip the static address" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show sessions | python3 -c '
import json, sys
sessions = json.load(sys.stdin)[\"sessions\"]
assert len(sessions) == 5, sessions
assert all(s[\"address\"] != \"$STATIC\" for s in sessions), sessions'"
out=$(lc_client login "$VPN_HOSTNAME" /staff gina gina-secret) || true
lc_diag "$out"
tap_ok "pool full but for the static address: login rejected" \
	grep -q '^message: No address is free in pool staff' <<<"$out"
login alice
tap_ok "alice still gets her static address" \
	lc_field_is alice address "$STATIC"
tap_ok "the pool is now full" test "$(lc_pool_used)" -eq 6

# ---- a reload gives gina the address of dave's session ---------------------

dave=$(lc_field dave address)
dave_id=$(lc_field dave id)
he_write_config 198.19.0.0/29 "user-file = \"$HE_USERS\";
	static-addresses = ( { user = \"alice\"; address = \"$STATIC\"; },
		{ user = \"gina\"; address = \"$dave\"; } );"
rc=0
out=$(he_ctl reload 2>&1) || rc=$?
tap_diag "headendctl reload: exit $rc: $out"
tap_ok "static address held by a session: reload accepted" test "$rc" -eq 0
want='^reload applied: the configuration was re-read, with [1-9][0-9]*'
want+=' warning\(s\) logged meanwhile'
tap_ok "headendctl reload counts the network process's warning" grep -qE \
	"$want" <<<"$out"
tap_ok "the reload warns with the session to end" file_contains "$HE_LOG" \
	"static address $dave of user \"gina\" is held by the session of user \"dave\", .*logoff id $dave_id\""
logout dave
login gina
tap_ok "once dave's session ends, gina gets her static address" \
	lc_field_is gina address "$dave"

# ---- a static address outside the pool -------------------------------------

bad="$HE_TMPDIR/bad.conf"
sed "s/address = \"$STATIC\"/address = \"198.19.0.9\"/" "$HE_CONF" >"$bad"
line=$(grep -n 'address = "198.19.0.9"' "$bad" | cut -d: -f1)
out=$("$HEADEND" -t -c "$bad" 2>&1) || true
lc_diag "$out"
tap_ok "outside the pool: headend -t fails" sh -c \
	"! '$HEADEND' -t -c '$bad' >/dev/null 2>&1"
tap_ok "outside the pool: the error names file, line and pool" grep -qF \
	"$bad:$line: static address 198.19.0.9 of user \"alice\" in tunnel-group \"staff\" is outside pool \"staff\"" \
	<<<"$out"
tap_done
