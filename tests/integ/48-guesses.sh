#!/bin/bash
# Brute force that does not wait for responses. Guesses for one user sent
# at once reach authd only as often as the ban threshold allows, while
# phones behind one address still log in together. Guesses whose client
# hangs up before the response still count towards a ban, and logins left
# unfinished from many addresses cannot fill the table of logins in
# progress for everyone else.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

GUESSES="$(dirname "$0")/tools/guesses.py"
XMLLOGIN="$(dirname "$0")/tools/xmllogin.py"

guesses() {
	ip netns exec "$NS_CLIENT" python3 "$GUESSES" "$@"
}

# denied_for USER: how many wrong passwords of USER authd has checked.
denied_for() {
	file_count "$HE_LOG" "authd.*user=$1 group=staff result=denied"
}

pair_banned() {
	he_ctl --json show bans | python3 -c '
import json, sys
bans = json.load(sys.stdin)["bans"]
sys.exit(0 if any(b["user"] == sys.argv[1] for b in bans) else 1)' "$1"
}

limits_stat() {
	he_ctl --json show stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["limits"][sys.argv[1]])' "$1"
}

logins_in_progress() {
	he_ctl --json show stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["logins"]["in_progress"])'
}

logins_at_most() {
	test "$(logins_in_progress)" -le "$1"
}

tap_plan 19
he_setup
he_add_user alice alice-secret
# bob's hash takes about half a second to check, so that clients can
# hang up while authd still checks it.
python3 -W ignore -c '
import crypt
print("bob:" + crypt.crypt("bob-secret", "$6$rounds=2000000$bobsalt$"))
' >>"$HE_USERS"
he_write_config
# Only the ban rules decide here, not the per-source share of logins.
echo 'limits = { logins-per-source = 0; };' >>"$HE_CONF"
for i in $(seq 0 39); do
	he_add_user "phone$i" "phone$i-secret"
done
he_start
ip -n "$NS_CLIENT" addr add 198.18.0.23/24 dev veth-c
ip -n "$NS_CLIENT" addr add 198.18.0.24/24 dev veth-c
ip -n "$NS_CLIENT" addr add 198.18.0.20/24 dev veth-c
ip -n "$NS_CLIENT" addr add 198.18.0.21/24 dev veth-c
ip -n "$NS_CLIENT" addr add 198.18.0.22/24 dev veth-c

# Twenty wrong passwords for alice at the same moment: the threshold of
# five failures per address and user lets five reach authd.
out=$(guesses parallel "$CLIENT_ADDR" alice 20)
tap_diag "$out"
wait_until 20 pair_banned alice || true
tap_ok "parallel guesses: only five reach authd" test "$(denied_for alice)" \
	-eq 5
tap_ok "parallel guesses: the pair is banned" pair_banned alice
tap_ok "parallel guesses: the rest waited for a place" test \
	"$(limits_stat logins_waited)" -ge 15

# Forty phones behind one address, more than the address threshold of
# 30, log in at the same moment after a power cut: all get in.
out=$(guesses together 198.18.0.23 phone 40)
tap_diag "$out"
tap_ok "phones behind one address at once: all 40 log in" grep -qx \
	'40 cookie' <<<"$out"

# Twenty phones that share one account behind one address log in at the
# same moment: they wait their turn, five checks at a time, and all get in.
he_add_user shared shared-secret
out=$(guesses shared 198.18.0.24 shared 20)
tap_diag "$out"
tap_ok "one account, twenty phones at once: all log in" grep -qx \
	'20 cookie' <<<"$out"

# With authd stopped, five checks of one user wait for it and three more
# logins wait in the queue. The queued ones get "try again later" after
# 20 s and the others after authd's 30 s, before the connection's 60 s.
# Those timeouts in a row make the parent replace the stuck authd.
authd_pid=$(he_child_pid authd)
authds=$(file_count "$HE_LOG" 'connected to a new authd')
kill -STOP "$authd_pid"
he_add_user stuck stuck-secret
start=$SECONDS
out=$(guesses shared 198.18.0.24 stuck 8)
took=$((SECONDS - start))
kill -CONT "$authd_pid" 2>/dev/null || true
tap_diag "$out (after $took s)"
tap_ok "authd stopped: all eight logins get a response" grep -qx \
	'8 HTTP/1.1 200 OK' <<<"$out"
tap_ok "authd stopped: within 40 s" test "$took" -le 40
tap_ok "authd stopped: the parent replaces it" wait_file_count_above \
	"$HE_LOG" 'connected to a new authd' "$authds" 10

# Guesses whose client closes before authd replies still count.
out=$(guesses hangup 198.18.0.20 bob 8)
tap_diag "$out"
tap_ok "hung-up guesses: the pair is banned" wait_until 20 pair_banned bob
tap_ok "hung-up guesses: no more than five reached authd" test \
	"$(denied_for bob)" -le 5
tap_ok "hung-up guesses: the right password is refused while banned" sh -c \
	"! ip netns exec $NS_CLIENT python3 '$XMLLOGIN' '$VPN_HOSTNAME' \
	/staff /staff bob bob-secret --source 198.18.0.20"

# Ten phones post a wrong password for bob at once and hang up. Five
# checks go to authd and five logins wait in the queue. Nothing can
# resume a phone's login, so the waiting ones end with their connections
# and the others when authd replies.
ip -n "$NS_CLIENT" addr add 198.18.0.25/24 dev veth-c
before=$(logins_in_progress)
waited=$(limits_stat logins_waited)
out=$(guesses phones 198.18.0.25 bob 10)
tap_diag "$out; logins in progress before: $before"
tap_ok "hung-up phones: five of them waited in the queue" test \
	"$(limits_stat logins_waited)" -ge $((waited + 5))
tap_ok "hung-up phones: none of them stays in progress" wait_until 15 \
	logins_at_most "$before"

# Ten thousand unfinished logins, the size of the table, from two
# addresses: a login from a third address still gets in, because the
# oldest unfinished one gives up its place.
started=$(file_count "$HE_LOG" 'login started')
out=$(guesses flood 10200 198.18.0.21 198.18.0.22)
tap_diag "$out"
tap_ok "flood: the table of logins in progress was full" test \
	"$(limits_stat logins_table_full)" -ge 200

# The flood's "login started" lines are logged at most 20 per second,
# and a later one counts those left out.
started=$(( $(file_count "$HE_LOG" 'login started') - started ))
tap_diag "login started lines for 10200 logins: $started"
tap_ok "flood: its log lines are limited" test "$started" -lt 1000
counted='login started: .* line\(s\) like it left out'
counted_before=$(file_count "$HE_LOG" "$counted")
init_counts_skipped() {
	ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" \
		/staff /staff x x --init-only --source 198.18.0.21 \
		>/dev/null 2>&1
	file_count_above "$HE_LOG" "$counted" "$counted_before"
}
tap_ok "flood: a later line counts the lines left out" wait_until 10 \
	init_counts_skipped
he_add_user carol carol-secret
tap_ok "flood: a login from another address completes" \
	ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" \
	/staff /staff carol carol-secret
tap_ok "flood: the log says that a login gave up its place" file_contains \
	"$HE_LOG" 'logins are in progress: ended the oldest that waited'

# A person who takes a while to type the password, while the flood goes
# on: the flooding addresses give up their own logins, not this one.
full=$(limits_stat logins_table_full)
ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" /staff \
	/staff carol carol-secret --wait-file "$HE_TMPDIR/typed" \
	>"$HE_TMPDIR/slow-login.txt" 2>&1 &
slow_pid=$!
table_full_above() {
	test "$(limits_stat logins_table_full)" -gt "$1"
}
wait_until 20 table_full_above "$full" || true
out=$(guesses flood 10200 198.18.0.21 198.18.0.22)
tap_diag "$out"
touch "$HE_TMPDIR/typed"
wait "$slow_pid" || true
tap_diag "$(cat "$HE_TMPDIR/slow-login.txt")"
tap_ok "flood: a slow login from another address completes" grep -qx \
	cookie "$HE_TMPDIR/slow-login.txt"
tap_done
