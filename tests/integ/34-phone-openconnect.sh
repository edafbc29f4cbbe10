#!/bin/bash
# The real openconnect client on the certificate and form logins: the
# XML flow with a client certificate alone and with certificate and
# password, the legacy form flow (--no-xmlpost) with a password and with
# a certificate, and a certificate group that rejects a client without a
# certificate.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"
. "$(dirname "$0")/phone-lib.sh"

tap_plan 13
phone_setup
phone_ca_init capf "/CN=Test CAPF"
phone_cert capf alice "/O=Example/CN=alice"
phone_write_config "authentication = \"certificate\";
	ca-files = [ \"capf/ca.crt\" ];" "" ", { name = \"certpw\";
	group-urls = [ \"https://vpn.example.net/CertPW\" ];
	authentication = \"both\"; ca-files = [ \"capf/ca.crt\" ];
	user-file = \"$HE_USERS\";
	pool = \"phones\"; group-policy = \"all\"; }"
he_start

# oc_run NAME PATH USER PASSWORD [ARGS...]: start openconnect, logging
# to $HE_TMPDIR/NAME.log, and set OC_PID.
oc_run() {
	local name=$1 path=$2

	shift 2
	oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME$path" "$1" "$2" \
		"$HE_TMPDIR/$name.log" "${@:3}"
	OC_PID=$SPAWNED_PID
}

# oc_up NAME: wait for the tunnel; show openconnect's log if it fails.
oc_up() {
	wait_until 15 he_tunnel_ready && return 0
	tail -n 20 "$HE_TMPDIR/$1.log"
	return 1
}

oc_stop() {
	pid_stop "$OC_PID"
	wait_or_diag 5 "the client's tun device was gone" \
		sh -c "! ip -n '$NS_CLIENT' -o link show type tun | grep -q ."
}

cert_args=(--certificate "$HE_TMPDIR/alice.crt" --sslkey
	"$HE_TMPDIR/alice.key")

oc_run certonly /PhoneVPN alice unused "${cert_args[@]}"
tap_ok "certificate alone: tunnel up" oc_up certonly
tap_ok "certificate alone: packets pass" he_ping_inside
tap_ok "certificate alone: authd was not asked" sh -c \
	"! grep -q 'authd.* group=phones result=' '$HE_LOG'"
oc_stop

oc_run certpw /CertPW alice alice-secret "${cert_args[@]}"
tap_ok "certificate and password: tunnel up" oc_up certpw
tap_ok "certificate and password: packets pass" he_ping_inside
tap_ok "certificate and password: user from the certificate" \
	file_contains "$HE_LOG" 'user=alice group=certpw .*logged in with a client certificate'
oc_stop

oc_run legacy /staff alice alice-secret --no-xmlpost
tap_ok "--no-xmlpost: tunnel up" oc_up legacy
tap_ok "--no-xmlpost: packets pass" he_ping_inside
tap_ok "--no-xmlpost: the server ran the form flow" file_contains \
	"$HE_LOG" 'form login started: group=staff path=/staff'
oc_stop

oc_run legacycert /PhoneVPN alice unused --no-xmlpost "${cert_args[@]}"
tap_ok "--no-xmlpost with a certificate alone: tunnel up" oc_up legacycert
tap_ok "--no-xmlpost with a certificate alone: packets pass" \
	he_ping_inside
oc_stop

oc_connect "$NS_CLIENT" "$PHONE_URL" alice alice-secret \
	"$HE_TMPDIR/nocert.log"
OC_PID=$SPAWNED_PID
tap_ok "no certificate: openconnect gives up" wait_until 15 pid_stopped \
	"$OC_PID"
tap_ok "no certificate: log says why" file_contains "$HE_LOG" \
	'client certificate rejected for group=phones: the client sent no certificate'
tap_done
