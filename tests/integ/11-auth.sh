#!/bin/bash
# Password checks with openconnect: a wrong password is asked again with
# an error, a wrong then right password logs in, a username with a space
# is rejected (and the user-file command refuses to create one), PAM
# works through the real PAM stack with pam_wrapper and pam_matrix, and
# headend -t checks the user file, the PAM service and the account.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

PAM_LIB=/usr/lib/x86_64-linux-gnu/libpam_wrapper.so
PAM_MATRIX=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so

# openconnect reading several password lines from stdin, so that it can
# answer a second prompt; --non-inter would stop at the first failure.
oc_interactive() {
	local input=$1 user=$2 log=$3

	spawn_in_ns_with_input "$NS_CLIENT" "$input" openconnect -v \
		--passwd-on-stdin --no-proxy --user "$user" \
		--script "$(oc_script_path)" --servercert "$OC_SERVERCERT" \
		--resolve "$VPN_HOSTNAME:$HEADEND_OUTSIDE_ADDR" \
		"https://$VPN_HOSTNAME/staff" >"$log" 2>&1
}

oc_exited() {
	pid_stopped "$1"
}

tap_plan 66
he_setup
he_write_config
he_start

log=$HE_TMPDIR/wrong.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" alice nope "$log"
wait_until 15 oc_exited "$SPAWNED_PID" || true
tap_ok "wrong password: openconnect gives up" oc_exited "$SPAWNED_PID"
tap_ok "wrong password: error shown to the client" file_contains "$log" \
	'Login failed: wrong username or password'
tap_ok "wrong password: no tunnel" sh -c "! ip -n $NS_CLIENT -o link show type tun | grep -q ."
tap_ok "wrong password: logged with user and group" file_contains \
	"$HE_LOG" 'login failed: user=alice group=staff'

log=$HE_TMPDIR/retry.log
oc_interactive "$(printf 'wrong\nalice-secret')" alice "$log"
wait_until 15 he_tunnel_ready || tap_diag_file "$log"
tap_ok "wrong then right password: tunnel up" he_ping_inside
pid_stop "$SPAWNED_PID"
wait_until 10 sh -c "[ \"\$('$HEADENDCTL' -s '$HE_SOCKET' --json show sessions)\" = '{\"sessions\":[]}' ]" || true

log=$HE_TMPDIR/space.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" "al ice" x "$log"
wait_until 15 oc_exited "$SPAWNED_PID" || true
tap_ok "username with a space: rejected with a reason" file_contains \
	"$log" 'may not contain spaces'
tap_ok "username with a space: logged with the space escaped" \
	file_contains "$HE_LOG" 'login failed: user=al\\x20ice group=staff'
# A password over 255 bytes gets the form again with the reason, not a
# bare 400 that openconnect shows as an unexpected result.
log=$HE_TMPDIR/long.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" alice \
	"$(printf 'p%.0s' $(seq 1 300))" "$log"
wait_until 15 oc_exited "$SPAWNED_PID" || true
tap_ok "password too long: the client is told why" file_contains "$log" \
	'username or password is too long'
log=$HE_TMPDIR/long-form.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" alice \
	"$(printf 'p%.0s' $(seq 1 300))" "$log" --no-xmlpost
wait_until 15 oc_exited "$SPAWNED_PID" || true
tap_ok "password too long in a form login: a failed login" \
	file_contains "$HE_LOG" \
	'login failed: The username or password is too long'
tap_ok "user-file command refuses a space" sh -c \
	"! printf 'pw\n' | '$HEADENDCTL' user add -f '$HE_USERS' 'bad name' 2>'$HE_TMPDIR/add.err'"
tap_ok "user-file command says why" file_contains "$HE_TMPDIR/add.err" \
	'space'

# A malformed line of another user leaves alice's login alone, and the
# log names the line.
cp "$HE_USERS" "$HE_TMPDIR/users.good"
echo 'broken line' >>"$HE_USERS"
he_connect alice alice-secret "$HE_TMPDIR/broken.log" ||
	tap_diag_file "$HE_TMPDIR/broken.log"
tap_ok "malformed line of another user: tunnel up" he_ping_inside
pid_stop "$OC_PID"
tap_ok "malformed line: logged with its number" file_contains "$HE_LOG" \
	"line 2 of user file $HE_USERS is malformed"
cp "$HE_TMPDIR/users.good" "$HE_USERS"

# PAM: a second headend whose tunnel-group uses a PAM service that
# pam_wrapper reads from a folder of this test.
pid_stop "$HE_PID"
mkdir -p "$HE_TMPDIR/pam.d"
printf 'bob:bob-pam-secret:headend-test\n' >"$HE_TMPDIR/passdb"
for kind in auth account; do
	printf '%s required %s passdb=%s\n' "$kind" "$PAM_MATRIX" \
		"$HE_TMPDIR/passdb"
done >"$HE_TMPDIR/pam.d/headend-test"
he_write_config "" 'pam-service = "headend-test";'
he_start LD_PRELOAD="$PAM_LIB" PAM_WRAPPER=1 \
	PAM_WRAPPER_SERVICE_DIR="$HE_TMPDIR/pam.d"
he_connect bob bob-pam-secret "$HE_TMPDIR/pam.log" ||
	tap_diag_file "$HE_TMPDIR/pam.log"
tap_ok "PAM: right password logs in" he_ping_inside
pid_stop "$OC_PID"
log=$HE_TMPDIR/pam-wrong.log
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" bob wrong "$log"
wait_until 15 oc_exited "$SPAWNED_PID" || true
tap_ok "PAM: wrong password rejected" file_contains "$log" \
	'Login failed: wrong username or password'
tap_ok "PAM: authd logged the denial" file_contains "$HE_LOG" \
	'user=bob group=staff result=denied'

# headend -t reads the user file and looks up the account of the network
# process, as a start does, and warns about a PAM service without a file.
# he_check sets check_out and check_rc.
he_check() {
	check_rc=0
	check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || check_rc=$?
	tap_diag_stdin <<<"$check_out"
}

he_write_config
he_check
tap_ok "-t: valid user file passes" [ "$check_rc" = 0 ]

# check_with_line LINE: run headend -t with LINE appended to the user
# file, then restore the file. Sets check_out, check_rc and added_line.
check_with_line() {
	cp "$HE_USERS" "$HE_USERS.orig"
	printf '%s\n' "$1" >>"$HE_USERS"
	added_line=$(wc -l <"$HE_USERS")
	he_check
	mv "$HE_USERS.orig" "$HE_USERS"
}

# A second line of the same user only warns: the first line counts.
dup_user=$(sed -n '1s/:.*//p' "$HE_USERS")
check_with_line "$(sed -n 1p "$HE_USERS")"
tap_ok "-t: a duplicate username passes" [ "$check_rc" = 0 ]
tap_ok "-t: names the duplicate line and the one that counts" grep -qF \
	"$HE_USERS:$added_line: user \"$dup_user\" is also on line 1, whose hash counts" \
	<<<"$check_out"

# A traditional DES hash, or a password written in clear, only warns,
# because a start under systemd runs -t first and DES logins still work.
check_with_line 'legacy:secret-password'
tap_ok "-t: a hash without \$id\$ passes" [ "$check_rc" = 0 ]
tap_ok "-t: warns about it by line" grep -qF \
	"warning: $HE_USERS:$added_line: the hash is a traditional DES hash" \
	<<<"$check_out"

# Paths that headend writes must not be files that it reads: the start
# would delete or set aside the user file.
good_conf="$HE_CONF.good"
cp "$HE_CONF" "$good_conf"
sed -i "s|^status-socket = .*|status-socket = \"$HE_USERS\";|" "$HE_CONF"
he_check
tap_ok "-t: a status-socket path that is a file fails" [ "$check_rc" = 1 ]
tap_ok "-t: says the start would fail" grep -qF \
	"status-socket $HE_USERS exists and is not a socket, so a start would fail" \
	<<<"$check_out"
cp "$good_conf" "$HE_CONF"

# A byte that is not UTF-8 in a value: -t prints it escaped, as the log
# does, and not raw to the operator's terminal.
sed -i "s|name = \"headend0\"|name = \"bad$(printf '\377')\"|" "$HE_CONF"
he_check
tap_ok "-t escapes a byte that is not UTF-8" grep -qF \
	'invalid name "bad\xff"' <<<"$check_out"
cp "$good_conf" "$HE_CONF"

# The status socket at the state file's lock: the journal could never
# open its files there.
sed -i "s|^status-socket = .*|status-socket = \"$HE_TMPDIR/state.lock\";|" \
	"$HE_CONF"
he_check
tap_ok "-t: a status-socket at a state path fails" grep -qF \
	"status-socket $HE_TMPDIR/state.lock is also the path of the state file's .lock file" \
	<<<"$check_out"
cp "$good_conf" "$HE_CONF"
sed -i "s|^state-file = .*|state-file = \"$HE_USERS\";|" "$HE_CONF"
he_check
tap_ok "-t: a state-file that is the user file fails" grep -qF \
	"state-file $HE_USERS is also the user file of a tunnel-group" \
	<<<"$check_out"
tap_ok "-t: the user file is still there" test -s "$HE_USERS"
# The ban file is the state file's path with ".bans", which may not be a
# file that headend reads either.
HE_USERS_BANS="$HE_TMPDIR/users2.bans"
cp "$HE_USERS" "$HE_USERS_BANS"
sed -i -e "s|^state-file = .*|state-file = \"$HE_TMPDIR/users2\";|" \
	-e "s|user-file = \"$HE_USERS\"|user-file = \"$HE_USERS_BANS\"|" \
	"$HE_CONF"
he_check
tap_ok "-t: a ban file that is the user file fails" grep -qF \
	"the state file's .bans file $HE_USERS_BANS is also the user file of a tunnel-group" \
	<<<"$check_out"
cp "$good_conf" "$HE_CONF"

# OpenSSL refuses TLS 1.0 unless the phone profile lowers its level.
sed -i 's|key = "server.key"; }|key = "server.key"; tls-min-version = "1.0"; }|' \
	"$HE_CONF"
he_check
tap_ok "-t: TLS 1.0 without the phone profile warns" grep -qF \
	"listener 1: tls-min-version allows TLS 1.0, but OpenSSL refuses" \
	<<<"$check_out"
cp "$good_conf" "$HE_CONF"

echo 'broken line' >>"$HE_USERS"
he_check
tap_ok "-t: malformed user file line fails" [ "$check_rc" = 1 ]
tap_ok "-t: names the malformed line" grep -qF \
	"$HE_USERS:2: invalid line, it has no ':'" <<<"$check_out"

rm "$HE_USERS"
he_check
tap_ok "-t: missing user file fails" [ "$check_rc" = 1 ]
tap_ok "-t: says how to create the user file" grep -qF \
	"user file $HE_USERS of tunnel-group \"staff\" does not exist: create it with \"headendctl user add -f $HE_USERS USERNAME\"" \
	<<<"$check_out"
user_file_line=$(grep -n 'user-file' "$HE_CONF" | cut -d: -f1)
tap_ok "-t: gives the line of the user-file setting" grep -qF \
	"$HE_CONF:$user_file_line: user file $HE_USERS" <<<"$check_out"

# A start runs the same checks and stops before it binds anything.
start_rc=0
start_out=$(ip netns exec "$NS_HEADEND" timeout 10 "$HEADEND" -f \
	-c "$HE_CONF" 2>&1) || start_rc=$?
tap_diag_stdin <<<"$start_out"
tap_ok "start: missing user file refuses to start" [ "$start_rc" = 1 ]
tap_ok "start: names the missing file and the check" grep -qF \
	"user file $HE_USERS of tunnel-group \"staff\" does not exist" \
	<<<"$start_out"
tap_ok "start: says that it did not start" grep -qF \
	'headend: not started: fix the errors above' <<<"$start_out"

# One run of -t lists the errors of every check, not only the first.
mv "$HE_TMPDIR/server.key" "$HE_TMPDIR/server.key.away"
he_check
mv "$HE_TMPDIR/server.key.away" "$HE_TMPDIR/server.key"
tap_ok "-t: lists the missing key" grep -q 'server\.key' <<<"$check_out"
tap_ok "-t: and the missing user file after it" grep -q \
	'does not exist: create it' <<<"$check_out"
cp "$HE_TMPDIR/users.good" "$HE_USERS"

sed -i 's/^user = "headend";/user = "nosuchuser";/' "$HE_CONF"
he_check
tap_ok "-t: missing account fails" [ "$check_rc" = 1 ]
tap_ok "-t: names the account and its line" grep -qF \
	"$HE_CONF:1: user \"nosuchuser\" does not exist" <<<"$check_out"

# root exists, but the network process must not keep root's rights.
sed -i 's/^user = "nosuchuser";/user = "root";/' "$HE_CONF"
he_check
tap_ok "-t: user root fails" [ "$check_rc" = 1 ]
tap_ok "-t: says to set an unprivileged account" grep -qF \
	"$HE_CONF:1: user \"root\" is root (uid 0), but the network process must run without root's rights" \
	<<<"$check_out"
sed -i 's/^user = "root";/user = "headend";/' "$HE_CONF"

# A FIFO named as the user file is refused, not waited on.
mkfifo "$HE_TMPDIR/users.fifo"
sed -i "s|$HE_USERS|$HE_TMPDIR/users.fifo|" "$HE_CONF"
check_rc=0
check_out=$(timeout 20 "$HEADEND" -t -c "$HE_CONF" 2>&1) || check_rc=$?
tap_ok "-t: a FIFO as user file fails at once" [ "$check_rc" = 1 ]
tap_ok "-t: says it is not a regular file" grep -qF \
	"cannot read user file $HE_TMPDIR/users.fifo of tunnel-group \"staff\": not a regular file" \
	<<<"$check_out"

he_write_config "" 'pam-service = "headend-test-none";'
he_check
tap_ok "-t: PAM service without a file passes" [ "$check_rc" = 0 ]
tap_ok "-t: warns about the PAM service" grep -qF \
	'pam-service "headend-test-none" of tunnel-group "staff" has no file /etc/pam.d/headend-test-none' \
	<<<"$check_out"

# A pool on the network of the headend's outside interface would take
# the clients' traffic into the tun device.
he_write_config 198.18.0.0/24
check_out=$(ip netns exec "$NS_HEADEND" "$HEADEND" -t -c "$HE_CONF" 2>&1) ||
	true
tap_ok "-t: warns about a pool on an interface's network" grep -qF \
	'pool "staff" overlaps 198.18.0.0/24, the network of interface veth-ho' \
	<<<"$check_out"

# The running headend's tun device under its old name, after tun.name
# changed in the file. Its only address is the tun address, so it is no
# network that the pool could take over.
ip -n "$NS_HEADEND" tuntap add he-oldtun mode tun
ip -n "$NS_HEADEND" addr add 198.19.255.1/32 dev he-oldtun
ip -n "$NS_HEADEND" link set he-oldtun up
he_write_config 198.19.0.0/16
check_out=$(ip netns exec "$NS_HEADEND" "$HEADEND" -t -c "$HE_CONF" 2>&1) ||
	true
tap_diag_stdin <<<"$check_out"
tap_ok "-t: no warning for the headend's own tun under another name" \
	test -z "$(grep 'interface he-oldtun' <<<"$check_out")"

# A key and a user file that every user of the host may read.
tap_ok "-t: no warning about secrets that only root reads" \
	test -z "$(grep 'by every user of the host' <<<"$check_out")"
chmod 644 "$HE_TMPDIR/server.key" "$HE_USERS"
check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || true
chmod 600 "$HE_TMPDIR/server.key"
chmod 640 "$HE_USERS"
tap_diag_stdin <<<"$check_out"
tap_ok "-t: warns about a key that every user may read" grep -qF \
	"key $HE_TMPDIR/server.key can be read by every user of the host" \
	<<<"$check_out"
tap_ok "-t: warns about a user file that every user may read" grep -qF \
	"user file $HE_USERS can be read by every user of the host" \
	<<<"$check_out"
tap_ok "-t: no warning about trusted files that only root changes" \
	test -z "$(grep 'can be changed by every user' <<<"$check_out")"
# A user file that a group, or the network process's account, may
# change.
tap_ok "-t: no warning about secrets that only root changes" \
	test -z "$(grep -E 'members of group|account of the network' \
	<<<"$check_out")"
chgrp "$(id -gn headend)" "$HE_USERS"
chmod 660 "$HE_USERS"
check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || true
tap_ok "-t: warns about a user file that a group may change" grep -qF \
	"user file $HE_USERS can be changed by the members of group $(id -gn \
headend): chmod g-w $HE_USERS" <<<"$check_out"
chmod 640 "$HE_USERS"
chown headend "$HE_USERS"
check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || true
chown root:root "$HE_USERS"
tap_ok "-t: warns about a user file of the headend account" grep -qF \
	"user file $HE_USERS belongs to \"headend\", the account of the \
network process, which must not be able to change it: chown root \
$HE_USERS" <<<"$check_out"
chmod 666 "$HE_CONF"
check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || true
chmod 644 "$HE_CONF"
tap_ok "-t: warns about a configuration that every user may change" \
	grep -qF "configuration file $HE_CONF can be changed by every user \
of the host: chmod o-w $HE_CONF" <<<"$check_out"

# A folder that every user may write to lets them replace the files in
# it, unless its sticky bit keeps them to their own files.
tap_ok "-t: no warning about folders that only root changes" \
	test -z "$(grep 'may write to the folder' <<<"$check_out")"
chmod o+w "$HE_TMPDIR"
check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || true
tap_ok "-t: warns about a folder that every user may write to" \
	grep -qF "every user of the host may write to the folder $HE_TMPDIR \
and so replace the key $HE_TMPDIR/server.key: chmod o-w $HE_TMPDIR" \
	<<<"$check_out"
tap_ok "-t: warns about that folder once" test \
	"$(grep -c 'may write to the folder' <<<"$check_out")" -eq 1

# The user file in a second such folder, checked between the key and
# the configuration of the first: one line for each folder.
mkdir -m 0777 "$HE_TMPDIR/open"
cp -p "$HE_USERS" "$HE_TMPDIR/open/users"
sed "s|$HE_USERS|$HE_TMPDIR/open/users|" "$HE_CONF" >"$HE_TMPDIR/open.conf"
check_out=$("$HEADEND" -t -c "$HE_TMPDIR/open.conf" 2>&1) || true
tap_diag_stdin <<<"$check_out"
tap_ok "-t: two folders, two warnings" test \
	"$(grep -c 'may write to the folder' <<<"$check_out")" -eq 2
chmod +t "$HE_TMPDIR"
check_out=$("$HEADEND" -t -c "$HE_CONF" 2>&1) || true
chmod o-w,-t "$HE_TMPDIR"
tap_ok "-t: no warning about a folder with its sticky bit" \
	test -z "$(grep 'may write to the folder' <<<"$check_out")"

# A user file reached through a symbolic link, in an open folder.
ln -s "$HE_TMPDIR/open/users" "$HE_TMPDIR/ulink"
sed "s|$HE_USERS|$HE_TMPDIR/ulink|" "$HE_CONF" >"$HE_TMPDIR/link.conf"
check_out=$("$HEADEND" -t -c "$HE_TMPDIR/link.conf" 2>&1) || true
tap_ok "-t: warns about the folder behind a symbolic link" grep -qF \
	"may write to the folder $HE_TMPDIR/open and so replace the user file" \
	<<<"$check_out"

# The client's namespace does not forward IPv4, the headend's does.
check_out=$(ip netns exec "$NS_CLIENT" "$HEADEND" -t -c "$HE_CONF" 2>&1) ||
	true
tap_ok "-t: warns where IPv4 forwarding is off" grep -qF \
	"IPv4 forwarding is off (net.ipv4.ip_forward = 0)" <<<"$check_out"
check_out=$(ip netns exec "$NS_HEADEND" "$HEADEND" -t -c "$HE_CONF" 2>&1) ||
	true
forwarding_quiet() {
	grep -q 'configuration is valid' <<<"$check_out" &&
		! grep -q 'IPv4 forwarding is off' <<<"$check_out"
}
tap_ok "-t: no such warning where it is on" forwarding_quiet

# At a start the warnings go to the log, with the process and level.
pid_stop "$HE_PID"
chmod 644 "$HE_USERS"
HE_LOG="$HE_TMPDIR/warned.log"
he_start
chmod 640 "$HE_USERS"
tap_ok "a start logs its warnings" file_contains "$HE_LOG" \
	"parent\[[0-9]+\] warning: user file $HE_USERS can be read by every user"
pid_stop "$HE_PID"
tap_done
