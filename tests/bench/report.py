#!/usr/bin/env python3
"""Write BENCHMARKS.md from the results that tests/bench/run.sh recorded.

usage: report.py RESULTS TMPDIR > BENCHMARKS.md

RESULTS has one "key<TAB>value" line per measurement; TMPDIR contains the
perf profiles (profile-<server>-<test>.txt) that the run left there.
"""
import datetime
import os
import sys

SERVERS = ("headend", "ocserv")
IDLE_LEVELS = (0, 100, 1000, 10000)	# when the results do not say
VOICE_P99_TARGET_MS = 1.0
STORM_DEADLINE_S = 30
# The throughput runs: test name and table label.
DIRECTIONS = (("dtls", "DTLS"), ("tls", "TLS"),
              ("dtls_down", "DTLS, to the client"),
              ("tls_down", "TLS, to the client"))


def load(path):
    results = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            results[key] = value
    return results


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class Report:
    def __init__(self, results, tmpdir):
        self.r = results
        self.tmpdir = tmpdir
        self.lines = []
        self.missed = []

    def get(self, key):
        return self.r.get(key, "")

    def num(self, key):
        return number(self.r.get(key))

    def out(self, text=""):
        self.lines.append(text)

    def table(self, header, rows):
        """Write a Markdown table: header is its first row, as text."""
        self.out(header)
        self.out("|" + " --- |" * (header.count("|") - 1))
        for cells in rows:
            self.out("| " + " | ".join(cells) + " |")
        self.out()

    # ---- table rows -------------------------------------------------------

    def ratio_row(self, label, key, unit, fmt, better, target=None):
        """A row with both servers, the ratio and the target.

        better is "lower" or "higher"; target is the required ratio of
        ours to ocserv's (for example 0.5 for "at most half").
        """
        ours, theirs = self.num("headend." + key), self.num("ocserv." + key)
        shown = [fmt % v if v is not None else (self.get(s + "." + key) or
                 "not run") for s, v in (("headend", ours),
                                         ("ocserv", theirs))]
        ratio = ours / theirs if ours is not None and theirs else None
        ratio_text = "%.2f" % ratio if ratio is not None else "-"
        verdict = "-"
        if target is not None and ratio is not None:
            met = ratio <= target if better == "lower" else ratio >= target
            verdict = "met" if met else "missed"
            if not met:
                self.missed.append((label, ratio, target, better))
        elif target is not None:
            verdict = "not measured"
            self.missed.append((label, None, target, better))
        goal = ("-" if target is None else
                ("ratio <= %.2g" if better == "lower" else "ratio >= %.2g")
                % target)
        self.out("| %s (%s) | %s | %s | %s | %s | %s |" % (
            label, unit, shown[0], shown[1], ratio_text, goal, verdict))

    # ---- sections ---------------------------------------------------------

    def header(self):
        g = self.get
        self.out("# Benchmarks: headend and ocserv side by side")
        self.out()
        self.out("Written by `make bench` (tests/bench/run.sh, "
                 "tests/bench/report.py); rerun it to refresh this page. "
                 "Every number below comes from that one run.")
        self.out()
        self.out("| | |")
        self.out("| --- | --- |")
        for label, key in (("Date", "meta.date"),
                           ("headend commit", "meta.commit"),
                           ("ocserv", "meta.ocserv"),
                           ("openconnect (client)", "meta.openconnect"),
                           ("OpenSSL", "meta.openssl"),
                           ("iperf3", "meta.iperf3"),
                           ("Kernel", "meta.kernel"),
                           ("CPU", "meta.cpu"),
                           ("Cores (nproc)", "meta.nproc"),
                           ("Memory", "meta.memory"),
                           ("Load average at start", "meta.loadavg"),
                           ("Load average when headend started",
                            "meta.loadavg_headend"),
                           ("Load average when ocserv started",
                            "meta.loadavg_ocserv"),
                           ("Load average at the end (after the storms)",
                            "meta.loadavg_end"),
                           ("Descriptor limit (hard)", "meta.nofile"),
                           ("CPU pinning (taskset)", "meta.pinning"),
                           ("Parameters", "meta.params"),
                           ("Run time", "meta.duration_s")):
            value = g(key)
            if key == "meta.commit" and number(g("meta.dirty")):
                value += (" plus uncommitted changes in %s files"
                          % g("meta.dirty"))
            if key == "meta.duration_s" and value:
                value += " s"
            self.out("| %s | %s |" % (label, value))
        self.out()

    def load_warning(self):
        """Warn when other work was running as the run began.

        Only the sample at the start counts: the later ones include the
        benchmark's own load, such as the storms' thousands of clients
        and ocserv's process per client, which decays for minutes.
        """
        cores = number(self.get("meta.nproc")) or 1
        start = number((self.get("meta.loadavg") or "0").split()[0])
        if start is None or start <= cores:
            return
        self.out("**Caution:** the one-minute load average was %.1f on %d "
                 "cores when this run began, so other processes ran on "
                 "the same cores as the servers. Latency tails, throughput "
                 "and storm times are worse than on an idle machine, and "
                 "more so for whichever server ran while the load was "
                 "higher." % (start, cores))
        self.out()

    def method(self):
        self.out("## Method")
        self.out()
        self.out(
            "Three network namespaces (client, headend, inside host; "
            "tests/integ/lib.sh) carry all traffic; nothing leaves them. "
            "The two servers run one after the other in the headend "
            "namespace on TCP and UDP port 443, with the same RSA 2048 "
            "certificate, the same user and the same password hash (%s), "
            "and keepalive 20 s, DPD 30 s. ocserv's small defaults are "
            "lifted: max-clients 0, max-same-clients 0, rate-limit-ms 0, "
            "max-ban-score 0, isolate-workers false, TLS 1.3 allowed as in "
            "headend. headend's data-mtu cap (1406 by default, as on the "
            "ASA) is lifted to 1500, since ocserv has none, so both derive "
            "the tunnel MTU from the 1500-byte link: 1434 with DTLS "
            "(AES-GCM), 1471 (headend) and 1472 (ocserv) on TLS only. "
            "The headend namespace allows listen queues of 65535 "
            "(net.core.somaxconn and tcp_max_syn_backlog) for both. "
            "The server runs on its own core; the clients and the "
            "inside host share the other one, so the client's CPU is "
            "reported too. Memory is PSS from /proc/PID/smaps_rollup, "
            "summed over every process in the headend namespace; CPU is "
            "utime + stime (+ reaped children) from /proc/PID/stat of the "
            "same processes." % self.get("unit.hash_kind"))
        self.out()
        self.out(
            "Throughput is one iperf3 TCP stream, as long as the "
            "Parameters row says, through one "
            "openconnect tunnel, from the client to the inside host, and "
            "with -R the other way (rows \"to the client\"). "
            "Connect time runs from the start of openconnect to the first "
            "answered ICMP echo, which `loadgen --mode probe` sends every "
            "millisecond. The voice stream is 50 packets per second of 200 "
            "bytes (IPv4/UDP) from a loadgen session to an echo server on "
            "the inside host, timestamped in the payload; under load, an "
            "openconnect session runs an unlimited iperf3 TCP stream at "
            "the same time. The baseline is the same stream and load "
            "routed by the headend namespace's kernel without a VPN. "
            "loadgen and the echo server run with SCHED_FIFO priority so "
            "that the shared client core adds less delay of its own. "
            "The loadgen session brings up DTLS after CONNECT as "
            "openconnect does (PSK-NEGOTIATE, the key from the TLS "
            "exporter) and sends the stream, keepalives and DPD over "
            "DTLS; the DTLS column of table (f) shows whether it came "
            "up, and a session whose handshake fails sends over CSTP.")
        self.out()

    def main_table(self):
        self.out("## Results")
        self.out()
        self.out("Ratio is headend / ocserv. Targets are ratios of ours "
                 "to ocserv's, except where the row says otherwise.")
        self.out()
        self.out("| Measure | headend | ocserv | ratio | target | |")
        self.out("| --- | --- | --- | --- | --- | --- |")
        self.ratio_row("(a) connect time, median", "connect_ms", "ms",
                       "%.1f", "lower", 0.5)
        self.ratio_row("(b) throughput over DTLS", "tput_dtls", "Mbit/s",
                       "%.0f", "higher", 1.5)
        self.ratio_row("(b) throughput over TLS only", "tput_tls",
                       "Mbit/s", "%.0f", "higher", 1.5)
        self.ratio_row("(c) server CPU per GB, DTLS", "cpu_per_gb_dtls",
                       "s/GB", "%.2f", "lower", 1 / 3.0)
        self.ratio_row("(c) server CPU per GB, TLS", "cpu_per_gb_tls",
                       "s/GB", "%.2f", "lower", 1 / 3.0)
        self.ratio_row("(b) throughput to the client over DTLS",
                       "tput_dtls_down", "Mbit/s", "%.0f", "higher", 1.5)
        self.ratio_row("(b) throughput to the client over TLS only",
                       "tput_tls_down", "Mbit/s", "%.0f", "higher", 1.5)
        self.ratio_row("(c) server CPU per GB to the client, DTLS",
                       "cpu_per_gb_dtls_down", "s/GB", "%.2f", "lower",
                       1 / 3.0)
        self.ratio_row("(c) server CPU per GB to the client, TLS",
                       "cpu_per_gb_tls_down", "s/GB", "%.2f", "lower",
                       1 / 3.0)
        self.ratio_row("client (openconnect) CPU during (b) TLS",
                       "client_cpu_tls", "s", "%.1f", "lower")
        self.ratio_row("(e) new sessions per second", "rate", "1/s",
                       "%.1f", "higher", 3)
        self.ratio_row("(e) login setup time p50 at that rate",
                       "rate_setup_p50", "ms", "%.0f", "lower")
        self.ratio_row("(e) loadgen CPU during the rate test",
                       "rate_client_cpu", "s", "%.1f", "lower")
        self.out()

    def shared_table(self):
        """Write the throughput runs with the inside host on the server's
        core."""
        rows = []
        for test, label in DIRECTIONS:
            key = "shared_" + test
            ours = self.num("headend.tput_" + key)
            theirs = self.num("ocserv.tput_" + key)
            if ours is None and theirs is None:
                continue

            cells = [label]
            for name in SERVERS:
                cells += [self.get("%s.tput_%s" % (name, key)) or "-",
                          self.get("%s.cpu_per_gb_%s" % (name, key)) or "-",
                          self.drops(name, key)]
            cells.append("%.2f" % (ours / theirs) if ours and theirs
                         else "-")
            rows.append(cells)
        if not rows:
            return

        self.out("### (b) Throughput with the inside host on the "
                 "server's core")
        self.out()
        self.out(
            "In the rows above, the server has a core of its own, and "
            "the client's core or the client's losses set the rate (see "
            "the core load and loss tables under \"What limits "
            "headend\"). These runs repeat them with the "
            "inside host's iperf3 moved to the server's core, so that "
            "the CPU a server spends per GB decides how much of that "
            "core the stream gets. They show the same servers under "
            "another load; the targets are judged on the rows above. "
            "Client drops are the client tun device's and UDP receive "
            "buffer's drops together.")
        self.out()

        self.table("| Direction | headend Mbit/s | headend s/GB | headend "
                   "client drops | ocserv Mbit/s | ocserv s/GB | ocserv "
                   "client drops | throughput ratio |", rows)

    def drops(self, name, test):
        """Return the client's tun and UDP drops of one run, or "-"."""
        counts = [self.num("%s.client_%s_drops_%s" % (name, kind, test))
                  for kind in ("tun", "udp")]
        if None in counts:
            return "-"
        return "%d" % sum(counts)

    def memory_table(self):
        self.out("### (d) Memory with idle sessions")
        self.out()
        self.out("PSS summed over all server processes, with the number of "
                 "TCP connections established at the time of the sample. "
                 "A level that could not be reached within the time or "
                 "memory limit ends the series for that server.")
        self.out()
        self.out("| Sessions | headend PSS | headend RSS | headend procs "
                 "| ocserv PSS | ocserv RSS | ocserv procs |")
        self.out("| --- | --- | --- | --- | --- | --- | --- |")
        per = {}

        for level in self.idle_levels():
            cells = []
            for s in SERVERS:
                v = self.get("%s.idle.%d" % (s, level)).split()
                if len(v) < 5:
                    cells += ["not run", "-", "-"]
                    continue
                pss, rss, procs, up, why = (int(v[0]), int(v[1]), v[2],
                                            int(v[3]), v[4])
                note = "" if why == "ok" else " (%d up, stopped: %s)" % (
                    up, why)
                cells += ["%.1f MiB%s" % (pss / 1024, note),
                          "%.1f MiB" % (rss / 1024), procs]
                per.setdefault(s, {})[level] = (pss, up)
            self.out("| %d | %s |" % (level, " | ".join(cells)))
        self.out()
        self.memory_per_session(per)
        self.silent_table()

    def silent_table(self):
        """Print the memory that connections which send nothing take."""
        rows = []
        for s in SERVERS:
            v = self.get("%s.silent" % s).split()
            if len(v) < 7 or int(v[6]) == 0:
                rows.append("| %s | not run | - | - | - |" % s)
                continue
            before, after, n = int(v[0]), int(v[3]), int(v[6])
            rows.append("| %s | %d | %.1f MiB | %.1f MiB | %.1f KiB |" % (
                s, n, before / 1024, after / 1024, (after - before) / n))
        self.out("Connections that send nothing (a port scan, or a client "
                 "stalled before its TLS hello), opened at once and "
                 "measured 2 s later, within both servers' handshake "
                 "timeouts. PSS as above.")
        self.out()
        self.out("| Server | connections | PSS before | PSS with them "
                 "| PSS per connection |")
        self.out("| --- | --- | --- | --- | --- |")
        for row in rows:
            self.out(row)
        self.out()

    def idle_levels(self):
        """Return the idle levels that run.sh recorded for the run."""
        levels = self.get("meta.idle_levels").split()
        if not levels:
            return IDLE_LEVELS
        return tuple(int(v) for v in levels)

    def memory_per_session(self, per):
        """Print the PSS per idle session and the 50,000-session estimate."""
        for s in SERVERS:
            levels = per.get(s, {})
            base = levels.get(0)
            top = max((lv for lv in levels if lv > 0 and levels[lv][1] > 0),
                      default=None)
            if base is None or top is None:
                continue
            kib = (levels[top][0] - base[0]) / levels[top][1]
            self.out("- %s: %.1f KiB of PSS per idle session (from 0 to "
                     "%d sessions)." % (s, kib, levels[top][1]))
            if s == "headend":
                need = base[0] + kib * 50000
                self.out("  Extrapolated to 50,000 sessions: %.0f MiB "
                         "(target: under 1 GiB%s)." % (
                             need / 1024, ", met" if need < 1 << 20 else
                             ", missed"))
                if need >= 1 << 20:
                    self.missed.append(("50,000 idle sessions under 1 GiB",
                                        need / (1 << 20), 1.0, "lower"))
        self.out()
        if 50000 in per.get("headend", {}):
            return
        self.out("50,000 sessions were not run: this machine's hard limit "
                 "on open files is %s per process and the benchmark runs "
                 "without CAP_SYS_RESOURCE to raise it, so neither the "
                 "single "
                 "headend network process nor one loadgen can hold more "
                 "than about that many connections. The highest level "
                 "stays below that limit, and the figure above is an "
                 "extrapolation from it." % self.get("meta.nofile"))
        self.out()

    def voice_table(self):
        self.out("### (f) Voice stream latency (round trip, ms)")
        self.out()
        self.out("Round-trip time of the 50 packets/s stream. Added latency "
                 "is the VPN figure less the baseline figure at the same "
                 "percentile, both under load.")
        self.out()
        self.out("| Path | load | DTLS | p50 | p99 | p99.9 | lost/sent | "
                 "load Mbit/s |")
        self.out("| --- | --- | --- | --- | --- | --- | --- | --- |")

        for s in ("direct",) + SERVERS:
            for kind in ("idle", "load"):
                k = "%s.voice_%s" % (s, kind)
                load = self.get(s + ".load_mbps") if kind == "load" else "-"
                dtls = "-" if s == "direct" else self.get(k + ".dtls")
                self.out("| %s | %s | %s | %s | %s | %s | %s/%s | %s |" % (
                    "no VPN" if s == "direct" else s, kind, dtls,
                    self.get(k + ".p50"), self.get(k + ".p99"),
                    self.get(k + ".p99_9"), self.get(k + ".lost"),
                    self.get(k + ".sent"), load))
        self.out()

        negative = False
        self.out("| Added latency under load | p50 | p99 | p99.9 |")
        self.out("| --- | --- | --- | --- |")
        for s in SERVERS:
            cells = []
            for p in ("p50", "p99", "p99_9"):
                a = self.num("%s.voice_load.%s" % (s, p))
                b = self.num("direct.voice_load.%s" % p)
                cells.append("%.3f" % (a - b) if a is not None and
                             b is not None else "-")
            self.out("| %s | %s |" % (s, " | ".join(cells)))
            negative = negative or any(c.startswith("-") and c != "-"
                                       for c in cells)
            if s == "headend" and cells[1] != "-" and \
                    float(cells[1]) >= VOICE_P99_TARGET_MS:
                self.missed.append(("voice p99 added latency under load",
                                    float(cells[1]), VOICE_P99_TARGET_MS,
                                    "lower-absolute"))
        self.out()
        if negative:
            self.out("A negative figure means that the stream through the "
                     "VPN was faster at that percentile than the baseline. "
                     "Without a VPN, the iperf3 load runs many times "
                     "faster (the load column), so it fills the shared "
                     "core and the queues more than one tunnel's load "
                     "does.")
            self.out()

    def storm_table(self):
        n = self.get("meta.params").split()[0].replace("storm=", "")
        self.out("### (g) Power-cut storm: %s phones log in at once" % n)
        self.out()
        self.out("Each loadgen client does TCP, a full TLS handshake, the "
                 "XML login with the password and CONNECT; the phones' "
                 "Fail to Connect timer is %d s." % STORM_DEADLINE_S)
        self.out()
        self.out("| | headend | ocserv |")
        self.out("| --- | --- | --- |")
        for label, key in (("sessions up", "sessions_up"),
                           ("up within 30 s", "within_deadline"),
                           ("time until all setups ended (s)",
                            "time_to_all_up_s"),
                           ("setup time p50 (ms)", "setup_ms.p50"),
                           ("setup time p99 (ms)", "setup_ms.p99"),
                           ("setup time max (ms)", "setup_ms.max"),
                           ("failures by kind", "failures"),
                           ("server CPU by process", "cpu"),
                           ("server memory when the last setup ended "
                            "(PSS, MiB)",
                            "pss_mb"),
                           ("server memory 7 s later (PSS, MiB)",
                            "pss_later_mb"),
                           ("most frequent server log warnings", "log"),
                           ("loadgen CPU (s)", "client_cpu_s")):
            cells = []
            for s in SERVERS:
                value = self.get("%s.storm.%s" % (s, key)) or "-"
                # Percentiles of no sessions are meaningless zeros.
                if key.startswith("setup_ms") and \
                        not self.num(s + ".storm.sessions_up"):
                    value = "-"
                cells.append(value)
            self.out("| %s | %s | %s |" % (label, cells[0], cells[1]))
        self.out()
        self.storm_bounds(n)

    def threads_table(self):
        if not self.get("headend.threads.1.cpu"):
            return
        self.out("### Worker threads (headend only)")
        self.out()
        self.out(
            "The storm again with %s phones, headend alone on CPUs %s, "
            "with 1 and 2 worker threads. The clients run on one of those "
            "CPUs too, so the times show how the work spreads over the "
            "threads more than what a core of its own would give. "
            "authd's password checks run on both CPUs in both rows. The "
            "CPU per thread is user plus system time of each thread of "
            "the network process, by thread id; the first is the control "
            "thread." % (self.get("meta.threads_storm"),
                         self.get("meta.threads_cpus")))
        self.out()
        self.out("| workers | sessions up | time until all setups ended "
                 "(s) | setup p50 (ms) | setup p99 (ms) | CPU per "
                 "thread (s) |")
        self.out("| --- | --- | --- | --- | --- | --- |")
        for w in ("1", "2"):
            cells = [self.get("headend.threads.%s.%s" % (w, k)) or "-"
                     for k in ("sessions_up", "time_to_all_up_s",
                               "setup_ms.p50", "setup_ms.p99", "cpu")]
            self.out("| %s | %s |" % (w, " | ".join(cells)))
        self.out()

    def storm_bounds(self, n):
        sign = self.num("unit.rsa2048_sign_per_s")
        hash_ms = self.num("unit.hash_ms")
        count = number(n)
        if not sign or hash_ms is None or not count:
            return
        rsa_s = count / sign
        hash_s = count * hash_ms / 1000

        self.out(
            "What bounds it: one RSA 2048 signature costs %.2f ms here "
            "(`openssl speed rsa2048`: %.0f signs/s on one core), so %d full "
            "handshakes need at least %.1f s of one core; one %s password "
            "check costs %.2f ms, so %d logins need %.1f s more. The server "
            "has one core, so %.1f s is the floor for this storm on it." % (
                1000 / sign, sign, count, rsa_s, self.get("unit.hash_kind"),
                hash_ms, count, hash_s, rsa_s + hash_s))

        yes_ms = self.num("unit.yescrypt_ms")
        if yes_ms:
            self.out()
            self.out(
                "With yescrypt at libxcrypt's default cost, which "
                "`headendctl user add` writes, one check costs %.1f ms "
                "here, so %d logins alone would need %.0f s of one "
                "core." % (yes_ms, count, count * yes_ms / 1000))
        self.out()

        busy = self.get("headend.storm.log")
        if "cannot ask authd" in busy:
            self.out(
                "In headend, logins also failed outright: the log line "
                "\"cannot ask authd: Resource temporarily unavailable\" "
                "means that the network process could not queue the "
                "request on its socket to authd, which was full, so the "
                "phone got \"The authentication service is unavailable\" "
                "instead of waiting for a free authd thread.")
            self.out()

        ours = self.num("headend.storm.time_to_all_up_s")
        if ours and ours > STORM_DEADLINE_S:
            self.missed.append(("storm: all phones up within 30 s", ours,
                                STORM_DEADLINE_S, "lower-absolute"))

    def missed_section(self):
        self.out("## Targets missed")
        self.out()
        if not self.missed:
            self.out("None in this run.")
            self.out()
        for label, value, target, better in self.missed:
            if value is None:
                self.out("- %s: not measured in this run." % label)
            elif better == "lower":
                self.out("- %s: ratio %.2f, target at most %.2f, missed "
                         "by a factor of %.1f." % (label, value, target,
                                                    value / target))
            elif better == "higher":
                self.out("- %s: ratio %.2f, target at least %.2f, missed "
                         "by a factor of %.1f." % (label, value, target,
                                                    target / value))
            else:
                self.out("- %s: %.2f, limit %.2f." % (label, value, target))
        self.out()

    def object_shares(self, test):
        """Shares of samples by object for headend in one profiled test."""
        path = os.path.join(self.tmpdir, "profile-headend-%s.dso" % test)
        shares = {}
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 2 and parts[0].endswith("%"):
                        share = number(parts[0][:-1]) or 0
                        shares[parts[-1]] = shares.get(parts[-1], 0) + share
        return shares

    def connect_logins(self):
        """Return the (login started, tunnel up) epoch times in headend's
        log."""
        path = os.path.join(self.tmpdir, "headend-connect.log")
        if not os.path.exists(path):
            return []
        started, logins = {}, []
        with open(path) as f:
            for line in f:
                try:
                    t = datetime.datetime.strptime(
                        line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
                except ValueError:
                    continue
                t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
                peer = None
                if "peer=" in line:
                    peer = ":".join(line.split("peer=")[1].split(":")[:2])
                if "login started" in line and peer:
                    started[peer] = t
                elif "tunnel up" in line and peer in started:
                    logins.append((started.pop(peer), t))
        return logins

    def connect_spans(self):
        """Milliseconds from login start to tunnel up in headend's log."""
        return [(up - start) * 1000 for start, up in self.connect_logins()]

    def connect_split(self):
        """Return the median milliseconds of each connect's three parts:
        before headend's first login request, in headend, and from the
        CONNECT reply to the first echo reply. None without the data."""
        path = os.path.join(self.tmpdir, "headend-connect-times.txt")
        if not os.path.exists(path):
            return None
        logins = self.connect_logins()
        parts = [[], [], []]
        with open(path) as f:
            for line in f:
                t0, reply = (float(v) for v in line.split())
                inside = [(a, b) for a, b in logins if t0 < a <= reply]
                if not inside:
                    continue
                start, up = inside[0]
                for i, span in enumerate((start - t0, up - start,
                                          reply - up)):
                    parts[i].append(span * 1000)
        if not parts[0]:
            return None
        return [sorted(p)[(len(p) - 1) // 2] for p in parts]

    def idle_share(self, test):
        """Percent of the server core's samples in the idle task."""
        path = os.path.join(self.tmpdir, "profile-headend-%s.idle" % test)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return number(f.read().strip().rstrip("%"))

    def peer_share(self, name, test):
        """Percent of a server's samples that deliver into the client's or
        the inside host's namespace (process_backlog), or None."""
        path = os.path.join(self.tmpdir,
                            "profile-%s-%s.peer" % (name, test))
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return number(f.read().strip().rstrip("%"))

    def delivery_table(self):
        """Estimate CPU per GB without the peers' receive, both servers."""
        rows = []
        for test, label in DIRECTIONS:
            cells, own = [label], []
            for name in ("headend", "ocserv"):
                cpu = self.num("%s.cpu_per_gb_%s" % (name, test))
                share = self.peer_share(name, test)
                if cpu is None or share is None:
                    break
                own.append(cpu * (1 - share / 100))
                cells += ["%.2f" % cpu, "%.0f%%" % share,
                          "%.2f" % own[-1]]
            if len(own) == 2 and own[1] > 0:
                rows.append(cells + ["%.2f" % (own[0] / own[1])])
        if not rows:
            return
        self.out()
        self.out(
            "- Delivery into the other namespaces: the kernel runs the "
            "receive of a veth's far end (process_backlog) in the "
            "sender's system call. So part of each server's CPU figure "
            "is the receive of the client's and the inside host's "
            "namespaces, work that their own hosts would do on a real "
            "network. The table takes that share of each server's "
            "profile samples off its CPU per GB. These are estimates "
            "from sampling, not measured times, and the target rows "
            "above stay as measured.")
        self.out()
        self.table("| Direction | headend s/GB | of it delivery | headend "
                   "without | ocserv s/GB | of it delivery | ocserv without "
                   "| ratio without |", rows)

    def direction_rows(self, cells_of):
        """Return a row for each of DIRECTIONS: its label, then
        cells_of(server, test) for each server. Rows whose cells are all
        "-" are left out."""
        rows = []
        for test, label in DIRECTIONS:
            cells = [cell for name in SERVERS
                     for cell in cells_of(name, test)]
            if any(cell != "-" for cell in cells):
                rows.append([label] + cells)
        return rows

    def loss_table(self):
        """Show the inner TCP's losses during (b), for both servers."""
        rows = self.direction_rows(lambda name, test: [
            self.get("%s.%s_%s" % (name, key, test)) or "-"
            for key in ("retransmits", "client_tun_drops",
                        "client_udp_drops")])
        if not rows:
            return
        self.out(
            "- Losses of the inner TCP stream: the iperf3 sender's "
            "retransmissions; the packets that the client's tun device "
            "dropped because openconnect did not read them before its "
            "queue was full; and the datagrams that the client's kernel "
            "dropped because openconnect's UDP receive buffer was full. "
            "openconnect shares its core with both iperf3 ends, so when "
            "it falls behind, packets are lost on the client's side "
            "and the inner TCP slows down.")
        self.out()
        self.table("| Direction | headend retransmissions | headend client "
                   "tun drops | headend client UDP drops | ocserv "
                   "retransmissions | ocserv client tun drops | ocserv "
                   "client UDP drops |", rows)

    def connect_split_note(self):
        """Say how much of the connect time is the client's own."""
        split = self.connect_split()
        if split is None:
            return
        before, server, after = split
        client = before + after
        text = (
            "- Connect time, split by the same log (medians): %.1f ms "
            "from openconnect's start to its first login request "
            "(process start, TCP and the TLS handshake, where headend's "
            "part is one RSA signature), %.1f ms in headend until the "
            "CONNECT reply, and %.1f ms from that reply to the first "
            "answered ping (openconnect's script, the tun device and the "
            "ping's round trip)." % (before, server, after))
        theirs = self.num("ocserv.connect_ms")
        if theirs is not None and client > theirs / 2:
            text += (
                " The client's two parts alone, %.1f ms, are more than "
                "half of ocserv's %.1f ms, so no server could reach the "
                "target ratio with this client." % (client, theirs))
        self.out(text)

    def core_table(self):
        """Show how busy each core was during (b), for both servers."""
        rows = self.direction_rows(lambda name, test: [
            self.percent("%s.%s_core_busy_%s" % (name, core, test))
            for core in ("client", "server")])
        if not rows:
            return
        self.out(
            "- How busy the client's and the server's cores were during "
            "the throughput runs, from /proc/stat (pinning: %s). When the "
            "client's core is near 100%% with both servers, the "
            "throughput is what the processes on that core can carry, "
            "and a faster server only leaves its own core idler."
            % self.get("meta.pinning"))
        self.out()
        self.table("| Direction | headend: client core | headend: server core "
                   "| ocserv: client core | ocserv: server core |", rows)

    def percent(self, key):
        value = self.num(key)
        return "%.0f%%" % value if value is not None else "-"

    def ceiling_note(self):
        """Compare DTLS to the client with and without client drops."""
        test = "ceiling_dtls_down"
        rates = [self.num("%s.tput_%s" % (name, test)) for name in SERVERS]
        if None in rates or not rates[1]:
            return
        plain = [self.get("%s.tput_dtls_down" % name) or "-"
                 for name in SERVERS]
        udp, tun = ([self.get("%s.client_%s_drops_%s" % (name, kind, test))
                     or "-" for name in SERVERS] for kind in ("udp", "tun"))
        busy = [self.percent("%s.client_core_busy_%s" % (name, test))
                for name in SERVERS]
        cap = self.get("meta.client_rmem_max")
        cap = ", here %s bytes" % cap if cap else ""
        self.out(
            "- The client's ceiling for DTLS to the client: the run "
            "again with openconnect's UDP receive buffer raised to 4 MiB "
            "by a preload library (tests/bench/rcvbuf.c); the kernel caps "
            "it at net.core.rmem_max%s. The client's UDP "
            "receive buffer then dropped %s (headend) and %s (ocserv) "
            "datagrams, and its tun device %s and %s packets. The stream "
            "ran at %.0f and %.0f Mbit/s, a ratio of %.2f, against %s and "
            "%s Mbit/s with the default buffer. The client's core was "
            "busy %s of the time with headend and %s with ocserv." % (
                cap, udp[0], udp[1], tun[0], tun[1], rates[0], rates[1],
                rates[0] / rates[1], plain[0], plain[1], busy[0], busy[1]))
        if 0.9 <= rates[0] / rates[1] <= 1.1:
            self.lines[-1] += (
                " Without the UDP drops, both servers reach about the same "
                "rate: what openconnect and iperf3 can take on their "
                "core.")
        self.out()

    def throughput_limits(self, test):
        """Say where headend's time went during one iperf3 run."""
        shares = self.object_shares(test)
        if not shares:
            return False
        idle = self.idle_share(test)
        label = test.upper().replace("_DOWN", ", to the client")
        text = ("- Throughput and CPU per GB over %s: %.0f%% of headend's "
                "samples on its core are in the kernel and %.0f%% in "
                "libcrypto, which does the AES-GCM." % (
                    label, shares.get("[kernel.kallsyms]", 0) or 0,
                    shares.get("libcrypto.so.3", 0) or 0))
        client_busy = self.num("headend.client_core_busy_" + test)
        if idle is not None and idle >= 10 and client_busy is None:
            text += " The server core was idle for %.0f%% of the run." % idle
        elif idle is not None and idle >= 10 and client_busy >= 90:
            text += (" The server core was idle for %.0f%% of the run, so "
                     "the throughput was set by the other core, where "
                     "openconnect, iperf3 and the inside host's iperf3 "
                     "share one CPU." % idle)
        elif idle is not None and idle >= 10:
            text += (" The server core was idle for %.0f%% of the run and "
                     "the client's core was busy only %.0f%% of it, so "
                     "neither core set the rate: the inner TCP's losses "
                     "at the client, in the table below, held it back."
                     % (idle, client_busy))
        self.out(text)
        return True

    def gro_note(self):
        """Say how many datagrams of the DTLS runs came merged."""
        merged = [self.num("headend.gro_datagrams_%s" % kind)
                  for kind in ("dtls", "dtls_down")]
        if any(n is None for n in merged):
            return "which the DTLS runs did not count"
        if sum(merged) == 0:
            return ("but in the DTLS runs none came merged, because "
                    "openconnect sends one datagram per call and a veth "
                    "device merges none of its own host's datagrams")
        return ("and in the DTLS runs %d and %d datagrams came merged"
                % tuple(merged))

    def data_path_note(self):
        self.out(
            "- The data path: headend writes runs of TCP segments to the "
            "tun device as one GSO packet (IFF_VNET_HDR), takes packets "
            "of up to 64 KiB from it and cuts them for the client, sends "
            "the records of such a burst with one UDP GSO call or one "
            "writev, reads DTLS with recvmmsg and reads TLS records "
            "ahead. Its UDP socket takes datagrams merged by UDP GRO, "
            "%s. Most of the "
            "kernel time left is the delivery of those packets: the tun "
            "write routes them and runs the inside host's TCP receive in "
            "headend's own system call, which the CPU figure counts. In a "
            "guest without a hardware counter, cpu-clock samples taken "
            "while interrupts are disabled are charged to the point where "
            "they are enabled again, which is why "
            "_raw_spin_unlock_irqrestore leads the kernel symbols."
            % self.gro_note())

    def workers_note(self):
        workers = self.get("meta.workers")
        if not workers:
            return
        self.out(
            "- Threads: headend ran %s worker thread(s), one per server "
            "core, with the server pinned to %s. A worker owns the "
            "tunnels of the client addresses steered to it; with more "
            "cores, more workers share the tunnels, but no figure here "
            "can show that, because one core serves all of them."
            % (workers, self.get("meta.pinning").split(",")[0]
               .replace("server ", "CPU ")))

    def limits_section(self):
        """Say what the profiles and logs show about each missed target."""
        self.out("## What limits headend in this run")
        self.out()
        spans = self.connect_spans()
        if spans:
            self.out(
                "- Connect time: headend's own log puts %s ms between "
                "the first login request and the CONNECT reply, password "
                "check included. The rest of the connect time is TCP and "
                "TLS setup and openconnect itself: its start, the DTLS "
                "handshake, the script that configures the tun device "
                "(four `ip` commands), and the first ping. Both servers "
                "share that client-side time, so halving ocserv's figure "
                "would need more than the whole of headend's part." %
                ", ".join("%.0f" % v for v in spans[:10]))
            self.connect_split_note()

        profiled = [self.throughput_limits(t) for t in
                    ("dtls", "tls", "dtls_down", "tls_down")]
        if any(profiled):
            self.data_path_note()
            self.delivery_table()
        self.core_table()
        self.loss_table()
        self.ceiling_note()
        self.workers_note()

        idle = self.num("headend.voice_idle.p50")
        load = self.num("headend.voice_load.p50")
        if idle is not None and load is not None and load > 2 * idle + 1:
            # Nagle's algorithm can only delay the stream on CSTP.
            nagle = ""
            if self.get("headend.voice_load.dtls") != "up":
                nagle = ("headend sets no TCP_NODELAY on client "
                         "connections, so Nagle's algorithm may hold a "
                         "small CSTP frame until the client acknowledges "
                         "the previous one. ")
            self.out(
                "- Voice under load: the median round trip grows from "
                "%.2f ms to %.2f ms when another session saturates the "
                "link, close to the stream's 20 ms packet interval. That "
                "suggests that a reply leaves only when the session's next "
                "packet arrives. %s"
                "Both sessions also share headend's one network process, "
                "while ocserv serves each in a worker process of its own. "
                "These are likely causes; this run does not measure them "
                "directly." % (idle, load, nagle))

        storm = self.get("headend.storm.cpu")
        if storm:
            shares = self.object_shares("storm")
            self.out(
                "- Storm: server CPU during the storm was %s. Of headend's "
                "samples on its core, %.0f%% are in libcrypt, the "
                "password check in authd, and %.0f%% in libcrypto, mostly "
                "the TLS handshakes. Password checks and handshakes share "
                "the one server core; the storm section gives their floor "
                "and the log lines of failed logins.%s" % (
                    storm.strip(), shares.get("libcrypt.so.1.1.0", 0) or 0,
                    shares.get("libcrypto.so.3", 0) or 0,
                    self.storm_cpu_total(storm) + self.storm_two_cores()))
        self.out()

    def storm_cpu_total(self, storm):
        """Return a sentence comparing the storm's server CPU with 30 s."""
        seconds = [number(v.split("=")[1]) for v in storm.split()
                   if "=" in v]
        if not seconds or None in seconds:
            return ""
        total = sum(seconds)
        if total <= 30:
            return (" In all the server processes used %.1f s of CPU on "
                    "their one core, within the phones' 30 s." % total)
        return (" In all the server processes used %.1f s of CPU on their "
                "one core, more than the phones' 30 s, so in whatever "
                "order the logins ran, the last one could not end within "
                "30 s." % total)

    def storm_two_cores(self):
        """Return a sentence on the storm with the server on every CPU."""
        if self.get("meta.threads_storm") != self.get("meta.storm_count"):
            return ""
        ends = [self.num("headend.threads.%s.time_to_all_up_s" % w)
                for w in ("1", "2")]
        ups = [self.get("headend.threads.%s.sessions_up" % w)
               for w in ("1", "2")]
        if None in ends:
            return ""
        return (" On CPUs %s, shared with the phones' loadgen, the same "
                "storm ended after %.1f s with 1 worker thread and %.1f s "
                "with 2 (%s and %s phones up; see the worker threads table)."
                % (self.get("meta.threads_cpus"), ends[0], ends[1],
                   ups[0], ups[1]))

    def profiles(self):
        self.out("## Profiles of the server core")
        self.out()
        self.out("`perf record -e cpu-clock` on the server's core (the "
                 "hardware instruction counter is not available in this "
                 "virtual machine), top symbols by share of samples: "
                 "command, object, symbol.")
        self.out()
        for name in sorted(os.listdir(self.tmpdir)):
            if not name.startswith("profile-") or not name.endswith(".txt"):
                continue
            with open(os.path.join(self.tmpdir, name)) as f:
                text = f.read().rstrip()
            if not text:
                continue
            self.out("### %s" % name[len("profile-"):-len(".txt")])
            self.out()
            self.out("```")
            for line in text.splitlines():
                self.out(" ".join(line.split())[:120])
            self.out("```")
            self.out()
            self.profile_objects(name[:-len(".txt")] + ".dso")

    def profile_objects(self, name):
        """Print the share of each object (kernel, libcrypto, ...)."""
        path = os.path.join(self.tmpdir, name)
        if not os.path.exists(path):
            return
        with open(path) as f:
            rows = [" ".join(line.split()) for line in f if line.strip()]
        if rows:
            self.out("By object: " + "; ".join(rows) + ".")
            self.out()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS TMPDIR")
    rep = Report(load(sys.argv[1]), sys.argv[2])
    rep.header()
    rep.load_warning()
    rep.method()
    rep.main_table()
    rep.shared_table()
    rep.memory_table()
    rep.voice_table()
    rep.storm_table()
    rep.threads_table()
    rep.missed_section()
    rep.limits_section()
    rep.profiles()
    sys.stdout.write("\n".join(rep.lines) + "\n")


if __name__ == "__main__":
    main()
