#!/bin/bash
# make bench: run headend and ocserv one after the other in the same three
# network namespaces (tests/integ/lib.sh), on the same port, with the same
# openconnect client, certificate and password hash, and write the
# results side by side to BENCHMARKS.md. It measures:
#   (a) connect time of one openconnect client, from its start to the
#       first ping answered;
#   (b) iperf3 TCP throughput through one tunnel, over DTLS and TLS only;
#   (c) server CPU seconds per GB forwarded in (b);
#   (d) memory (PSS, summed over all server processes) with idle sessions,
#       and with connections that send nothing;
#   (e) new sessions per second;
#   (f) added latency of a voice-like stream while another session
#       saturates the link, against the same stream without the VPN;
#   (g) a power-cut storm: N phones log in at once, each within 30 s.
# Every knob is an environment variable named BENCH_*, listed below. All
# traffic stays inside the namespaces this script creates, and every
# process it starts ends with it.
set -eu -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_DIR/../.." && pwd)
# The run's files live under /var/tmp, apart from the temporary folders
# of integration tests that may run at the same time.
mkdir -p /var/tmp/headend-bench
export TMPDIR=/var/tmp/headend-bench
# shellcheck source=../integ/lib.sh
. "$TOP/tests/integ/lib.sh"

BUILD=${HEADEND_BUILD:-$TOP/build}
HEADEND="$BUILD/headend"
HEADENDCTL="$BUILD/headendctl"
LOADGEN="$BUILD/tests/loadgen"
UDPECHO="$BUILD/tests/udpecho"
RCVBUF_PRELOAD="$BUILD/tests/rcvbuf.so"

: "${BENCH_OUT:=$TOP/BENCHMARKS.md}"
: "${BENCH_SERVERS:=headend ocserv}"
: "${BENCH_STORM:=10000}"		# phones in the power-cut storm
# The last idle level is 50,000, or as close to it as one process's hard
# limit on open files allows: the loadgen and the network process each
# hold a descriptor per session.
BENCH_IDLE_TOP=$(( ($(ulimit -Hn) - 1000) / 1000 * 1000 ))
[ "$BENCH_IDLE_TOP" -le 50000 ] || BENCH_IDLE_TOP=50000
: "${BENCH_IDLE_LEVELS:=0 100 1000 10000 $BENCH_IDLE_TOP}"
: "${BENCH_SILENT:=2000}"		# connections that send nothing
: "${BENCH_RATE_COUNT:=2000}"		# sessions for the rate test
: "${BENCH_RATE_CONCURRENCY:=100}"	# logins in flight in the rate test
: "${BENCH_CONNECT_RUNS:=5}"		# openconnect connects to time
: "${BENCH_IPERF_SECONDS:=10}"
: "${BENCH_VOICE_SECONDS:=20}"
: "${BENCH_SERVER_CPUS:=1}"		# taskset list for the server
# headend's worker threads: one per server CPU unless set.
: "${BENCH_WORKERS:=$(taskset -c "$BENCH_SERVER_CPUS" nproc)}"
: "${BENCH_CLIENT_CPUS:=0}"		# clients: openconnect, loadgen, iperf3
: "${BENCH_INSIDE_CPUS:=0}"		# inside host: iperf3 -s, udpecho
: "${BENCH_HASH:=sha512}"		# sha512 or yescrypt
: "${BENCH_SETUP_MAX_TIME:=150}"	# seconds a load setup may take
: "${BENCH_MEM_FLOOR_MB:=4096}"		# stop a load below this MemAvailable
: "${BENCH_PROFILE:=1}"			# perf profiles of the server core
# Parts to run, for a quick look at one figure; the report marks the rest
# as not measured.
: "${BENCH_PARTS:=connect tput shared ceiling voice rate idle silent storm \
	threads}"
# The threads part: headend alone, on these CPUs, with 1 and 2 workers.
: "${BENCH_THREADS_CPUS:=0-$(($(nproc) - 1))}"
: "${BENCH_THREADS_STORM:=$BENCH_STORM}"

BENCH_USER=bench
BENCH_PASSWORD=bench-password-7
SERVER_PORT=443
ECHO_PORT=7
EXTRA_SOURCES="198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13"
TUN_ADDR=198.19.255.254
# TLS 1.2 and 1.3 in ocserv, as in headend's default configuration.
OCSERV_TLS="NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0:-VERS-TLS1.0"
OCSERV_TLS="$OCSERV_TLS:-VERS-TLS1.1"

RESULTS="$HE_TMPDIR/results.txt"
SERVER_PID=
SERVER_LOG=
OC_PID=

log() {
	printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# record KEY VALUE...: one result line for report.py; the values are
# joined with spaces.
record() {
	local key=$1

	shift
	printf '%s\t%s\n' "$key" "$*" >>"$RESULTS"
}

# json_get FILE PATH: a field, by dotted path, of a JSON document (iperf3)
# or of the last line of a file (loadgen); "" if absent.
json_get() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        text = f.read().strip()
    try:
        v = json.loads(text)
    except ValueError:
        v = json.loads(text.splitlines()[-1])
    for k in sys.argv[2].split("."):
        v = v[k]
    print(v)
except Exception:
    print("")
EOF
}

in_client() {
	ip netns exec "$NS_CLIENT" taskset -c "$BENCH_CLIENT_CPUS" "$@"
}

# ---- measuring server processes ------------------------------------------

server_pids() {
	ip netns pids "$NS_HEADEND" 2>/dev/null || true
}

# CPU ticks of one process and its reaped children.
pid_ticks() {
	{ sed 's/.*) //' "/proc/$1/stat"; } 2>/dev/null |
		awk '{ t = $12 + $13 + $14 + $15 } END { print t + 0 }' ||
		true
}

# server_cpu: CPU seconds used so far by all processes in the headend
# namespace, that is by the server under test and nothing else.
server_cpu() {
	local pid total=0 t

	for pid in $(server_pids); do
		t=$(pid_ticks "$pid")
		total=$((total + ${t:-0}))
	done
	awk -v t="$total" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", t / hz }'
}

pid_cpu() {
	awk -v t="$(pid_ticks "$1")" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", t / hz }'
}

# core_ticks CPULIST: "busy total" clock ticks so far, summed over the
# CPUs of a taskset list such as 0 or 0-1,3. Busy is all but idle and
# iowait.
core_ticks() {
	python3 - "$1" <<'EOF'
import sys
cpus = set()
for part in sys.argv[1].split(","):
    lo, _, hi = part.partition("-")
    cpus.update(range(int(lo), int(hi or lo) + 1))
busy = total = 0
with open("/proc/stat") as f:
    for line in f:
        name, *ticks = line.split()
        if name.startswith("cpu") and name[3:] and int(name[3:]) in cpus:
            ticks = [int(t) for t in ticks[:8]]
            total += sum(ticks)
            busy += sum(ticks) - ticks[3] - ticks[4]
print(busy, total)
EOF
}

# core_busy BEFORE AFTER: percent busy between two core_ticks readings.
core_busy() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		t = y[2] - x[2]
		printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }'
}

# cpu_by_role FILE: one line per server process: role and CPU ticks.
cpu_by_role() {
	local pid role

	for pid in $(server_pids); do
		role=$(server_role "$pid")
		[ -n "$role" ] || continue
		printf '%s %s\n' "$role" "$(pid_ticks "$pid")"
	done >"$1"
}

# server_role PID: which part of the server the process is.
server_role() {
	local pid=$1

	if [ "$pid" = "$SERVER_PID" ]; then
		echo main
	elif grep -q "authd\[$pid\]" "$SERVER_LOG" 2>/dev/null; then
		echo authd
	elif grep -q "network\[$pid\]" "$SERVER_LOG" 2>/dev/null; then
		echo network
	else
		{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null |
			awk '{ print $1 }' |
			sed 's|.*/||; s/[^A-Za-z0-9_-]/_/g' || true
	fi
}

# cpu_role_delta BEFORE AFTER: CPU seconds per role between two samples.
cpu_role_delta() {
	awk -v hz="$(getconf CLK_TCK)" '
		FNR == NR { before[$1] += $2; next }
		{ after[$1] += $2 }
		END {
			for (r in after)
				printf "%s=%.1f s ", r,
				    (after[r] - before[r]) / hz
		}' "$1" "$2"
}

# server_memory: "PSS_KB RSS_KB PROCESSES" over the server's processes.
server_memory() {
	local pid pss=0 rss=0 n=0 p r

	for pid in $(server_pids); do
		read -r p r < <({ cat "/proc/$pid/smaps_rollup"; } 2>/dev/null |
			awk '/^Pss:/ { p = $2 } /^Rss:/ { r = $2 }
			END { print p + 0, r + 0 }' || true)
		pss=$((pss + p))
		rss=$((rss + r))
		n=$((n + 1))
	done
	echo "$pss $rss $n"
}

# mbps FILE: the receiver's rate in an iperf3 JSON report, in Mbit/s.
mbps() {
	awk -v b="$(json_get "$1" end.sum_received.bits_per_second)" \
		'BEGIN { printf "%.0f", b / 1e6 }'
}

mem_available_mb() {
	awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo
}

established_sessions() {
	ip netns exec "$NS_HEADEND" ss -Htn state established \
		"( sport = :$SERVER_PORT )" | wc -l
}

# ---- setup -----------------------------------------------------------------

bench_require() {
	local cmd

	if [ "$(id -u)" -ne 0 ]; then
		echo "make bench must run as root" >&2
		exit 1
	fi
	for cmd in openconnect iperf3 openssl taskset chrt python3 perf; do
		command -v "$cmd" >/dev/null 2>&1 || {
			echo "bench: $cmd is missing: run make deps" >&2
			exit 1
		}
	done
	for cmd in "$HEADEND" "$LOADGEN" "$UDPECHO" "$RCVBUF_PRELOAD"; do
		[ -x "$cmd" ] || { echo "bench: $cmd is missing: run make" \
			"bench" >&2; exit 1; }
	done
}

# Install Debian's ocserv if it is missing, without letting the package
# start its service, which would take port 443 outside our namespaces.
ocserv_install() {
	local policy=/usr/sbin/policy-rc.d created=

	command -v ocserv >/dev/null 2>&1 && return 0
	log "installing the ocserv package; its service stays stopped"
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		created=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends ocserv >"$HE_TMPDIR/apt.log" 2>&1 || {
		apt-get update -q >>"$HE_TMPDIR/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends ocserv \
			>>"$HE_TMPDIR/apt.log" 2>&1
	}
	[ -z "$created" ] || rm -f "$policy"
	systemctl disable ocserv.service >/dev/null 2>&1 || true
}

# Only ocserv processes that this script starts may run: one from the
# package's service would mix its numbers into ours.
ocserv_check_foreign() {
	if pgrep -x ocserv >/dev/null 2>&1; then
		echo "bench: an ocserv process is already running" \
			"(pgrep -x ocserv); stop it (systemctl stop" \
			"ocserv) and run make bench again" >&2
		exit 1
	fi
}

make_hash() {
	local users="$HE_TMPDIR/hash-users"

	case $BENCH_HASH in
	sha512)
		openssl passwd -6 "$BENCH_PASSWORD" ;;
	yescrypt)
		printf '%s\n' "$BENCH_PASSWORD" | "$HEADENDCTL" user add \
			-f "$users" "$BENCH_USER" >/dev/null
		cut -d: -f2 "$users" ;;
	*)
		echo "bench: BENCH_HASH must be sha512 or yescrypt" >&2
		exit 1 ;;
	esac
}

bench_setup() {
	local a

	ulimit -n "$(ulimit -Hn)"
	netns_setup
	# A headend for phones queues a storm of connections instead of
	# dropping them; both servers get the same, larger limit.
	ip netns exec "$NS_HEADEND" sysctl -qw net.core.somaxconn=65535 \
		net.ipv4.tcp_max_syn_backlog=65535
	# The ocserv workers run as user ocserv and reach their sockets here.
	chmod 711 "$HE_TMPDIR"
	for a in $EXTRA_SOURCES; do
		ip -n "$NS_CLIENT" addr add "$a/24" dev veth-c
	done
	make_ca_and_server_cert "$HE_TMPDIR" "$VPN_HOSTNAME" >/dev/null
	OC_SERVERCERT=$(cert_sha256_pin "$HE_TMPDIR/server.crt")
	printf '%s\n' "$BENCH_PASSWORD" >"$HE_TMPDIR/password"
	HASH=$(make_hash)
	printf '%s:%s\n' "$BENCH_USER" "$HASH" >"$HE_TMPDIR/users"
	printf '%s:*:%s\n' "$BENCH_USER" "$HASH" >"$HE_TMPDIR/ocpasswd"
	chmod 644 "$HE_TMPDIR/users" "$HE_TMPDIR/ocpasswd"
	getent passwd headend >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin headend
	spawn_in_ns "$NS_INSIDE" taskset -c "$BENCH_INSIDE_CPUS" \
		iperf3 -s -p 5201 >"$HE_TMPDIR/iperf3-server.log" 2>&1
	INSIDE_IPERF_PID=$SPAWNED_PID
	spawn_in_ns "$NS_INSIDE" taskset -c "$BENCH_INSIDE_CPUS" \
		chrt -f 10 "$UDPECHO" --port "$ECHO_PORT" --max-time 3600 \
		>"$HE_TMPDIR/udpecho.log" 2>&1
	wait_tcp_listen "$NS_INSIDE" 5201
	wait_udp_listen "$NS_INSIDE" "$ECHO_PORT"
}

# ---- the two servers -------------------------------------------------------

# The limits section lifts the per-source limits and bans, because the
# generator's thousands of clients share five source addresses while real
# phones each have their own. A headend without that section gets none.
HEADEND_LIMITS='limits = { connections-per-source = 0;
	logins-per-source = 0; ban-user-threshold = 0;
	ban-address-threshold = 0; };'

write_headend_config() {
	write_headend_config_with "$HEADEND_LIMITS"
	if ! "$HEADEND" -t -c "$HE_TMPDIR/headend.conf" >/dev/null 2>&1; then
		log "headend has no limits section; running with its defaults"
		write_headend_config_with ""
	fi
}

write_headend_config_with() {
	cat >"$HE_TMPDIR/headend.conf" <<CONF
user = "headend";
status-socket = "$HE_TMPDIR/status.sock";
workers = $BENCH_WORKERS;
state-file = "$HE_TMPDIR/state";
listeners = ( { certificate = "server.crt"; key = "server.key"; } );
tun = { name = "headend0"; address = "$TUN_ADDR"; };
pools = ( { name = "bench"; network = "198.19.0.0/16"; } );
group-policies = ( { name = "all"; dns = [ "$TUN_ADDR" ];
	keepalive = 20; dpd = 30; simultaneous-logins = 1000000;
	data-mtu = 1500; } );
tunnel-groups = ( { name = "staff";
	group-urls = [ "https://$VPN_HOSTNAME/staff" ];
	authentication = "password"; user-file = "users";
	pool = "bench"; group-policy = "all"; } );
$1
CONF
}

# ocserv 1.1.6 with its small defaults lifted: no client limits, no rate
# limit, no ban score; workers not isolated; timers as headend's.
write_ocserv_config() {
	cat >"$HE_TMPDIR/ocserv.conf" <<CONF
auth = "plain[passwd=$HE_TMPDIR/ocpasswd]"
tcp-port = $SERVER_PORT
udp-port = $SERVER_PORT
run-as-user = ocserv
run-as-group = ocserv
socket-file = $HE_TMPDIR/ocserv-socket
occtl-socket-file = $HE_TMPDIR/occtl.socket
use-occtl = true
pid-file = $HE_TMPDIR/ocserv.pid
server-cert = $HE_TMPDIR/server.crt
server-key = $HE_TMPDIR/server.key
isolate-workers = false
max-clients = 0
max-same-clients = 0
rate-limit-ms = 0
max-ban-score = 0
keepalive = 20
dpd = 30
mobile-dpd = 30
switch-to-tcp-timeout = 25
try-mtu-discovery = false
tls-priorities = "$OCSERV_TLS"
auth-timeout = 240
cookie-timeout = 300
deny-roaming = false
rekey-time = 172800
rekey-method = ssl
log-level = 1
device = vpns
predictable-ips = true
ipv4-network = 198.19.0.0
ipv4-netmask = 255.255.0.0
dns = $TUN_ADDR
ping-leases = false
cisco-client-compat = true
dtls-legacy = true
CONF
}

server_url() {
	case $1 in
	headend) echo "https://$VPN_HOSTNAME/staff" ;;
	ocserv) echo "https://$VPN_HOSTNAME/" ;;
	esac
}

server_path() {
	case $1 in
	headend) echo /staff ;;
	ocserv) echo / ;;
	esac
}

server_start() {
	local name=$1

	SERVER_LOG="$HE_TMPDIR/$name.log"
	case $name in
	headend)
		write_headend_config
		# Each part starts with no sessions, as ocserv does,
		# because a restart would otherwise restore the last part's.
		rm -f "$HE_TMPDIR/state" "$HE_TMPDIR/state.key"
		spawn_in_ns "$NS_HEADEND" taskset -c "$BENCH_SERVER_CPUS" \
			"$HEADEND" -f -c "$HE_TMPDIR/headend.conf" \
			>"$SERVER_LOG" 2>&1
		SERVER_PID=$SPAWNED_PID
		wait_file_contains "$SERVER_LOG" 'network.*ready' 15 ;;
	ocserv)
		write_ocserv_config
		spawn_in_ns "$NS_HEADEND" taskset -c "$BENCH_SERVER_CPUS" \
			ocserv -f -c "$HE_TMPDIR/ocserv.conf" \
			>"$SERVER_LOG" 2>&1
		SERVER_PID=$SPAWNED_PID
		wait_file_contains "$SERVER_LOG" 'sec-mod initialized' 15 ;;
	esac
	wait_tcp_listen "$NS_HEADEND" "$SERVER_PORT" 15
}

no_server_left() {
	[ -z "$(server_pids)" ] && ! tcp_listening "$NS_HEADEND" "$SERVER_PORT"
}

server_stop() {
	[ -n "$SERVER_PID" ] || return 0
	pid_stop "$SERVER_PID"
	SERVER_PID=
	wait_until 10 no_server_left || netns_kill_leftovers "$NS_HEADEND"
	wait_until 10 no_server_left
}

server_restart() {
	server_stop
	server_start "$1"
}

# ---- openconnect -----------------------------------------------------------

# oc_start NAME LOG [ARGS...]: start openconnect to server NAME on the
# client core, with LD_PRELOAD=$OC_PRELOAD when that is set.
oc_start() {
	local name=$1 log=$2 script preload=()

	shift 2
	script=$(oc_script_path)
	[ -z "${OC_PRELOAD:-}" ] || preload=(env "LD_PRELOAD=$OC_PRELOAD")
	spawn_in_ns_with_input "$NS_CLIENT" "$BENCH_PASSWORD" \
		taskset -c "$BENCH_CLIENT_CPUS" "${preload[@]}" \
		openconnect -v --non-inter \
		--passwd-on-stdin --no-proxy --user "$BENCH_USER" \
		--script "$script" --servercert "$OC_SERVERCERT" \
		--resolve "$VPN_HOSTNAME:$HEADEND_OUTSIDE_ADDR" \
		"$@" "$(server_url "$name")" >"$log" 2>&1
	OC_PID=$SPAWNED_PID
}

tunnel_ready() {
	tun_device "$NS_CLIENT" >/dev/null &&
		[ -n "$(ip -n "$NS_CLIENT" route show default)" ]
}

tunnel_gone() {
	! tun_device "$NS_CLIENT" >/dev/null
}

oc_stop() {
	[ -n "$OC_PID" ] || return 0
	pid_stop "$OC_PID"
	OC_PID=
	wait_until 10 tunnel_gone || true
}

dtls_connected() {
	grep -Eq 'Established DTLS connection|DTLS connected' "$1"
}

# ---- (a) connect time --------------------------------------------------------

connect_once() {
	local name=$1 i=$2 probe="$HE_TMPDIR/probe-$1-$2.json" t0 pid reply

	spawn_in_ns "$NS_CLIENT" "$LOADGEN" --mode probe \
		--target "$INSIDE_ADDR" --max-time 15 >"$probe" 2>/dev/null
	pid=$SPAWNED_PID
	sleep 0.1
	t0=$EPOCHREALTIME
	oc_start "$name" "$HE_TMPDIR/oc-connect-$name-$i.log"
	wait "$pid" || true
	oc_stop
	reply=$(json_get "$probe" first_reply_realtime)
	[ "$(json_get "$probe" answered)" = True ] || return 1
	# The report splits each connect by headend's log times.
	printf '%s %s\n' "$t0" "$reply" >>"$HE_TMPDIR/$name-connect-times.txt"
	awk -v a="$reply" -v b="$t0" 'BEGIN { printf "%.1f\n", (a - b) * 1000 }'
}

measure_connect() {
	local name=$1 i ms times=()

	for ((i = 0; i < BENCH_CONNECT_RUNS; i++)); do
		if ms=$(connect_once "$name" "$i"); then
			times+=("$ms")
		fi
	done
	log "$name: connect times (ms): ${times[*]:-none}"
	if [ "${#times[@]}" -eq 0 ]; then
		record "$name.connect_ms" "failed"
		return
	fi
	record "$name.connect_ms" "$(printf '%s\n' "${times[@]}" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
	record "$name.connect_ms_all" "${times[*]}"
}

# ---- (b), (c) throughput and CPU per GB ------------------------------------

profile_start() {
	PERF_PID=
	[ "$BENCH_PROFILE" = 1 ] || return 0
	perf record -q -e cpu-clock -F 999 -C "$BENCH_SERVER_CPUS" -g \
		-o "$1" -- sleep "$2" >/dev/null 2>&1 &
	PERF_PID=$!
}

# server_comms: the command names of the server's processes, for perf.
server_comms() {
	local pid

	for pid in $(server_pids); do
		cat "/proc/$pid/comm" 2>/dev/null || true
	done | sort -u | paste -sd, -
}

# profile_report DATA OUT: the top symbols of the server's processes on
# the server core; other processes that ran there are left out.
profile_report() {
	[ -n "${PERF_PID:-}" ] || return 0
	wait "$PERF_PID" || true
	perf report -i "$1" --stdio --no-children --sort comm,dso,sym \
		--comms "$PROFILE_COMMS" --percentage relative \
		--percent-limit 1.5 -g none \
		2>/dev/null |
		grep -E '^ +[0-9]' | head -25 >"$2" || true
	# With --comms, "--sort dso" alone drops the kernel's samples, so
	# the command is a sort key too.
	perf report -i "$1" --stdio --no-children --sort comm,dso \
		--comms "$PROFILE_COMMS" --percentage relative \
		--percent-limit 2 -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -8 >"${2%.txt}.dso" || true
	# Samples under process_backlog are the veth receive of the client's
	# and the inside host's namespaces, which the kernel runs in the
	# server's system calls: on a real network, another host's work.
	perf report -i "$1" --stdio --children --sort sym \
		--comms "$PROFILE_COMMS" --percentage relative -g none \
		2>/dev/null | awk '$NF == "process_backlog" { print $1 }' |
		head -n 1 >"${2%.txt}.peer" || true
	# The idle task's share shows whether the server core was the limit.
	perf report -i "$1" --stdio --no-children --sort comm -g none \
		2>/dev/null | awk '$2 == "swapper" { print $1 }' \
		>"${2%.txt}.idle" || true
}

# client_udp_drops: datagrams that the client namespace's kernel dropped
# so far because a UDP socket's receive buffer was full.
client_udp_drops() {
	ip netns exec "$NS_CLIENT" nstat -asz 2>/dev/null |
		awk '$1 == "UdpRcvbufErrors" { n = $2 } END { print n + 0 }'
}

# client_tun_drops: packets that the client's tun device dropped so far
# because openconnect did not read them before its queue was full.
client_tun_drops() {
	ip netns exec "$NS_CLIENT" ip -s -j link show dev tun0 2>/dev/null |
		python3 -c 'import json, sys
try:
    print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])
except Exception:
    print(0)'
}

# gro_datagrams NAME: the DTLS datagrams that headend's sockets received
# merged by UDP GRO so far, or 0 for ocserv.
gro_datagrams() {
	[ "$1" = headend ] || { echo 0; return; }
	"$HEADENDCTL" -s "$HE_TMPDIR/status.sock" --json show stats \
		2>/dev/null | python3 -c 'import json, sys
try:
    print(json.load(sys.stdin)["handshakes"]["dtls"]["gro_datagrams"])
except Exception:
    print(0)'
}

# measure_throughput NAME KIND [PREFIX]: KIND is dtls or tls, for data
# from the client to the inside host, or dtls_down or tls_down for the
# reverse. PREFIX goes before KIND in the result keys and file names.
measure_throughput() {
	local name=$1 kind=$2 tag=${3:-}$2
	local log="$HE_TMPDIR/oc-$1-$tag.log"
	local json="$HE_TMPDIR/iperf-$1-$tag.json" args=() c0 c1 o0 o1 bytes
	local d0 d1 q0 q1 k0 k1 s0 s1 g0 g1
	local reverse=()

	case $kind in
	tls*) args=(--no-dtls) ;;
	esac
	case $kind in
	*_down) reverse=(-R) ;;
	esac
	oc_start "$name" "$log" "${args[@]}"
	if ! wait_until 20 tunnel_ready; then
		record "$name.tput_$tag" "failed"
		oc_stop
		return
	fi
	sleep 2
	if [ "${kind%_down}" = dtls ] && ! dtls_connected "$log"; then
		log "$name: DTLS did not come up; DTLS throughput not available"
		record "$name.tput_$tag" "n/a"
		oc_stop
		return
	fi
	c0=$(server_cpu)
	o0=$(pid_cpu "$OC_PID")
	d0=$(client_udp_drops)
	q0=$(client_tun_drops)
	k0=$(core_ticks "$BENCH_CLIENT_CPUS")
	s0=$(core_ticks "$BENCH_SERVER_CPUS")
	g0=$(gro_datagrams "$name")
	profile_start "$HE_TMPDIR/perf-$name-$tag.data" \
		"$((BENCH_IPERF_SECONDS - 1))"
	in_client iperf3 -c "$INSIDE_ADDR" -p 5201 -t "$BENCH_IPERF_SECONDS" \
		"${reverse[@]}" -J >"$json" 2>&1 || true
	c1=$(server_cpu)
	o1=$(pid_cpu "$OC_PID")
	d1=$(client_udp_drops)
	q1=$(client_tun_drops)
	k1=$(core_ticks "$BENCH_CLIENT_CPUS")
	s1=$(core_ticks "$BENCH_SERVER_CPUS")
	g1=$(gro_datagrams "$name")
	PROFILE_COMMS=$(server_comms)
	profile_report "$HE_TMPDIR/perf-$name-$tag.data" \
		"$HE_TMPDIR/profile-$name-$tag.txt"
	oc_stop
	bytes=$(json_get "$json" end.sum_received.bytes)
	[ -n "$bytes" ] || { record "$name.tput_$tag" "failed"; return; }
	record "$name.tput_$tag" "$(mbps "$json")"
	record "$name.cpu_per_gb_$tag" "$(awk -v c="$c1" -v d="$c0" \
		-v b="$bytes" 'BEGIN { printf "%.2f", (c - d) / (b / 1e9) }')"
	record "$name.client_cpu_$tag" "$(awk -v c="$o1" -v d="$o0" \
		'BEGIN { printf "%.1f", c - d }')"
	record "$name.retransmits_$tag" "$(json_get "$json" \
		end.sum_sent.retransmits)"
	record "$name.client_udp_drops_$tag" "$((d1 - d0))"
	record "$name.client_tun_drops_$tag" "$((q1 - q0))"
	record "$name.client_core_busy_$tag" "$(core_busy "$k0" "$k1")"
	record "$name.server_core_busy_$tag" "$(core_busy "$s0" "$s1")"
	record "$name.gro_datagrams_$tag" "$((g1 - g0))"
}

# measure_shared NAME: the four throughput runs again with the inside
# host's iperf3 moved to the server's core. There a server that needs
# less CPU per GB leaves more of that core to the stream, while in the
# runs above the client's core or its losses set the rate.
measure_shared() {
	local kind

	taskset -a -cp "$BENCH_SERVER_CPUS" "$INSIDE_IPERF_PID" >/dev/null
	for kind in dtls tls dtls_down tls_down; do
		BENCH_PROFILE=0 measure_throughput "$1" "$kind" shared_
	done
	taskset -a -cp "$BENCH_INSIDE_CPUS" "$INSIDE_IPERF_PID" >/dev/null
}

# measure_ceiling NAME: DTLS to the client again, with openconnect's UDP
# receive buffer at 4 MiB, so that the client's kernel drops nothing
# while openconnect waits for its core: the rate the client's core
# carries when no datagram is lost.
measure_ceiling() {
	# The report gives net.core.rmem_max, which caps the buffer.
	record meta.client_rmem_max \
		"$(ip netns exec "$NS_CLIENT" cat /proc/sys/net/core/rmem_max)"
	OC_PRELOAD=$RCVBUF_PRELOAD BENCH_PROFILE=0 \
		measure_throughput "$1" dtls_down ceiling_
}

# ---- (f) voice latency under load ------------------------------------------

# The voice session's DTLS offer (loadgen --dtls): psk as openconnect and
# ocserv use it, or none to send the stream over CSTP.
: "${BENCH_VOICE_DTLS:=psk}"

# voice_run OUT MODE [ARGS...]: one voice stream for BENCH_VOICE_SECONDS.
voice_run() {
	local out=$1 mode=$2

	shift 2
	ip netns exec "$NS_CLIENT" taskset -c "$BENCH_CLIENT_CPUS" \
		chrt -f 10 "$LOADGEN" --mode "$mode" --count 1 \
		--target "$INSIDE_ADDR:$ECHO_PORT" \
		--hold "$BENCH_VOICE_SECONDS" \
		--max-time "$((BENCH_VOICE_SECONDS + 30))" "$@" \
		>"$out" 2>>"$HE_TMPDIR/loadgen.log" || true
}

# iperf_load_start: an unlimited iperf3 TCP stream that outlasts a voice run.
iperf_load_start() {
	spawn_in_ns "$NS_CLIENT" taskset -c "$BENCH_CLIENT_CPUS" \
		iperf3 -c "$INSIDE_ADDR" -p 5201 \
		-t "$((BENCH_VOICE_SECONDS + 4))" -J >"$1" 2>&1
	IPERF_PID=$SPAWNED_PID
	sleep 2
}

record_voice() {
	local key=$1 json=$2 p

	for p in p50 p99 p99_9; do
		record "$key.$p" "$(json_get "$json" "voice.rtt_ms.$p")"
	done
	record "$key.lost" "$(json_get "$json" voice.lost)"
	record "$key.sent" "$(json_get "$json" voice.sent)"
}

# record_voice_dtls NAME KEY JSON: whether the VPN voice session had DTLS
# up, and how many of its packets went over DTLS.
record_voice_dtls() {
	local name=$1 key=$2 json=$3 up

	up=$(json_get "$json" dtls.up)
	if [ "$BENCH_VOICE_DTLS" = none ]; then
		record "$key.dtls" "off"
		return
	fi
	if [ "$up" = 1 ]; then
		record "$key.dtls" "up"
	else
		log "$name: DTLS did not come up for the voice session" \
			"(dtls.up=${up:-none}); its stream went over CSTP"
		record "$key.dtls" "failed"
	fi
	record "$key.dtls_data" "$(json_get "$json" dtls.data_sent)" \
		"$(json_get "$json" dtls.data_received)"
}

direct_routes() {
	ip -n "$NS_CLIENT" route "$1" 198.18.1.0/24 via "$HEADEND_OUTSIDE_ADDR"
	ip -n "$NS_INSIDE" route "$1" 198.18.0.0/24 via "$HEADEND_INSIDE_ADDR"
}

# The baseline: the same stream and load routed by the headend namespace's
# kernel, with no VPN server involved.
measure_voice_baseline() {
	direct_routes add
	voice_run "$HE_TMPDIR/voice-direct-idle.json" direct
	record_voice direct.voice_idle "$HE_TMPDIR/voice-direct-idle.json"
	iperf_load_start "$HE_TMPDIR/iperf-direct-load.json"
	voice_run "$HE_TMPDIR/voice-direct-load.json" direct
	wait "$IPERF_PID" || true
	record_voice direct.voice_load "$HE_TMPDIR/voice-direct-load.json"
	record direct.load_mbps "$(mbps "$HE_TMPDIR/iperf-direct-load.json")"
	direct_routes del
}

measure_voice() {
	local name=$1 json="$HE_TMPDIR/voice-$1-load.json"

	voice_run "$HE_TMPDIR/voice-$name-idle.json" voice \
		--server "$HEADEND_OUTSIDE_ADDR" \
		--path "$(server_path "$name")" --user "$BENCH_USER" \
		--password-file "$HE_TMPDIR/password" \
		--dtls "$BENCH_VOICE_DTLS"
	record_voice "$name.voice_idle" "$HE_TMPDIR/voice-$name-idle.json"
	record_voice_dtls "$name" "$name.voice_idle" \
		"$HE_TMPDIR/voice-$name-idle.json"
	oc_start "$name" "$HE_TMPDIR/oc-$name-voice.log"
	if ! wait_until 20 tunnel_ready; then
		record "$name.voice_load.p50" failed
		oc_stop
		return
	fi
	iperf_load_start "$HE_TMPDIR/iperf-$name-load.json"
	voice_run "$json" voice --server "$HEADEND_OUTSIDE_ADDR" \
		--path "$(server_path "$name")" --user "$BENCH_USER" \
		--password-file "$HE_TMPDIR/password" \
		--dtls "$BENCH_VOICE_DTLS"
	wait "$IPERF_PID" || true
	oc_stop
	record_voice "$name.voice_load" "$json"
	record_voice_dtls "$name" "$name.voice_load" "$json"
	record "$name.load_mbps" "$(mbps "$HE_TMPDIR/iperf-$name-load.json")"
}

# ---- loads from the generator ----------------------------------------------

LOADGEN_PID=

# loadgen_start NAME OUT [ARGS...]: the generator in the background.
loadgen_start() {
	local name=$1 out=$2 sources

	shift 2
	sources=$(echo "$CLIENT_ADDR $EXTRA_SOURCES" | tr ' ' ',')
	spawn_in_ns "$NS_CLIENT" taskset -c "$BENCH_CLIENT_CPUS" "$LOADGEN" \
		--server "$HEADEND_OUTSIDE_ADDR" \
		--path "$(server_path "$name")" --user "$BENCH_USER" \
		--password-file "$HE_TMPDIR/password" --source "$sources" "$@" \
		>"$out" 2>>"$HE_TMPDIR/loadgen.log"
	LOADGEN_PID=$SPAWNED_PID
}

loadgen_running() {
	pid_running "$LOADGEN_PID"
}

# loadgen_wait_guarded READY_FILE SECONDS: wait until the generator has
# written READY_FILE (or has ended, or SECONDS passed). Returns 1 when
# free memory fell below BENCH_MEM_FLOOR_MB, after stopping the generator.
loadgen_wait_guarded() {
	local ready=$1 deadline=$((SECONDS + $2))

	while loadgen_running && [ ! -e "$ready" ] &&
		[ "$SECONDS" -lt "$deadline" ]; do
		if [ "$(mem_available_mb)" -lt "$BENCH_MEM_FLOOR_MB" ]; then
			log "memory below $BENCH_MEM_FLOOR_MB MB:" \
				"stopping the load"
			return 1
		fi
		sleep 0.5
	done
	return 0
}

loadgen_stop() {
	pid_stop "$LOADGEN_PID"
	LOADGEN_PID=
}

# ---- (d) memory with idle sessions -----------------------------------------

measure_idle_level() {
	local name=$1 level=$2 ready="$HE_TMPDIR/ready-$1-$2" mem n
	local out="$HE_TMPDIR/idle-$1-$2.json" why=ok

	server_restart "$name"
	sleep 1
	if [ "$level" -gt 0 ]; then
		loadgen_start "$name" "$out" --count "$level" \
			--concurrency 200 --hold 3600 --ready-file "$ready" \
			--max-time 3600 --setup-timeout 120
		loadgen_wait_guarded "$ready" "$BENCH_SETUP_MAX_TIME" ||
			why=memory
		[ -e "$ready" ] || [ "$why" != ok ] || why=time
		sleep 2
	fi
	mem=$(server_memory)
	n=$(established_sessions)
	[ "$level" -eq 0 ] || loadgen_stop
	log "$name: $level idle sessions requested, $n up: PSS/RSS/processes" \
		"$mem ($why)"
	record "$name.idle.$level" "$mem $n $why"
	[ "$why" = ok ]
}

measure_idle() {
	local name=$1 level

	for level in $BENCH_IDLE_LEVELS; do
		if ! measure_idle_level "$name" "$level"; then
			log "$name: stopping the idle series at $level sessions"
			break
		fi
	done
}

# ---- (d) memory with connections that send nothing --------------------------

# A port scan, a client stalled before its first bytes or a slow attack
# leaves connections that send nothing. Measured right after they open,
# well within both servers' handshake timeouts.
measure_silent() {
	local name=$1 ready="$HE_TMPDIR/ready-silent-$1" before after n=0
	local sources

	server_restart "$name"
	sleep 1
	before=$(server_memory)
	sources=$(echo "$CLIENT_ADDR $EXTRA_SOURCES" | tr ' ' ',')
	spawn_in_ns "$NS_CLIENT" taskset -c "$BENCH_CLIENT_CPUS" python3 \
		"$BENCH_DIR/silentconns.py" "$HEADEND_OUTSIDE_ADDR" \
		"$SERVER_PORT" "$BENCH_SILENT" "$sources" "$ready" 60 \
		2>>"$HE_TMPDIR/loadgen.log"
	wait_until 30 test -s "$ready" || true
	sleep 2
	after=$(server_memory)
	[ -s "$ready" ] && n=$(cat "$ready")
	pid_stop "$SPAWNED_PID"
	log "$name: $n silent connections: PSS/RSS/processes $before ->" \
		"$after"
	record "$name.silent" "$before $after $n"
}

# ---- (e) new sessions per second -------------------------------------------

measure_rate() {
	local name=$1 out="$HE_TMPDIR/rate-$1.json"

	server_restart "$name"
	loadgen_start "$name" "$out" --count "$BENCH_RATE_COUNT" \
		--concurrency "$BENCH_RATE_CONCURRENCY" --hold 0 \
		--max-time "$BENCH_SETUP_MAX_TIME"
	wait "$LOADGEN_PID" || true
	record "$name.rate" "$(json_get "$out" connects_per_s)"
	record "$name.rate_up" "$(json_get "$out" sessions_up)"
	record "$name.rate_setup_p50" "$(json_get "$out" setup_ms.p50)"
	record "$name.rate_setup_p99" "$(json_get "$out" setup_ms.p99)"
	record "$name.rate_client_cpu" "$(json_get "$out" client_cpu_s)"
}

# ---- (g) power-cut storm ---------------------------------------------------

measure_storm() {
	local name=$1 out="$HE_TMPDIR/storm-$1.json" before after k
	local ready="$HE_TMPDIR/ready-storm-$1"

	server_restart "$name"
	sleep 1
	before="$HE_TMPDIR/storm-cpu-before-$name"
	after="$HE_TMPDIR/storm-cpu-after-$name"
	cpu_by_role "$before"
	profile_start "$HE_TMPDIR/perf-$name-storm.data" 30
	loadgen_start "$name" "$out" --mode storm --count "$BENCH_STORM" \
		--setup-timeout 60 --deadline 30 --hold 10 \
		--ready-file "$ready" \
		--max-time "$BENCH_SETUP_MAX_TIME"
	loadgen_wait_guarded "$ready" "$BENCH_SETUP_MAX_TIME" || true
	cpu_by_role "$after"
	# PSS while the phones that came up are still connected.
	record "$name.storm.pss_mb" "$(server_memory |
		awk '{ printf "%.1f", $1 / 1024 }')"
	# And once the storm is over, with the phones still connected.
	sleep 7
	record "$name.storm.pss_later_mb" "$(server_memory |
		awk '{ printf "%.1f", $1 / 1024 }')"
	PROFILE_COMMS=$(server_comms)
	if loadgen_running; then
		sleep 3
		loadgen_stop
	fi
	wait "$LOADGEN_PID" 2>/dev/null || true
	profile_report "$HE_TMPDIR/perf-$name-storm.data" \
		"$HE_TMPDIR/profile-$name-storm.txt"
	for k in sessions_up within_deadline time_to_all_up_s setup_ms.p50 \
		setup_ms.p99 setup_ms.max client_cpu_s; do
		record "$name.storm.$k" "$(json_get "$out" "$k")"
	done
	record "$name.storm.failures" "$(python3 -c '
import json, sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
    print(" ".join("%s=%d" % kv for kv in d["failures"].items() if kv[1]))
except Exception:
    print("no result")' "$out")"
	record "$name.storm.cpu" "$(cpu_role_delta "$before" "$after")"
	record "$name.storm.log" "$(storm_log_summary)"
}

# ---- worker threads ----------------------------------------------------------

# thread_cpu PID: "TID=SECONDS" for each thread of PID, user and system.
thread_cpu() {
	local task

	for task in /proc/"$1"/task/*; do
		{ sed 's/.*) //' "$task/stat"; } 2>/dev/null |
			awk -v tid="${task##*/}" -v hz="$(getconf CLK_TCK)" \
			'{ printf "%s=%.1f ", tid, ($12 + $13) / hz }' || true
	done
}

network_pid() {
	sed -nE 's/.* network\[([0-9]+)\].*/\1/p' "$SERVER_LOG" | tail -n 1
}

# measure_threads_storm WORKERS: a storm against headend alone with the
# server on BENCH_THREADS_CPUS; records the time and each thread's CPU.
measure_threads_storm() {
	local workers=$1 out="$HE_TMPDIR/threads-$1.json" k
	local ready="$HE_TMPDIR/ready-threads-$1"

	BENCH_WORKERS=$workers
	server_restart headend
	sleep 1
	loadgen_start headend "$out" --mode storm \
		--count "$BENCH_THREADS_STORM" --setup-timeout 60 \
		--deadline 30 --hold 2 --ready-file "$ready" \
		--max-time "$BENCH_SETUP_MAX_TIME"
	loadgen_wait_guarded "$ready" "$BENCH_SETUP_MAX_TIME" || true
	record "headend.threads.$workers.cpu" "$(thread_cpu "$(network_pid)")"
	if loadgen_running; then
		sleep 3
		loadgen_stop
	fi
	wait "$LOADGEN_PID" 2>/dev/null || true
	for k in sessions_up time_to_all_up_s setup_ms.p50 setup_ms.p99; do
		record "headend.threads.$workers.$k" "$(json_get "$out" "$k")"
	done
}

# The same storm with one and two workers, the server on every CPU. The
# clients share those CPUs, so this shows how the work spreads over the
# threads more than how fast more cores make it.
measure_threads() {
	local cpus=$BENCH_SERVER_CPUS workers=$BENCH_WORKERS

	log "== headend worker threads, server on CPUs $BENCH_THREADS_CPUS"
	BENCH_SERVER_CPUS=$BENCH_THREADS_CPUS
	measure_threads_storm 1
	measure_threads_storm 2
	server_stop
	record meta.threads_cpus "$BENCH_THREADS_CPUS"
	record meta.threads_storm "$BENCH_THREADS_STORM"
	BENCH_SERVER_CPUS=$cpus
	BENCH_WORKERS=$workers
}

# storm_log_summary: the server's most frequent warnings and errors, with
# numbers masked so that repeats of one message count together.
storm_log_summary() {
	grep -Ei 'warning|error|fail' "$SERVER_LOG" |
		sed -E 's/^.*(warning|error|info|notice): //;
			s/^ocserv\[[0-9]+\]: //; s/conn=[0-9]+ peer=[^ ]+ //;
			s/[0-9]+/N/g' |
		sort | uniq -c | sort -rn | head -n 3 |
		awk '{ n = $1; $1 = ""
			printf "%s (%s times); ", substr($0, 2, 90), n }' ||
		true
}

# ---- what bounds a login ---------------------------------------------------

# crypt_ms SETTING: milliseconds that crypt(3) takes for one password
# check with SETTING (a hash or its salt prefix).
crypt_ms() {
	python3 - "$1" "$BENCH_PASSWORD" <<'EOF' 2>/dev/null || true
import crypt, sys, time
# The fastest of several batches, because other work may share the core.
best = None
for _ in range(5):
    t = time.perf_counter()
    for _ in range(4):
        crypt.crypt(sys.argv[2], sys.argv[1])
    ms = (time.perf_counter() - t) / 4 * 1000
    best = ms if best is None else min(best, ms)
print("%.2f" % best)
EOF
}

measure_unit_costs() {
	local rsa hash

	rsa=$(openssl speed -seconds 2 rsa2048 2>/dev/null |
		awk '/^rsa 2048/ { print $6; exit }')
	record unit.rsa2048_sign_per_s "$rsa"
	hash=$(crypt_ms "$HASH")
	record unit.hash_ms "$hash"
	record unit.hash_kind "$BENCH_HASH"
	# libxcrypt's default yescrypt cost, as "headendctl user add" uses.
	record unit.yescrypt_ms "$(crypt_ms '$y$j9T$5Wi582tngVsg0i.F/UHBF.')"
}

# ---- main ------------------------------------------------------------------

# bench_part NAME: whether BENCH_PARTS lists that part.
bench_part() {
	local part

	# Word by word: the default list has a tab after its line break.
	for part in $BENCH_PARTS; do
		[ "$part" != "$1" ] || return 0
	done
	return 1
}

bench_server() {
	local name=$1

	log "== $name"
	record "meta.loadavg_$name" "$(cut -d' ' -f1-3 /proc/loadavg)"
	server_restart "$name"
	if bench_part connect; then
		measure_connect "$name"
		cp "$SERVER_LOG" "$HE_TMPDIR/$name-connect.log"
	fi
	if bench_part tput; then
		measure_throughput "$name" dtls
		measure_throughput "$name" tls
		measure_throughput "$name" dtls_down
		measure_throughput "$name" tls_down
	fi
	! bench_part shared || measure_shared "$name"
	! bench_part ceiling || measure_ceiling "$name"
	! bench_part voice || measure_voice "$name"
	! bench_part rate || measure_rate "$name"
	! bench_part idle || measure_idle "$name"
	! bench_part silent || measure_silent "$name"
	! bench_part storm || measure_storm "$name"
	cp "$SERVER_LOG" "$HE_TMPDIR/$name-final.log" 2>/dev/null || true
	server_stop
}

bench_versions() {
	record meta.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
	record meta.commit "$(git -C "$TOP" rev-parse --short HEAD \
		2>/dev/null || echo unknown)"
	record meta.dirty "$(git -C "$TOP" status --porcelain 2>/dev/null |
		grep -cv '^??' || true)"
	record meta.ocserv "$(ocserv --version 2>&1 | head -n 1)"
	record meta.openconnect "$(openconnect --version 2>&1 | head -n 1)"
	record meta.openssl "$(openssl version)"
	record meta.iperf3 "$(iperf3 --version 2>&1 | head -n 1)"
	record meta.kernel "$(uname -r)"
	record meta.nproc "$(nproc)"
	record meta.cpu "$(awk -F': ' '/^model name/ { print $2; exit }' \
		/proc/cpuinfo)"
	record meta.memory "$(awk '/^MemTotal:/ {
		printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	record meta.loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	record meta.nofile "$(ulimit -Hn)"
	record meta.idle_levels "$BENCH_IDLE_LEVELS"
	record meta.pinning "server $BENCH_SERVER_CPUS," \
		"client $BENCH_CLIENT_CPUS, inside $BENCH_INSIDE_CPUS"
	record meta.params "storm=$BENCH_STORM idle='$BENCH_IDLE_LEVELS'" \
		"silent=$BENCH_SILENT" \
		"rate=$BENCH_RATE_COUNT/$BENCH_RATE_CONCURRENCY" \
		"iperf=${BENCH_IPERF_SECONDS}s voice=${BENCH_VOICE_SECONDS}s" \
		"hash=$BENCH_HASH"
	record meta.workers "$BENCH_WORKERS"
	record meta.storm_count "$BENCH_STORM"
}

main() {
	local started=$SECONDS name

	bench_require
	case " $BENCH_SERVERS " in
	*" ocserv "*)
		ocserv_install
		ocserv_check_foreign ;;
	esac
	bench_setup
	: >"$RESULTS"
	bench_versions
	measure_unit_costs
	log "baseline: voice stream without the VPN"
	! bench_part voice || measure_voice_baseline
	for name in $BENCH_SERVERS; do
		bench_server "$name"
	done
	case " $BENCH_SERVERS " in
	*" headend "*) ! bench_part threads || measure_threads ;;
	esac
	record meta.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
	record meta.duration_s "$((SECONDS - started))"
	python3 "$BENCH_DIR/report.py" "$RESULTS" "$HE_TMPDIR" >"$BENCH_OUT"
	log "wrote $BENCH_OUT in $((SECONDS - started)) s"
	[ -z "${BENCH_KEEP:-}" ] || cp -r "$HE_TMPDIR" "${BENCH_KEEP}"
}

main "$@"
