# shellcheck shell=bash
#
# Helpers for the phone tests (3*-phone-*.sh), sourced after lib.sh and
# headend-lib.sh: the phone emulator, test CAs, CRLs, and a configuration
# with a phone tunnel-group. The test CAs stand in for Cisco's
# manufacturing CA, which signs MICs, and for a CUCM CAPF, which signs
# LSCs.

PHONE_EMU="$HE_BUILD/tests/phone-emu"
PHONE_URL="https://$VPN_HOSTNAME/PhoneVPN"
PHONE_MAC=001122334455

# phone_setup: he_setup, plus the emulator and the server's certHash.
phone_setup() {
	he_setup
	[ -x "$PHONE_EMU" ] ||
		tap_skip_all "$PHONE_EMU is missing: run make integ"
	PHONE_CERT_HASH=$(cert_hash_b64 "$HE_TMPDIR/server.crt")
	# The network process runs as the headend user and notices a new
	# CRL by stat(2), which needs search permission on the folders.
	chmod 711 "$HE_TMPDIR"
}

# cert_hash_b64 FILE: base64 of the SHA-1 of the certificate's DER, the
# value of a phone's certHash.
cert_hash_b64() (
	set -eu -o pipefail
	openssl x509 -in "$1" -outform DER | openssl dgst -sha1 -binary |
		base64
)

# phone_emu ARGS...: run the emulator in the client namespace against
# the headend, trusting the server through its certHash like a phone.
phone_emu() {
	ip netns exec "$NS_CLIENT" "$PHONE_EMU" \
		--connect "$HEADEND_OUTSIDE_ADDR" \
		--cert-hash "$PHONE_CERT_HASH" "$@"
}

# phone_ca_init NAME SUBJECT: a CA in $HE_TMPDIR/NAME that `openssl ca`
# can revoke certificates of and issue CRLs for.
phone_ca_init() (
	set -eu
	dir="$HE_TMPDIR/$1"
	mkdir -p "$dir"
	: >"$dir/index.txt"
	echo 1000 >"$dir/crlnumber"
	cat >"$dir/ca.cnf" <<CNF
[ ca ]
default_ca = phone_ca
[ phone_ca ]
dir = $dir
database = $dir/index.txt
certificate = $dir/ca.crt
private_key = $dir/ca.key
crlnumber = $dir/crlnumber
default_md = sha256
default_crl_days = 5
CNF
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "$2" \
		-addext "basicConstraints = critical, CA:TRUE" \
		-addext "keyUsage = critical, keyCertSign, cRLSign" \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
)

# phone_cert CA NAME SUBJECT [EXTRA-EXT]: a client certificate
# $HE_TMPDIR/NAME.crt and .key issued by the CA phone_ca_init made,
# valid for PHONE_CERT_DAYS days (30; -1 makes an expired one).
phone_cert() (
	set -eu
	dir="$HE_TMPDIR/$1"
	out="$HE_TMPDIR/$2"
	printf '%s\n' "basicConstraints = critical, CA:FALSE" \
		"keyUsage = critical, digitalSignature, keyEncipherment" \
		"extendedKeyUsage = clientAuth" ${4:+"$4"} >"$out.ext"
	openssl req -new -newkey rsa:2048 -nodes -subj "$3" \
		-keyout "$out.key" -out "$out.csr" 2>/dev/null
	openssl x509 -req -days "${PHONE_CERT_DAYS:-30}" -in "$out.csr" \
		-CA "$dir/ca.crt" \
		-CAkey "$dir/ca.key" -extfile "$out.ext" \
		-out "$out.crt" 2>/dev/null
	rm -f "$out.csr" "$out.ext"
)

# phone_crl CA: write $HE_TMPDIR/CA/crl.pem, replacing any old one in a
# single rename as an operator's tooling would.
phone_crl() (
	set -eu
	dir="$HE_TMPDIR/$1"
	openssl ca -config "$dir/ca.cnf" -gencrl -out "$dir/crl.new" \
		2>/dev/null
	chmod 644 "$dir/crl.new"
	mv "$dir/crl.new" "$dir/crl.pem"
)

# phone_revoke CA NAME: revoke $HE_TMPDIR/NAME.crt and publish a new CRL.
phone_revoke() (
	set -eu
	openssl ca -config "$HE_TMPDIR/$1/ca.cnf" \
		-revoke "$HE_TMPDIR/$2.crt" 2>/dev/null
	phone_crl "$1"
)

# phone_write_config TGROUP-EXTRA [LISTENER-EXTRA [MORE-TGROUPS
# [POLICY-EXTRA]]]: a phone tunnel-group "phones" at $PHONE_URL with
# TGROUP-EXTRA (its authentication settings), and the staff group of
# headend-lib.sh. POLICY-EXTRA goes into the group-policy of both, such
# as its dpd and keepalive.
phone_write_config() {
	local tgroup=$1 listener=${2:-} more=${3:-} policy=${4:-}

	cat >"$HE_CONF" <<CONF
user = "headend";
status-socket = "$HE_SOCKET";
workers = $HE_WORKERS;
state-file = "$HE_TMPDIR/state";
listeners = ( { certificate = "server.crt"; key = "server.key";
	$listener } );
tun = { name = "headend0"; address = "198.19.255.1"; };
pools = ( { name = "staff"; network = "198.19.0.0/24"; },
	{ name = "phones"; network = "198.19.1.0/24"; } );
group-policies = ( { name = "all"; dns = [ "198.19.255.1" ];
	$policy } );
tunnel-groups = ( { name = "staff";
	group-urls = [ "https://vpn.example.net/staff" ];
	authentication = "password"; user-file = "$HE_USERS";
	pool = "staff"; group-policy = "all"; },
	{ name = "phones"; phone = true;
	group-urls = [ "$PHONE_URL" ];
	$tgroup
	pool = "phones"; group-policy = "all"; } $more );
CONF
}

# phone_emu_spawn OUT ARGS...: phone_emu in the background, with its
# output in OUT and its PID in PHONE_EMU_PID. Wait for it with
# phone_emu_wait.
phone_emu_spawn() {
	local out=$1

	shift
	spawn_in_ns "$NS_CLIENT" "$PHONE_EMU" \
		--connect "$HEADEND_OUTSIDE_ADDR" \
		--cert-hash "$PHONE_CERT_HASH" "$@" >"$out" 2>&1
	PHONE_EMU_PID=$SPAWNED_PID
}

# phone_emu_wait TIMEOUT: wait for the emulator of phone_emu_spawn to
# exit and return its exit status. If it still runs after TIMEOUT
# seconds, stop it and return 124.
phone_emu_wait() {
	if ! wait_until "$1" pid_stopped "$PHONE_EMU_PID"; then
		pid_stop "$PHONE_EMU_PID"
		return 124
	fi
	wait "$PHONE_EMU_PID"
}

# phone_session USER: the status document of USER's first session.
phone_session() {
	local id

	id=$(he_ctl --json show sessions | python3 -c '
import json, sys
print(next(s["id"] for s in json.load(sys.stdin)["sessions"]
	if s["user"] == sys.argv[1]))' "$1") || return 1
	he_ctl --json show session "$id"
}

# phone_session_count USER: sessions of USER in the status listing.
phone_session_count() {
	he_ctl --json show sessions | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["sessions"]
	if s["user"] == sys.argv[1]))' "$1"
}

# phone_has_session USER: true when USER has a session.
phone_has_session() {
	[ "$(phone_session_count "$1")" -gt 0 ]
}

phone_has_no_session() {
	[ "$(phone_session_count "$1")" -eq 0 ]
}
