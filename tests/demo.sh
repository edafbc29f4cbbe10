#!/bin/bash
# make demo: the main job end to end. Runs headend on the unmodified
# default configuration (etc/headend.conf, copied next to a freshly made
# demo certificate and user file) in its own network namespace, connects
# the real openconnect client from a client namespace, pings an inside
# host through the tunnel, prints the session from the status socket and
# tears everything down. Exits 0 only if the ping crossed the tunnel.
set -eu
. "$(dirname "$0")/integ/lib.sh"
. "$(dirname "$0")/integ/headend-lib.sh"

DEMO_USER=demo
DEMO_PASSWORD=demo-password
DEFAULT_SOCKET=/run/headend/status.sock

step() {
	printf '\n==> %s\n' "$*"
}

[ "$(id -u)" -eq 0 ] || { echo "make demo must run as root" >&2; exit 1; }
[ ! -S "$DEFAULT_SOCKET" ] || {
	echo "demo: $DEFAULT_SOCKET exists: is an installed headend running?" \
		"Stop it first, because the demo uses the default configuration." >&2
	exit 1
}

# A stopped installed headend keeps its sessions there, and the demo's
# headend would restore them and log them off at its end.
[ ! -e /var/lib/headend/sessions ] || {
	echo "demo: /var/lib/headend/sessions exists: it is the state file of" \
		"an installed headend, whose sessions the demo would restore" \
		"and log off. Move it aside first, or run the demo on another" \
		"machine." >&2
	exit 1
}

# The default configuration keeps sessions under /var/lib/headend and
# its status socket in /run/headend. The demo removes those folders at
# the end, unless they were there before.
[ -e /var/lib/headend ] || LIB_CLEANUP_PATHS+=(/var/lib/headend)
[ -e /run/headend ] || LIB_CLEANUP_PATHS+=(/run/headend)

step "Creating namespaces: client $CLIENT_ADDR," \
	"headend $HEADEND_OUTSIDE_ADDR/$HEADEND_INSIDE_ADDR," \
	"inside host $INSIDE_ADDR"
he_ensure_user
netns_setup

step "Generating a demo CA, a server certificate for $VPN_HOSTNAME and user $DEMO_USER"
cp "$TOP/etc/headend.conf" "$HE_TMPDIR/headend.conf"
make_ca_and_server_cert "$HE_TMPDIR" "$VPN_HOSTNAME" >/dev/null
printf '%s\n' "$DEMO_PASSWORD" |
	"$HEADENDCTL" user add -f "$HE_TMPDIR/users" "$DEMO_USER"
OC_SERVERCERT=$(cert_sha256_pin "$HE_TMPDIR/server.crt")
export OC_SERVERCERT

# In the headend namespace, whose forwarding and interfaces the checks
# look at, as they would on the headend's host.
step "Checking a copy of etc/headend.conf: headend -t -c headend.conf"
ip netns exec "$NS_HEADEND" "$HEADEND" -t -c "$HE_TMPDIR/headend.conf"

step "Starting headend in the headend namespace"
HE_SOCKET=$DEFAULT_SOCKET
spawn_in_ns "$NS_HEADEND" "$HEADEND" -f -c "$HE_TMPDIR/headend.conf" \
	>"$HE_LOG" 2>&1
if ! wait_file_contains "$HE_LOG" 'network.*ready:' 10; then
	cat "$HE_LOG"
	exit 1
fi
sed 's/^/    /' "$HE_LOG"

step "Connecting openconnect to https://$VPN_HOSTNAME/staff as $DEMO_USER"
if ! he_connect "$DEMO_USER" "$DEMO_PASSWORD" "$HE_TMPDIR/oc.log"; then
	sed 's/^/    /' "$HE_TMPDIR/oc.log" "$HE_LOG"
	echo "demo: FAILED: the tunnel did not come up" >&2
	exit 1
fi
grep -E 'Connected|Configured as|CSTP connected' "$HE_TMPDIR/oc.log" |
	sed 's/^/    /'

step "Pinging the inside host $INSIDE_ADDR through the tunnel"
if ! ip netns exec "$NS_CLIENT" ping -c 3 -W 2 "$INSIDE_ADDR"; then
	echo "demo: FAILED: no ping answer through the tunnel" >&2
	exit 1
fi

step "The session as the status socket reports it (headendctl show sessions)"
"$HEADENDCTL" -s "$DEFAULT_SOCKET" show sessions

step "Stopping headend with headendctl shutdown --logoff"
# A plain stop would keep the session in the state file for a restart.
"$HEADENDCTL" -s "$DEFAULT_SOCKET" shutdown --logoff

step "Tearing down"
netns_teardown
echo
echo "demo: OK: the ping crossed the tunnel"
