#!/bin/bash
# The status socket's documents with zero, one and three openconnect
# sessions, including usernames with a quote, a backslash and UTF-8.
# Every reply parses with Python's strict JSON parser, and the table
# output lists the users. The certificate hashes match openssl's. The
# metrics from headendctl and from the HTTP listener pass promtool.
# Clients that send requests without reading their replies do not make
# the network process grow, and headendctl's exit codes and --json
# output hold for error replies too.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/headend-lib.sh"

QUOTE_USER='quo"te\back'
UTF8_USER='jürgen-日本'
METRICS_PORT=9443

tap_plan 44
he_setup
tap_require_commands python3 promtool
he_add_user "$QUOTE_USER" quote-secret
he_add_user "$UTF8_USER" utf8-secret
he_write_config
echo "metrics = { address = \"127.0.0.1\"; port = $METRICS_PORT; };" \
	>>"$HE_CONF"
# The memory check below measures replies that wait for clients, which
# AddressSanitizer's quarantine of freed memory (256 MiB) would hide.
ASAN_OPTIONS+=":quarantine_size_mb=16"

# A next certificate for the listener. The network process reads it as
# the headend user, so the folder must let that user reach the file.
openssl req -x509 -newkey rsa:2048 -nodes -days 400 -subj "/CN=next" \
	-keyout "$HE_TMPDIR/next.key" -out "$HE_TMPDIR/next.crt" 2>/dev/null
chmod 0644 "$HE_TMPDIR/next.crt"
chmod 0711 "$HE_TMPDIR"
sed -i 's|key = "server.key";|& next-certificate = "next.crt";|' "$HE_CONF"
he_start

# strict.py ASSERTIONS < REPLY: the reply must be one line of UTF-8 that
# is one JSON object without duplicate keys or NaN. Then ASSERTIONS
# (Python) run with the object as doc.
STRICT="$HE_TMPDIR/strict.py"
cat >"$STRICT" <<'EOF'
import json, sys

def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)

def no_constant(name):
    raise ValueError("non-standard constant " + name)

text = sys.stdin.buffer.read().decode("utf-8", errors="strict")
assert text.endswith("\n"), "no newline at the end"
assert text.count("\n") == 1, "more than one line"
doc = json.loads(text, object_pairs_hook=no_duplicates,
                 parse_constant=no_constant, strict=True)
assert isinstance(doc, dict), "not an object"
assert "error" not in doc, doc["error"]
exec(sys.argv[1] if len(sys.argv) > 1 else "", {"doc": doc})
EOF

# ctl_json ASSERTIONS ARGS...: run headendctl --json ARGS and check the
# reply with strict.py.
ctl_json() {
	local code=$1 out="$HE_TMPDIR/reply.json"

	shift
	he_ctl --json "$@" >"$out" || return 1
	python3 "$STRICT" "$code" <"$out"
}

SHOW_COMMANDS=("show sessions" "show groups" "show pools" "show stats"
	"show certificates" "metrics" "help")

# every_show_parses: each show command's reply is strict JSON.
every_show_parses() {
	local cmd

	for cmd in "${SHOW_COMMANDS[@]}"; do
		# shellcheck disable=SC2086 # the words are the command
		ctl_json "" $cmd || { echo "\"$cmd\" failed"; return 1; }
	done
}

connected_count() {
	he_ctl --json show sessions | python3 -c '
import json, sys
print(sum(s["connected"] for s in json.load(sys.stdin)["sessions"]))'
}

wait_connected() {
	local n=$1

	wait_until 20 test_connected_count "$n"
}

test_connected_count() {
	[ "$(connected_count)" = "$1" ]
}

# A client script that only configures the tun device, so that a second
# and third openconnect in the same namespace add no clashing routes.
ADDR_SCRIPT="$HE_TMPDIR/addr-only-script"
cat >"$ADDR_SCRIPT" <<'EOF'
#!/bin/bash
[ "${reason:-}" = connect ] || exit 0
ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
ip link set dev "$TUNDEV" up
EOF
chmod 755 "$ADDR_SCRIPT"

# ---- zero sessions ---------------------------------------------------------

tap_ok "every show command parses with no session" every_show_parses
tap_ok "show sessions is an empty list" ctl_json \
	"assert doc['sessions'] == []" show sessions
tap_ok "show pools reports the staff pool unused" ctl_json "
p = doc['pools'][0]
assert p['name'] == 'staff', p
assert p['used'] == 0, p
assert p['static'] == 0, p
assert p['size'] == 254, p
assert p['free'] == 254, p
assert p['prefix'] == 24, p" \
	show pools
tap_ok "show groups names the group-url and method" ctl_json "
g = doc['groups'][0]
assert g['name'] == 'staff', g
assert g['sessions'] == 0, g
assert g['group_urls'] == ['https://vpn.example.net/staff']
assert g['authentication'] == 'password'
assert g['pool'] == {'name': 'staff', 'size': 254, 'used': 0, 'free': 254}" \
	show groups

# ---- one session -----------------------------------------------------------

he_connect alice alice-secret "$HE_TMPDIR/oc-alice.log" ||
	tap_diag_file "$HE_TMPDIR/oc-alice.log"
tap_ok "alice's tunnel carries a ping" he_ping_inside
tap_ok "every show command parses with one session" every_show_parses
tap_ok "show session 1 has every field" ctl_json "
s = doc['session']
for key in ('id user group address peer_tcp peer_udp user_agent '
            'client_certificate tls dtls channels drops started '
            'last_activity reconnects').split():
    assert key in s, key
assert s['user'] == 'alice', s
assert s['address'] == '198.19.0.1', s
assert s['peer_tcp'].startswith('$CLIENT_ADDR:')
assert s['tls']['version'] in ('TLSv1.2', 'TLSv1.3'), s['tls']
assert s['tls']['cipher']
ch = s['channels']
assert ch['cstp']['packets_in'] + ch['dtls']['packets_in'] >= 1, ch
assert s['packets_in'] == ch['cstp']['packets_in'] + ch['dtls']['packets_in']
assert s['client_certificate']['subject'] is None
assert s['client_certificate']['issuer'] is None
assert s['reconnects'] == 0, s
assert s['connected'] is True, s" show session 1
tap_ok "show stats counts the login and the traffic" ctl_json "
assert doc['sessions']['now'] == 1, doc
assert doc['sessions']['peak'] == 1, doc
assert doc['logins']['succeeded'] == 1, doc
assert doc['handshakes']['tls']['succeeded'] >= 1, doc
assert doc['traffic']['bytes_in'] > 0, doc
assert doc['traffic']['bytes_out'] > 0, doc
assert doc['uptime'] >= 0" show stats

# ---- three sessions --------------------------------------------------------

oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" "$QUOTE_USER" \
	quote-secret "$HE_TMPDIR/oc-quote.log" --script "$ADDR_SCRIPT"
oc_connect "$NS_CLIENT" "https://$VPN_HOSTNAME/staff" "$UTF8_USER" \
	utf8-secret "$HE_TMPDIR/oc-utf8.log" --script "$ADDR_SCRIPT"
if ! wait_connected 3; then
	tap_diag_file "$HE_TMPDIR/oc-quote.log" 20
	tap_diag_file "$HE_TMPDIR/oc-utf8.log" 20
fi
tap_ok "three sessions are connected" test_connected_count 3
tap_ok "every show command parses with three sessions" every_show_parses

# The expected names travel as JSON through the environment.
export EXPECTED_USERS
EXPECTED_USERS=$(python3 -c \
	'import json, sys; print(json.dumps(sys.argv[1:]))' \
	alice "$QUOTE_USER" "$UTF8_USER")
tap_ok "usernames with a quote, backslash and UTF-8 round-trip" ctl_json "
import json, os
users = sorted(s['user'] for s in doc['sessions'])
assert users == sorted(json.loads(os.environ['EXPECTED_USERS'])), users" \
	show sessions
tap_ok "filter by the quoting username" ctl_json "
assert [s['user'] for s in doc['sessions']] == ['quo\"te\\\\back']" \
	show sessions user "$QUOTE_USER"
tap_ok "filter by the UTF-8 username" ctl_json "
assert len(doc['sessions']) == 1" show sessions user "$UTF8_USER"
tap_ok "filter by address" ctl_json "
assert [s['address'] for s in doc['sessions']] == ['198.19.0.2']" \
	show sessions address 198.19.0.2
tap_ok "filter by group" ctl_json "assert len(doc['sessions']) == 3" \
	show sessions group staff
tap_ok "stats show three sessions and the peak" ctl_json "
assert doc['sessions']['now'] == 3, doc
assert doc['sessions']['peak'] == 3, doc
assert doc['sessions']['connected'] == 3, doc" show stats
tap_ok "the table lists all three users" sh -c "
out=\$('$HEADENDCTL' -s '$HE_SOCKET' show sessions)
printf '%s\n' \"\$out\" | grep -qF 'alice' &&
printf '%s\n' \"\$out\" | grep -qF '$UTF8_USER' &&
printf '%s\n' \"\$out\" | grep -qF 'quo\"te' &&
printf '%s\n' \"\$out\" | grep -q '^3 session(s)\$'"

# ---- certificates ----------------------------------------------------------

# phone_hash FILE: base64(SHA-1(DER)), the certHash of a phone.
phone_hash() {
	openssl x509 -in "$1" -outform DER | openssl dgst -sha1 -binary |
		base64
}
SHA256=$(openssl x509 -in "$HE_TMPDIR/server.crt" -noout -fingerprint \
	-sha256 | cut -d= -f2)
tap_ok "certificate hashes match openssl" ctl_json "
c = doc['certificates'][0]
assert c['listener'] == '0.0.0.0:443', c['listener']
assert c['current']['phone_cert_hash'] == '$(phone_hash \
	"$HE_TMPDIR/server.crt")'
assert c['current']['sha256_fingerprint'] == '$SHA256'
assert c['current']['subject'] == 'CN=$VPN_HOSTNAME'
assert c['current']['names'] == ['DNS:$VPN_HOSTNAME'], c['current']
assert c['chain'] == [], c['chain']
assert 28 <= c['current']['days_left'] <= 30" show certificates
tap_ok "the next certificate is shown" ctl_json "
n = doc['certificates'][0]['next']
assert n['phone_cert_hash'] == '$(phone_hash "$HE_TMPDIR/next.crt")', n
assert n['subject'] == 'CN=next', n
assert n['path'] == '$HE_TMPDIR/next.crt', n
assert 398 <= n['days_left'] <= 400, n" show certificates

# ---- metrics ---------------------------------------------------------------

# A scraper that trickles one byte a second: the listener closes it 10 s
# after the accept. It runs in the background while the checks below do.
ip netns exec "$NS_HEADEND" python3 -c '
import socket, sys, time
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
start = time.monotonic()
try:
    for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\n" * 4:
        conn.sendall(bytes([byte]))
        time.sleep(1)
        if time.monotonic() - start > 25:
            break
except OSError:
    pass
print(round(time.monotonic() - start))
' "$METRICS_PORT" >"$HE_TMPDIR/trickle.txt" &
trickle_pid=$!

he_ctl metrics >"$HE_TMPDIR/metrics.txt"
tap_ok "headendctl metrics passes promtool" sh -c \
	"promtool check metrics <'$HE_TMPDIR/metrics.txt'"
tap_ok "metrics count the sessions and logins" python3 -c '
import re, sys
text = open(sys.argv[1]).read()
def value(sample):
    m = re.search("^" + re.escape(sample) + r" (\d+)$", text, re.M)
    assert m, sample
    return int(m.group(1))
assert value("headend_sessions{group=\"staff\"}") == 3
assert value("headend_sessions_connected") == 3
assert value("headend_logins_total{result=\"ok\"}") == 3
assert value("headend_pool_addresses_used{pool=\"staff\"}") == 3
assert value("headend_bytes_total{direction=\"in\"}") > 0
' "$HE_TMPDIR/metrics.txt"

fetch_metrics() {
	ip netns exec "$NS_HEADEND" python3 -c '
import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=5)
assert r.status == 200, r.status
ctype = r.headers["Content-Type"]
assert ctype.startswith("text/plain; version=0.0.4"), ctype
sys.stdout.write(r.read().decode("utf-8"))
' "http://127.0.0.1:$METRICS_PORT/metrics" >"$HE_TMPDIR/scrape.txt"
}
tap_ok "the HTTP listener serves /metrics" fetch_metrics
tap_ok "the scraped metrics pass promtool" sh -c \
	"promtool check metrics <'$HE_TMPDIR/scrape.txt'"
tap_ok "the HTTP listener answers 404 elsewhere" ip netns exec \
	"$NS_HEADEND" python3 -c '
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=5)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 404 else 1)
sys.exit(1)
' "http://127.0.0.1:$METRICS_PORT/"
tap_ok "the HTTP listener answers 405 to POST /metrics" ip netns exec \
	"$NS_HEADEND" python3 -c '
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], data=b"x=1", timeout=5)
except urllib.error.HTTPError as e:
    assert e.code == 405, e.code
    assert e.headers["Allow"] == "GET, HEAD", e.headers["Allow"]
    sys.exit(0)
sys.exit(1)
' "http://127.0.0.1:$METRICS_PORT/metrics"
wait "$trickle_pid" || true
tap_diag "trickling scraper kept for $(cat "$HE_TMPDIR/trickle.txt") s"
tap_ok "a trickling scraper is closed 10 s after the accept" test \
	"$(cat "$HE_TMPDIR/trickle.txt")" -le 13

# A scraper part-way through its request, then fifteen connections that
# send nothing, fill every slot. A scrape still gets its reply: the
# oldest connection that sent nothing is closed to make room, and the
# scraper that started first finishes its request and gets its reply.
tap_ok "a scrape gets through 15 idle connections and a slow one" \
	ip netns exec "$NS_HEADEND" python3 -c '
import socket, sys, urllib.request
url, port = sys.argv[1], int(sys.argv[2])
slow = socket.create_connection(("127.0.0.1", port))
slow.sendall(b"GET /metrics HTTP/1.1\r\n")
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(15)]
r = urllib.request.urlopen(url, timeout=5)
assert r.status == 200, r.status
slow.settimeout(5)
slow.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
reply = slow.recv(64)
assert reply.startswith(b"HTTP/1.0 200 "), reply
' "http://127.0.0.1:$METRICS_PORT/metrics" "$METRICS_PORT"
tap_ok "the log says an idle connection made room" file_contains \
	"$HE_LOG" "metrics: 16 connections were open, so the oldest that had sent no"

# ---- framing ---------------------------------------------------------------

# raw_exchange: send stdin to the status socket in one write, half-close
# as socat does after its input, and print the replies until the
# headend closes.
raw_exchange() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
s.settimeout(30)
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)' "$HE_SOCKET"
}

# Two commands on one connection, then a half-close: two reply lines
# arrive before the headend closes.
raw_two_commands() {
	set -o pipefail
	printf 'show stats\nbogus\n' | raw_exchange | python3 -c '
import json, sys
lines = sys.stdin.read().split("\n")
assert lines[-1] == "", "no newline after the last reply"
assert len(lines) == 3, lines
assert "uptime" in json.loads(lines[0]), lines[0]
assert json.loads(lines[1])["code"] == "unknown-command", lines[1]'
}
tap_ok "two commands on one connection get two lines" raw_two_commands

# A last line without LF before the half-close may be cut short, so it
# gets an error and does not run: the session stays.
raw_unterminated_logoff() {
	set -o pipefail
	printf 'logoff user al' | raw_exchange | python3 -c '
import json, sys
lines = sys.stdin.read().split("\n")[:-1]
assert len(lines) == 1, lines
assert "did not end in LF" in json.loads(lines[0])["error"], lines[0]'
}
tap_ok "a last line without LF gets an error" raw_unterminated_logoff

# Many short commands and then a half-close: every command gets its reply,
# in order, although the headend runs them in turns with other clients.
raw_many_commands() {
	set -o pipefail
	seq 0 2999 | raw_exchange | python3 -c '
import json, sys
count = 3000
lines = sys.stdin.read().split("\n")[:-1]
assert len(lines) == count, f"{len(lines)} replies to {count} commands"
for i, line in enumerate(lines):
    assert f"\"{i}\"" in json.loads(line)["error"], (i, line)'
}
tap_ok "3000 short commands and a half-close get 3000 replies" \
	raw_many_commands

# A NUL inside a line, and a whole line over the limit in one write, get
# errors instead of running the command. The long line also ends the
# connection, as a long line that arrives in pieces does.
raw_bad_lines() {
	set -o pipefail
	python3 -c '
import sys
sys.stdout.buffer.write(b"show\0 stats\n" + b"show sessions user "
                        + b"a" * 2000 + b"\nshow stats\n")' |
		raw_exchange | python3 -c '
import json, sys
lines = sys.stdin.read().split("\n")[:-1]
assert len(lines) == 2, lines
assert "control characters" in json.loads(lines[0])["error"], lines[0]
assert "longer than 1024 bytes" in json.loads(lines[1])["error"], lines[1]'
}
tap_ok "a long line and a NUL byte are rejected" raw_bad_lines

# ---- clients that do not read ----------------------------------------------

# flood.py SOCKET CLIENTS READY: connect CLIENTS times and send "help"
# on each connection without ever reading, until killed. READY is
# written after five seconds of this.
FLOOD="$HE_TMPDIR/flood.py"
cat >"$FLOOD" <<'EOF'
import socket, sys, time
path, count, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(count):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    socks.append(s)
chunk = b"help\n" * 200
start = time.monotonic()
while True:
    for s in socks:
        try:
            s.send(chunk)
        except OSError:
            pass
    if start is not None and time.monotonic() - start > 5:
        open(ready, "w").write("flooding\n")
        start = None
EOF

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

NET_PID=$(he_child_pid network)
RSS_BEFORE=$(rss_kib "$NET_PID")
spawn_in_ns "$NS_HEADEND" python3 "$FLOOD" "$HE_SOCKET" 60 \
	"$HE_TMPDIR/flood.ready" >"$HE_TMPDIR/flood.log" 2>&1
FLOOD_PID=$SPAWNED_PID
wait_until 20 test -e "$HE_TMPDIR/flood.ready" ||
	tap_diag_file "$HE_TMPDIR/flood.log"
RSS_FLOOD=$(rss_kib "$NET_PID")
tap_diag "network process RSS: $RSS_BEFORE KiB before, $RSS_FLOOD KiB" \
	"while 60 clients sent requests without reading"
# With replies paused at 256 KiB a connection, the replies for 60 clients
# take about 16 MiB. Without the pause each client could take 16 MiB.
tap_ok "RSS grows less than 64 MiB while 60 clients do not read" \
	test "$RSS_FLOOD" -lt $((RSS_BEFORE + 64 * 1024))
tap_ok "root's show stats is answered during the flood" ctl_json "
assert doc['uptime'] >= 0" show stats
pid_stop "$FLOOD_PID"

# ---- exit codes and --json for error replies -------------------------------

# exit_status WANT ARGS...: headendctl ARGS exits with WANT.
exit_status() {
	local want=$1 got=0

	shift
	"$HEADENDCTL" "$@" >/dev/null 2>&1 || got=$?
	[ "$got" -eq "$want" ] || { echo "exit $got, expected $want"; return 1; }
}
tap_ok "exit 5 for an unknown session" exit_status 5 -s "$HE_SOCKET" \
	show session 999
tap_ok "exit 2 for an unknown command" exit_status 2 -s "$HE_SOCKET" \
	show everything
tap_ok "exit 3 when the socket is missing" exit_status 3 \
	-s "$HE_TMPDIR/missing.sock" show sessions

# json_error_reply: --json prints the error reply of an unknown session
# on stdout, and still exits 5.
json_error_reply() {
	local got=0 out="$HE_TMPDIR/error.json"

	he_ctl --json show session 999 >"$out" 2>/dev/null || got=$?
	[ "$got" -eq 5 ] || { echo "exit $got, expected 5"; return 1; }
	python3 -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("\n"), repr(text)
assert text.count("\n") == 1, repr(text)
doc = json.loads(text)
assert doc["code"] == "not-found", doc
assert "999" in doc["error"], doc' "$out"
}
tap_ok "--json prints an error reply as it is" json_error_reply

# stderr_of WANT ARGS...: headendctl ARGS exits with WANT; print stderr.
stderr_of() {
	local want=$1 got=0 err

	shift
	err=$("$HEADENDCTL" -s "$HE_SOCKET" "$@" 2>&1 >/dev/null) || got=$?
	printf '%s\n' "$err"
	if [ "$got" -ne "$want" ]; then
		echo "exit $got, expected $want"
		return 1
	fi
}

invalid_unban() {
	local err

	err=$(stderr_of 2 unban notanip) || { echo "$err"; return 1; }
	grep -qF 'invalid address "notanip"' <<<"$err"
}
tap_ok "unban of an invalid address exits 2 as invalid" invalid_unban

# escaped_argument: a DEL in an argument is shown as \x7f, not raw.
escaped_argument() {
	local err

	err=$(stderr_of 2 show sessions user $'a\x7fb') ||
		{ echo "$err"; return 1; }
	printf '%s\n' "$err"
	grep -qF 'a\x7fb' <<<"$err" && ! grep -q $'\x7f' <<<"$err"
}
tap_ok "an invalid argument is shown escaped" escaped_argument

# --json may follow the command; -s without a path names what it needs.
tap_ok "--json after the command gives JSON" sh -c \
	"'$HEADENDCTL' -s '$HE_SOCKET' show stats --json | python3 -m json.tool"
socket_missing() {
	local err got=0

	err=$("$HEADENDCTL" -s 2>&1) || got=$?
	printf '%s\n' "$err"
	[ "$got" -eq 2 ] && grep -qF -- '-s needs the path of the status socket' \
		<<<"$err"
}
tap_ok "-s without a path exits 2 and says so" socket_missing
not_a_socket() {
	local err got=0

	err=$("$HEADENDCTL" -s "$HE_CONF" show stats 2>&1) || got=$?
	printf '%s\n' "$err"
	[ "$got" -eq 3 ] && grep -qF "$HE_CONF is not a socket" <<<"$err"
}
tap_ok "-s naming a file that is not a socket says so" not_a_socket
json_local() {
	local err got=0

	err=$("$HEADENDCTL" --json cert-hash "$HE_TMPDIR/server.crt" 2>&1) ||
		got=$?
	printf '%s\n' "$err"
	[ "$got" -eq 2 ] && grep -qF -- '--json is for commands that the' \
		<<<"$err"
}
tap_ok "--json with a local command exits 2 and says so" json_local
tap_done
