#!/bin/bash
# Reload by SIGHUP and by headendctl reload. A file with errors is
# rejected with every error logged and the running configuration stays.
# A new tunnel-group takes logins at once while the existing session runs
# on. A removed group and a shrunk pool keep their session and its
# address, and a change that needs a restart is named in the log.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

XMLLOGIN="$(dirname "$0")/tools/xmllogin.py"

STAFF_POOL='{ name = "staff"; network = "198.19.0.0/24"; }'
SHRUNK_POOL='{ name = "staff"; range = "198.19.0.100-198.19.0.200"; }'
GUESTS_POOL='{ name = "guests"; network = "198.19.1.0/24"; }'
STAFF_GROUP='{ name = "staff";
	group-urls = [ "https://vpn.example.net/staff" ];
	authentication = "password"; user-file = "'"$HE_USERS"'";
	pool = "staff"; group-policy = "all"; }'
TUNNET_POOL='{ name = "tunnet"; network = "198.19.255.0/29"; }'
TUNNET_GROUP='{ name = "tunnet";
	group-urls = [ "https://vpn.example.net/tunnet" ];
	authentication = "password"; user-file = "'"$HE_USERS"'";
	pool = "tunnet"; group-policy = "all"; }'
GUESTS_GROUP='{ name = "guests";
	group-urls = [ "https://vpn.example.net/guests" ];
	authentication = "password"; user-file = "'"$HE_USERS"'";
	pool = "guests"; group-policy = "all"; }'

# write_config POOLS GROUPS [TUN-NAME [TUN-ADDRESS]]: a configuration
# with the given pool and tunnel-group lists.
write_config() {
	cat >"$HE_CONF" <<CONF
user = "headend";
status-socket = "$HE_SOCKET";
workers = $HE_WORKERS;
state-file = "$HE_TMPDIR/state";
listeners = ( { certificate = "server.crt"; key = "server.key"; } );
tun = { name = "${3:-headend0}"; address = "${4:-198.19.255.1}"; };
pools = ( $1 );
group-policies = ( { name = "all"; dns = [ "198.19.255.1" ]; } );
tunnel-groups = ( $2 );
CONF
}

# log_after LINES REGEX: whether a log line after the first LINES matches.
log_after() {
	tail -n "+$(($1 + 1))" "$HE_LOG" | grep -Eq -- "$2"
}

# reload_and_wait REGEX: send SIGHUP and wait for a new matching line.
reload_and_wait() {
	local lines

	lines=$(wc -l <"$HE_LOG")
	kill -HUP "$HE_PID"
	wait_until 10 log_after "$lines" "$1"
}

# route_present NET/PREFIX: the headend routes exactly that block.
route_present() {
	ip -n "$NS_HEADEND" -o route show "$1" | grep -q .
}

# session_listed ID USER GROUP ADDRESS: whether show sessions has it.
session_listed() {
	he_ctl --json show sessions | python3 -c '
import json, sys
want = [int(sys.argv[1])] + sys.argv[2:]
for s in json.load(sys.stdin)["sessions"]:
    if [s["id"], s["user"], s["group"], s["address"]] == want:
        sys.exit(0)
sys.exit(1)
' "$@"
}

alice_id() {
	he_ctl --json show sessions | python3 -c '
import json, sys
print([s["id"] for s in json.load(sys.stdin)["sessions"]
       if s["user"] == "alice"][0])'
}

xml_login() {
	ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" \
		"$1" "$1" bob bob-secret
}

# add_slow_user: carol, whose password hash takes about a second to
# check, so that a reload can come while authd checks it.
add_slow_user() {
	python3 -W ignore -c '
import crypt, sys
print("carol:" + crypt.crypt("carol-secret", "$6$rounds=4000000$carolsalt$"))
' >>"$HE_USERS"
}

# tls_succeeded: the TLS handshakes that succeeded, from show stats.
tls_succeeded() {
	he_ctl --json show stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["handshakes"]["tls"]["succeeded"])'
}

tap_plan 56
he_setup
he_add_user bob bob-secret
add_slow_user
write_config "$STAFF_POOL" "$STAFF_GROUP"
he_start
he_connect alice alice-secret "$HE_TMPDIR/alice.log" ||
	tap_diag_file "$HE_TMPDIR/alice.log"
alice=$(alice_id)

# A file with two errors: both are logged, nothing changes.
sed -i 's/^user = "headend";/user = "headend";\nbogus-one = 1;/;
	s/pool = "staff"; group-policy/pool = "nosuch"; group-policy/' \
	"$HE_CONF"
tap_ok "broken file: reload is rejected" reload_and_wait \
	'reload of .* rejected with 2 error'
tap_ok "broken file: the unknown setting is logged" file_contains \
	"$HE_LOG" 'headend\.conf:[0-9]+: unknown setting "bogus-one"'
tap_ok "broken file: the unknown pool is logged" file_contains "$HE_LOG" \
	'headend\.conf:[0-9]+: unknown pool "nosuch"'
tap_ok "broken file: the session passes packets" he_ping_inside
tap_ok "broken file: the running group still takes logins" xml_login \
	/staff
rc=0
out=$(he_ctl reload 2>&1) || rc=$?
tap_diag "headendctl reload: exit $rc: $out"
tap_ok "broken file: headendctl reload fails" test "$rc" -eq 1
tap_ok "broken file: headendctl says the file was rejected" \
	grep -q '^reload rejected: the file has errors' <<<"$out"
tap_ok "broken file: headendctl names the file for headend -t" \
	grep -qF "\"headend -t -c $HE_CONF\" prints" <<<"$out"
tap_ok "show reload gives that request's outcome" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show reload 1 |
	grep -q '\"reload\":\"rejected\"'"
rc=0
he_ctl show reload abc >/dev/null 2>&1 || rc=$?
tap_ok "show reload with an id that is not a number: usage error" \
	test "$rc" -eq 2

# A user file that does not exist fails the same check as headend -t.
write_config "$STAFF_POOL" "${STAFF_GROUP/$HE_USERS/$HE_TMPDIR/nousers}"
tap_ok "missing user file: reload is rejected" reload_and_wait \
	'reload of .* rejected with 1 error'
tap_ok "missing user file: the log says how to create it" file_contains \
	"$HE_LOG" "user file $HE_TMPDIR/nousers of tunnel-group \"staff\" does not exist: create it"
tap_ok "missing user file: the running group still takes logins" \
	xml_login /staff
write_config "$STAFF_POOL" "$STAFF_GROUP"

# An account that does not exist fails the same check as headend -t,
# although a new user takes effect only after a restart.
sed -i 's/^user = "headend";/user = "nosuchuser";/' "$HE_CONF"
tap_ok "missing account: reload is rejected" reload_and_wait \
	'reload of .* rejected with 1 error'
tap_ok "missing account: the log names it" file_contains "$HE_LOG" \
	'user "nosuchuser" does not exist'
write_config "$STAFF_POOL" "$STAFF_GROUP"

# A new state-file takes effect only after a restart, so a user file at
# the running state file's path is checked against that one.
write_config "$STAFF_POOL" "${STAFF_GROUP/$HE_USERS/$HE_TMPDIR/state}"
sed -i "s|^state-file = .*|state-file = \"$HE_TMPDIR/state2\";|" "$HE_CONF"
tap_ok "user file at the running state file: reload is rejected" \
	reload_and_wait 'reload of .* rejected'
tap_ok "user file at the running state file: the log says why" \
	file_contains "$HE_LOG" \
	"state-file $HE_TMPDIR/state is also the user file of a tunnel-group"
write_config "$STAFF_POOL" "$STAFF_GROUP"

# A FIFO named as the certificate is refused at once, not waited on,
# so the parent keeps serving.
mkfifo "$HE_TMPDIR/cert.fifo"
sed -i "s|certificate = \"server.crt\"|certificate = \"$HE_TMPDIR/cert.fifo\"|" \
	"$HE_CONF"
tap_ok "FIFO as certificate: reload is rejected" reload_and_wait \
	'reload of .* rejected'
tap_ok "FIFO as certificate: the log says why" file_contains "$HE_LOG" \
	"cannot load certificate $HE_TMPDIR/cert.fifo: not a regular file"
write_config "$STAFF_POOL" "$STAFF_GROUP"

# A malformed line fails only its user's logins, so a reload goes on and
# the log warns about the line.
cp "$HE_USERS" "$HE_TMPDIR/users.good"
echo 'broken line' >>"$HE_USERS"
tap_ok "malformed user line: the reload applies" reload_and_wait \
	"reloaded $HE_CONF"
tap_ok "malformed user line: the log warns about it" file_contains \
	"$HE_LOG" "warning: .*$HE_USERS:[0-9]+: invalid line, it has no ':'"
cp "$HE_TMPDIR/users.good" "$HE_USERS"

# A new tunnel-group, through headendctl this time.
write_config "$STAFF_POOL, $GUESTS_POOL" "$STAFF_GROUP, $GUESTS_GROUP"
lines=$(wc -l <"$HE_LOG")
handshakes=$(tls_succeeded)
tap_ok "headendctl reload is accepted" he_ctl reload
tap_ok "new group: the network process applies it" wait_until 10 \
	log_after "$lines" "reloaded $HE_CONF"
tap_ok "the TLS handshake count survives the reload" \
	test "$(tls_succeeded)" -ge "$handshakes" -a "$handshakes" -gt 0
tap_ok "new group: with it, it switches to the new authd" log_after \
	"$lines" 'connected to the authd of the new configuration'
tap_ok "new group: a login to its group-url works" xml_login /guests
tap_ok "new group: the login leases from its pool" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show sessions |
	grep -q '\"group\":\"guests\",\"address\":\"198\.19\.1\.1\"'"
tap_ok "new group: alice's session is untouched" session_listed \
	"$alice" alice staff 198.19.0.1
tap_ok "new group: the session passes packets" he_ping_inside

# Two reloads while authd checks a password: the replaced authd still
# completes that check, then ends, as does the one between them.
lines=$(wc -l <"$HE_LOG")
ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" /staff \
	/staff carol carol-secret >"$HE_TMPDIR/carol.out" 2>&1 &
carol_login=$!
wait_until 10 log_after "$lines" 'login started: group=staff' || true
tap_ok "slow check: the reload during it applies" reload_and_wait \
	"reloaded $HE_CONF"
tap_ok "slow check: a second reload during it applies" reload_and_wait \
	"reloaded $HE_CONF"
carol_rc=0
wait "$carol_login" || carol_rc=$?
tap_ok "slow check: the login completes" test "$carol_rc" -eq 0 ||
	tap_diag_file "$HE_TMPDIR/carol.out"
tap_ok "slow check: the replaced authd ends" wait_until 10 \
	sh -c "[ \"\$(pgrep -P $HE_PID | wc -l)\" -eq 2 ]"

# Remove the staff group, shrink its pool away from alice's address and
# rename the tun device, which needs a restart. A login to the staff
# group is half done: its password comes after the reload.
lines=$(wc -l <"$HE_LOG")
ip netns exec "$NS_CLIENT" python3 "$XMLLOGIN" "$VPN_HOSTNAME" /staff \
	/staff alice alice-secret --wait-file "$HE_TMPDIR/go" \
	>"$HE_TMPDIR/late.out" 2>&1 &
late_login=$!
wait_until 10 log_after "$lines" 'login started: group=staff' || true
write_config "$SHRUNK_POOL, $GUESTS_POOL" "$GUESTS_GROUP" renamed0
tap_ok "removed group: the reload applies" reload_and_wait \
	"reloaded $HE_CONF|reload of .* (rejected|failed)"
touch "$HE_TMPDIR/go"
wait "$late_login" || true
tap_diag_file "$HE_TMPDIR/late.out"
tap_ok "removed group: a login begun before ends with 404" \
	grep -q '^HTTP/1.1 404' "$HE_TMPDIR/late.out"
tap_ok "removed group: the log says why" file_contains "$HE_LOG" \
	'login ended: a reload removed its tunnel-group staff'
tap_ok "removed group: it is kept for its session" file_contains \
	"$HE_LOG" '1 retired one\(s\) kept for their sessions, 1 retired pool'
tap_ok "removed group: the session passes packets" he_ping_inside
tap_ok "removed group: alice keeps group and address" session_listed \
	"$alice" alice staff 198.19.0.1
tap_ok "shrunk pool: show pools marks the retired one" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' show pools | grep -Eq '^ *staff .* yes *\$'"
tap_ok "shrunk pool: the retired one offers no free address" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' --json show pools | python3 -c '
import json, sys
pools = [p for p in json.load(sys.stdin)[\"pools\"] if p[\"retired\"]]
assert pools and all(p[\"free\"] == 0 for p in pools), pools'"
tap_ok "shrunk pool: the metrics keep the two apart" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' metrics |
	grep -q '^headend_pool_addresses{pool=\"staff (retired [0-9]*)\"}'"
tap_ok "tun rename is named as needing a restart" file_contains \
	"$HE_LOG" \
	'tun name changed from headend0 to renamed0, .* only after a restart'

# A new tun address waits for a restart, and a new pool that takes in
# the running one must not lease it: the headend still uses it.
write_config "$SHRUNK_POOL, $GUESTS_POOL, $TUNNET_POOL" \
	"$GUESTS_GROUP, $TUNNET_GROUP" renamed0 198.19.255.6
tap_ok "moved tun address: the reload applies" reload_and_wait \
	"reloaded $HE_CONF|reload of .* (rejected|failed)"
tap_ok "moved tun address: a login to the new pool" xml_login /tunnet
tunnet_addr=$(he_ctl --json show sessions | python3 -c '
import json, sys
print([s["address"] for s in json.load(sys.stdin)["sessions"]
       if s["group"] == "tunnet"][0])')
tap_diag "leased in tunnet: $tunnet_addr"
tap_ok "moved tun address: the running one is not leased" test \
	"$tunnet_addr" = 198.19.255.2

# The route of the staff pool's old /24 stays while sessions use its
# addresses, and goes when the last one ends. The shrunk range keeps its
# own routes.
tap_ok "shrunk pool: the old route stays for its sessions" \
	route_present 198.19.0.0/24
he_ctl logoff group staff >/dev/null
tap_ok "shrunk pool: the old route goes with the last session" \
	wait_until 10 sh -c "! ip -n '$NS_HEADEND' -o route show \
	198.19.0.0/24 | grep -q ."
tap_ok "shrunk pool: the log names the deleted route" file_contains \
	"$HE_LOG" 'deleted the route of 198\.19\.0\.0/24 from headend0'
tap_ok "shrunk pool: the new range is still routed" \
	route_present 198.19.0.128/26

# SIGUSR1 and SIGUSR2, which other daemons take to reopen their logs,
# are logged and change nothing.
kill -USR1 "$HE_PID"
kill -USR2 "$HE_PID"
tap_ok "SIGUSR1 is logged as unused" wait_file_contains "$HE_LOG" \
	'received SIGUSR1, which headend does not use' 5
tap_ok "SIGUSR2 is logged as unused" wait_file_contains "$HE_LOG" \
	'received SIGUSR2, which headend does not use' 5
tap_ok "headend still runs after them" pid_running "$HE_PID"
# A script may send them to every process named headend.
net=$(he_child_pid network)
authd=$(he_child_pid authd)
kill -USR1 "$net" "$authd"
kill -USR2 "$net" "$authd"
# A status reply and a password check need both processes to run after
# the signals, which would have ended them by then.
tap_ok "the network process answers after them" he_ctl show stats
tap_ok "authd checks passwords after them" xml_login /guests
tap_ok "neither was killed" sh -c "kill -0 $net && kill -0 $authd &&
	! grep -q 'killed by signal' '$HE_LOG'"
tap_done
