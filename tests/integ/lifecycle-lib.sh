# shellcheck shell=bash
#
# Helpers for the session lifecycle tests (6*-*.sh), sourced after lib.sh
# and headend-lib.sh: session fields from the status socket, the CSTP
# client in tools/cstpclient.py, and a way to kill the headend's TCP
# connections from outside.

LC_TOOLS="$(dirname "${BASH_SOURCE[0]}")/tools"

# lc_diag TEXT: show TEXT, which may have several lines, as diagnostics.
lc_diag() {
	printf '%s\n' "$1" | tap_diag_stdin
}

# lc_sessions PYTHON: run PYTHON with `sessions`, the list of sessions
# of `headendctl show sessions`, and print what it prints.
lc_sessions() {
	he_ctl --json show sessions | python3 -c "
import json, sys
sessions = json.load(sys.stdin)['sessions']
$1"
}

# lc_count USER: the number of USER's sessions.
lc_count() {
	lc_sessions "print(sum(s['user'] == '$1' for s in sessions))"
}

lc_has_count() {
	[ "$(lc_count "$1")" -eq "$2" ]
}

# lc_field USER FIELD: FIELD of USER's first session, from the detail
# view, which also has reconnects and drops; "none" without a session.
lc_field() {
	local id

	id=$(lc_sessions "
print(next((s['id'] for s in sessions if s['user'] == '$1'), 'none'))")
	if [ "$id" = none ]; then
		echo none
		return
	fi
	he_ctl --json show session "$id" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
se = doc.get("session", doc)
field = sys.argv[1]
value = se["drops"][field] if field in se["drops"] else se[field]
print(str(value).lower() if isinstance(value, bool) else value)' "$2"
}

# lc_field_is USER FIELD VALUE: true when the field has that value.
lc_field_is() {
	[ "$(lc_field "$1" "$2")" = "$3" ]
}

# lc_field_at_least USER FIELD N: the numeric field is at least N.
lc_field_at_least() {
	[ "$(lc_field "$1" "$2")" -ge "$3" ]
}

# lc_reconnected USER N: USER's session is connected after N reconnects.
lc_reconnected() {
	[ "$(lc_field "$1" connected)" = true ] &&
		[ "$(lc_field "$1" reconnects)" -ge "$2" ]
}

# lc_logoff_all: end every session, so that a restart of the headend
# restores none of them from its state file.
lc_logoff_all() {
	local id

	for id in $(lc_sessions "print(' '.join(str(s['id']) for s in sessions))"); do
		he_ctl logoff id "$id" >/dev/null
	done
}

# lc_pool_used: addresses leased from the first pool.
lc_pool_used() {
	he_ctl --json show pools | python3 -c '
import json, sys
print(json.load(sys.stdin)["pools"][0]["used"])'
}

# lc_kill_tcp: reset every established TCP connection of the headend's
# port 443, as a NAT box or firewall that drops the flow would.
lc_kill_tcp() {
	ip netns exec "$NS_HEADEND" ss -K -tn state established \
		'( sport = :443 )' >/dev/null
}

# lc_client ARGS...: run tools/cstpclient.py in the client namespace.
lc_client() {
	ip netns exec "$NS_CLIENT" python3 "$LC_TOOLS/cstpclient.py" "$@"
}

# lc_login USER PASSWORD: an XML login to the staff group; prints the
# cookie, or nothing when the login failed.
lc_login() {
	lc_client login "$VPN_HOSTNAME" /staff "$1" "$2" |
		sed -n 's/^cookie=//p'
}

# lc_connect_address COOKIE ARGS...: CONNECT with COOKIE and print the
# address that the headend assigned; prints nothing on failure.
lc_connect_address() {
	local cookie=$1

	shift
	lc_client connect "$VPN_HOSTNAME" "$cookie" "$@" |
		sed -n 's/^address=//p'
}

# lc_log_after MARK REGEX: true when the log, from byte MARK on, has a
# line matching REGEX. Take MARK with lc_log_mark.
lc_log_mark() {
	stat -c %s "$HE_LOG"
}

lc_log_after() {
	tail -c +"$(($1 + 1))" "$HE_LOG" | grep -Eq -- "$2"
}
