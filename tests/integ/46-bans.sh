#!/bin/bash
# Brute-force bans. Thirty users log in from one address while one of
# them keeps failing, and only that one is banned. The ban is visible
# and removable through the status socket. One address that tries many
# usernames is banned as a whole, other addresses are not, and an
# established session from the banned address keeps running.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

XMLLOGIN="$(dirname "$0")/tools/xmllogin.py"

# login USER PASSWORD [SOURCE]: one XML login; succeeds with a cookie.
login() {
	local src=${3:-$CLIENT_ADDR}

	ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" \
		/staff /staff "$1" "$2" --source "$src" >/dev/null 2>&1
}

bans_json() {
	he_ctl --json show bans
}

# address_ban_listed: show bans lists a ban of the client's whole address.
address_ban_listed() {
	bans_json | python3 -c '
import json, sys
bans = json.load(sys.stdin)["bans"]
whole = [b for b in bans if b["user"] is None]
assert sys.argv[1] in [b["address"] for b in whole], bans' "$CLIENT_ADDR"
}

tap_plan 21
he_setup
for i in $(seq 1 29); do
	he_add_user "phone$i" "phone$i-secret"
done
he_add_user stale right-secret
he_write_config 198.19.0.0/24
# Every attempt below starts a login of its own; lift the per-source cap
# on logins in progress so that only the bans decide.
echo 'limits = { logins-per-source = 0; };' >>"$HE_CONF"
he_start

# The phone with the stale password retries ten times.
for i in $(seq 1 10); do
	login stale old-secret || true
done
ok=0
for i in $(seq 1 29); do
	login "phone$i" "phone$i-secret" && ok=$((ok + 1))
done
tap_diag "$ok of 29 phones behind the same address logged in"
tap_ok "29 other phones behind the address log in" test "$ok" -eq 29
tap_ok "the stale phone is banned, even with the right password" \
	sh -c "! ip netns exec $NS_CLIENT python3 '$XMLLOGIN' \
	'$VPN_HOSTNAME' /staff /staff stale right-secret"
# A reply after the one that the ban refused fails for its own reason,
# and the log gives that reason.
ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" /staff \
	/staff stale right-secret --then-password 'with space' || true
tap_ok "the next reply's failure is logged" file_contains "$HE_LOG" \
	'login failed: user=stale group=staff: Usernames and passwords may not'
tap_ok "show bans lists the pair" sh -c "'$HEADENDCTL' -s '$HE_SOCKET' \
	--json show bans | python3 -c '
import json, sys
bans = json.load(sys.stdin)[\"bans\"]
assert len(bans) == 1, bans
assert bans[0][\"user\"] == \"stale\", bans'"
tap_ok "show bans prints the pair as a table row" bash -c \
	"he_out=\$('$HEADENDCTL' -s '$HE_SOCKET' show bans) &&
	grep -Eq '^$CLIENT_ADDR +stale +[0-9]+ ' <<<\"\$he_out\" &&
	grep -q '^1 ban(s)' <<<\"\$he_out\""
tap_ok "unban lifts it" he_ctl unban "$CLIENT_ADDR"
tap_ok "after unban the right password works" login stale right-secret

# A username with a line separator (U+2028), which some readers split
# lines at: the log escapes it, and the JSON of show bans carries it as
# \u2028, so that the reply stays one line.
odd=$(printf 'x\xe2\x80\xa8y')
for i in $(seq 1 6); do
	login "$odd" wrong || true
done
tap_ok "the log escapes a line separator in a username" file_contains \
	"$HE_LOG" 'user=x\\xe2\\x80\\xa8y'
tap_ok "show bans in JSON writes it as \\u2028" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show bans | grep -qF 'x\\u2028y'"
he_ctl unban "$CLIENT_ADDR" >/dev/null

# An established session keeps running when its address gets banned.
he_connect phone1 phone1-secret "$HE_TMPDIR/oc.log" ||
	tap_diag_file "$HE_TMPDIR/oc.log"
for i in $(seq 1 40); do
	login "guess$i" nothing || true
done
tap_ok "many usernames from one address: the address is banned" \
	sh -c "! ip netns exec $NS_CLIENT python3 '$XMLLOGIN' \
	'$VPN_HOSTNAME' /staff /staff phone2 phone2-secret"
ip -n "$NS_CLIENT" addr add 198.18.0.20/24 dev veth-c
tap_ok "another address is not banned" login phone2 phone2-secret \
	198.18.0.20
tap_ok "the established session from the banned address keeps running" \
	he_ping_inside
tap_ok "bans counted" sh -c "'$HEADENDCTL' -s '$HE_SOCKET' --json \
	show stats | python3 -c '
import json, sys
assert json.load(sys.stdin)[\"limits\"][\"bans_started\"] >= 2'"
# Logins that a ban refused count as logins_banned, not as a backend
# error (authd is fine) or a wrong password.
tap_ok "refused logins count as banned only" sh -c "'$HEADENDCTL' \
	-s '$HE_SOCKET' --json show stats | python3 -c '
import json, sys
stats = json.load(sys.stdin)
failed = stats[\"logins\"][\"failed\"]
assert stats[\"limits\"][\"logins_banned\"] >= 2, stats[\"limits\"]
assert failed[\"backend_error\"] == 0, failed'"

# A network process that the parent starts again keeps the bans.
old_net=$(he_child_pid network)
kill -KILL "$old_net"
wait_until 20 sh -c "grep -Eo 'network\[[0-9]+\]' '$HE_LOG' | tail -n 1 |
	grep -qv '\[$old_net\]'" || true
wait_until 20 he_ctl show stats >/dev/null || true
tap_ok "restarted network process: the address is still banned" \
	sh -c "! ip netns exec $NS_CLIENT python3 '$XMLLOGIN' \
	'$VPN_HOSTNAME' /staff /staff phone2 phone2-secret"
tap_ok "restarted network process: show bans lists the address" \
	address_ban_listed
tap_ok "restarted network process: the log says so" file_contains \
	"$HE_LOG" 'restored [0-9]+ ban\(s\) that an earlier network process'

# A restart of the whole daemon keeps them too, through the ban file.
pid_stop "$HE_PID"
HE_LOG="$HE_TMPDIR/headend-2.log"
he_start
tap_ok "restarted headend: the log names the ban file" file_contains \
	"$HE_LOG" "restored [0-9]+ ban\\(s\\) from $HE_TMPDIR/state.bans"
tap_ok "restarted headend: the address is still banned" \
	sh -c "! ip netns exec $NS_CLIENT python3 '$XMLLOGIN' \
	'$VPN_HOSTNAME' /staff /staff phone2 phone2-secret"
tap_ok "restarted headend: show bans lists the address" address_ban_listed

# Lifting a ban is kept as well: the file is written within a second.
before=$(stat -c %s "$HE_TMPDIR/state.bans")
he_ctl unban "$CLIENT_ADDR" >/dev/null
wait_or_diag 5 "the ban file was written without the address" sh -c \
	"[ \$(stat -c %s '$HE_TMPDIR/state.bans') -lt $before ]"
pid_stop "$HE_PID"
HE_LOG="$HE_TMPDIR/headend-3.log"
he_start
tap_ok "unbanned, then restarted: the address logs in" \
	login phone2 phone2-secret
tap_done
