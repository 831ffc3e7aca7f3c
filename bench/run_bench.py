#!/usr/bin/env python3
"""icmpkit benchmarks (issue 3): icmpkit vs fping vs oping vs iputils ping vs
the machine's "speed of light" (bench/speed_of_light), side by side in one run,
same loopback targets (127.0.0.1 + i), every process bounded in time.

Scenarios
  wire       Google Benchmark microbenchmarks: the codec (bench/wire_bench) and
             the ping engine per target on a fake clock (bench/engine_bench)
  sweep      N targets (default 65,536), one probe each, as fast as possible
  silent     N targets (default 16,384) that never answer (nftables drops
             their echo requests to 127.200.0.0/16): one timeout in all?
  flood      one target, N probes back to back (icmpkit ping vs `ping -f -c N`)
  sustained  N targets (default 100,000) at 1 probe/s each for D seconds
  million    1,000,000 targets once (memory per target)

Per tool: wall time, probes/s (sent / wall: the tool's whole life, start-up
and final wait included), replies counted, CPU seconds (user + sys of the
tool's own process, via bench/measure), CPU per probe, peak RSS; then the ratios
icmpkit/fping, icmpkit/oping, icmpkit/speed-of-light.

Isolation: as root every tool runs in private network namespaces created here
(h12-bench-raw-<pid>: ping_group_range closed, so root gets raw sockets;
h12-bench-dgram-<pid>: ping_group_range opened, unprivileged runs drop to
nobody with setpriv). Nothing leaves loopback; the namespaces are deleted on
exit. Only processes started here are ever killed, by pid.

Standard library only. BENCH_QUICK=1 (or --quick) gives a short run.
Exit status: 0 when the harness ran (tools that are missing, time out or lose
replies are reported in the table, not as failures); 1 on a harness error.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from bench_stats import median_interval

# The target for a sweep: this fraction of the bare loop's speed.
SPEED_OF_LIGHT_TARGET = 0.9

LOOPBACK_FIRST = int(ipaddress.IPv4Address("127.0.0.1"))
# The silent scenario's targets: inside the bench namespaces nftables drops
# every echo request to this block, so these loopback addresses never answer.
SILENT_BLOCK = "127.200.0.0/16"
SILENT_FIRST = int(ipaddress.IPv4Address("127.200.0.1"))
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--no-new-privs"]


# --------------------------------------------------------------------------- running one tool

class Counter:
    """Streams a tool's output (hundreds of MB for oping or fping with many
    targets) and keeps: occurrences of `needle`; sums of the two groups of
    `pattern` over complete lines; and the last megabyte for parsing."""

    def __init__(self, needle: Optional[bytes] = None, pattern: Optional[bytes] = None,
                 tail_bytes: int = 1 << 20):
        self.needle = needle
        self.pattern = re.compile(pattern) if pattern else None
        self.count = 0
        self.sums = [0, 0]
        self.tail = b""
        self._carry = b""
        self._tail_bytes = tail_bytes

    def feed(self, chunk: bytes) -> None:
        # Whole lines only, so neither a needle nor a pattern is split.
        data = self._carry + chunk
        cut = data.rfind(b"\n") + 1
        lines, self._carry = data[:cut], data[cut:]
        if len(self._carry) > self._tail_bytes:  # a line without end: do not grow forever
            lines, self._carry = data, b""
        self._scan(lines)
        self.tail = (self.tail + chunk)[-self._tail_bytes:]

    def finish(self) -> None:
        self._scan(self._carry)
        self._carry = b""

    def _scan(self, lines: bytes) -> None:
        if self.needle:
            self.count += lines.count(self.needle)
        if self.pattern:
            for a, b in self.pattern.findall(lines):
                self.sums[0] += int(a)
                self.sums[1] += int(b)


@dataclass
class Run:
    tool: str
    variant: str
    argv: list[str]
    status: str = "ok"  # ok | timeout | failed (rc) | skipped: reason
    rc: Optional[int] = None
    wall: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    max_rss_kb: int = 0
    sent: Optional[int] = None
    replies: Optional[int] = None
    note: str = ""
    expected_sent: Optional[int] = None  # when the output does not say
    stdout: Counter = field(default_factory=Counter)
    stderr: Counter = field(default_factory=Counter)

    @property
    def cpu(self) -> float:
        return self.user + self.sys

    @property
    def cpu_per_probe_us(self) -> Optional[float]:
        return self.cpu * 1e6 / self.sent if self.sent else None

    @property
    def pps(self) -> Optional[float]:
        if self.sent is None or self.wall <= 0:
            return None
        return self.sent / self.wall


MEASURE: Optional[str] = None  # bench/measure, set in main()
CURRENT: list[subprocess.Popen] = []  # the one command running now, ended on interrupt


def run_process(argv: list[str], timeout: float, out: Counter,
                err: Counter) -> tuple[Optional[int], bool, float, float, float, int]:
    """Starts argv under bench/measure with its output going to files, waits
    at most `timeout` seconds (then SIGTERM, and SIGKILL 2 s later, to this
    command only: measure forwards them), then feeds the files to the
    counters. Returns (rc, timed_out, wall, user, sys, max_rss_kb) of the
    command itself. Files, not pipes: a tool printing a line per target
    (65,536 summaries) would otherwise wait on this Python reader whenever
    the pipe was full, and be timed at the reader's speed."""
    fd, result_file = tempfile.mkstemp(prefix="icmpkit-bench-measure-")
    os.close(fd)
    out_file = tempfile.TemporaryFile(prefix="icmpkit-bench-stdout-")
    err_file = tempfile.TemporaryFile(prefix="icmpkit-bench-stderr-")
    start = time.monotonic()
    proc = subprocess.Popen([MEASURE, result_file] + argv, stdin=subprocess.DEVNULL,
                            stdout=out_file, stderr=err_file)
    CURRENT.append(proc)
    timed_out = False
    killed_at = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        now = time.monotonic()
        if now - start > timeout and killed_at is None:
            timed_out = True
            killed_at = now
            os.kill(proc.pid, signal.SIGTERM)
        elif killed_at is not None and now - killed_at > 2:
            os.kill(proc.pid, signal.SIGUSR1)
            killed_at = now + 3600
        time.sleep(0.005)
    CURRENT.remove(proc)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for stream, counter in ((out_file, out), (err_file, err)):
        stream.seek(0)
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            counter.feed(chunk)
        counter.finish()
        stream.close()
    try:
        with open(result_file) as f:
            m = json.loads(f.read())
        return m["rc"], timed_out, m["wall"], m["user"], m["sys"], m["max_rss_kb"]
    except (OSError, ValueError, KeyError):
        # measure itself failed: the driver's view (RSS then includes the fork of Python).
        return proc.returncode, timed_out, wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss
    finally:
        os.unlink(result_file)


def execute(run: Run, timeout: float, parse: Callable[[Run], None],
            out: Optional[Counter] = None, err: Optional[Counter] = None,
            ok_codes: tuple[int, ...] = (0,)) -> Run:
    run.stdout, run.stderr = out or Counter(), err or Counter()
    rc, timed_out, run.wall, run.user, run.sys, run.max_rss_kb = run_process(run.argv, timeout, run.stdout,
                                                                             run.stderr)
    run.rc = rc
    try:
        parse(run)
    except (ValueError, KeyError, IndexError) as e:
        run.note = f"could not parse output: {e}"
    if timed_out:
        run.status = f"TIMEOUT {timeout:.0f}s"
    elif rc not in ok_codes:
        run.status = f"failed rc={rc}"
        tail = (run.stderr.tail or run.stdout.tail).decode(errors="replace").strip().splitlines()
        if tail:
            run.note = "; ".join(x for x in (tail[-1][:120], run.note) if x)
    return run


# --------------------------------------------------------------------------- output parsers

def parse_speed_of_light(run: Run) -> None:
    text = run.stdout.tail.decode(errors="replace").strip().splitlines()
    data = json.loads(text[-1])
    run.sent, run.replies = data["sent"], data["replies"]
    run.note = f"in-process {data['packets_per_second']:.0f} probes/s"


FPING_SUMMARY = rb"xmt/rcv/%loss = (\d+)/(\d+)/"


def parse_fping(run: Run) -> None:
    # -q -c K: one "host : xmt/rcv/%loss = a/b/c%" line per target on stderr.
    run.sent, run.replies = run.stderr.sums


def parse_oping(run: Run) -> None:
    # One "bytes from" line per reply; the per-host totals come at the very
    # end and oping sends every probe it is asked for.
    run.replies = run.stdout.count
    run.sent = run.expected_sent


def parse_ping(run: Run) -> None:
    m = re.search(r"(\d+) packets transmitted, (\d+) received", run.stdout.tail.decode(errors="replace"))
    if m:
        run.sent, run.replies = int(m.group(1)), int(m.group(2))


def parse_icmpkit(run: Run) -> None:
    """`icmpkit ping` prints iputils' statistics line, `icmpkit sweep -q -c`
    fping's per-target summaries (summed while streaming, see Counter); as
    fallbacks a --json summary object with sent/received-like keys, or looser
    "N alive" forms."""
    text = (run.stdout.tail + b"\n" + run.stderr.tail).decode(errors="replace")
    sent_keys = ("sent", "transmitted", "probes_sent", "tx")
    recv_keys = ("received", "replies", "alive", "replied", "rx", "up")
    for line in reversed(text.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        stack = [obj]
        while stack:
            o = stack.pop()
            if isinstance(o, dict):
                s = next((o[k] for k in sent_keys if isinstance(o.get(k), int)), None)
                r = next((o[k] for k in recv_keys if isinstance(o.get(k), int)), None)
                if r is not None:
                    run.sent, run.replies = (s if s is not None else run.sent), r
                    return
                stack.extend(v for v in o.values() if isinstance(v, (dict, list)))
            elif isinstance(o, list):
                stack.extend(v for v in o if isinstance(v, (dict, list)))
    m = re.search(r"(\d+) (?:packets |probes )?(?:transmitted|sent), (\d+) (?:packets )?received", text)
    if m:
        run.sent, run.replies = int(m.group(1)), int(m.group(2))
        return
    pairs = re.findall(r"xmt/rcv/%loss = (\d+)/(\d+)/", text)
    if pairs:
        run.sent = sum(int(a) for a, _ in pairs)
        run.replies = sum(int(b) for _, b in pairs)
        return
    m = re.search(r"(\d+)\s+(?:of\s+\d+\s+)?(?:targets?\s+|hosts?\s+)?(?:alive|up|replied|reachable)", text)
    if m:
        run.replies = int(m.group(1))
        return
    run.note = run.note or "reply count not recognised in output"


# --------------------------------------------------------------------------- icmpkit CLI discovery

def cli_help(icmpkit: Optional[str], sub: str) -> Optional[str]:
    if not icmpkit or not os.access(icmpkit, os.X_OK):
        return None
    try:
        p = subprocess.run([icmpkit, sub, "--help"], capture_output=True, timeout=10, text=True)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = p.stdout + p.stderr
    # CLI11 answers `icmpkit unknown --help` with the top-level help and 0:
    # only a help whose usage line names the subcommand counts.
    if p.returncode != 0 or not re.search(r"^Usage: \S*icmpkit \S*" + re.escape(sub) + r"\b", text, re.M):
        return None
    return text


def has_flag(help_text: str, *names: str) -> Optional[str]:
    for n in names:
        if re.search(r"(?:^|[\s,])" + re.escape(n) + r"(?=[\s,=]|$)", help_text, re.M):
            return n
    return None


def icmpkit_sweep_argv(icmpkit: str, help_text: str, fping_args: list[str],
                       mode: str) -> tuple[Optional[list[str]], str]:
    """`icmpkit sweep` takes fping's flags (tools/sweep_format.hpp follows
    fping 5.1), so it gets exactly the arguments fping gets, plus the socket
    kind when its --help offers a flag for it. ICMPKIT_SWEEP_ARGS overrides
    the fping arguments: a template with {fping_args} and {mode}."""
    template = os.environ.get("ICMPKIT_SWEEP_ARGS")
    if template:
        return [icmpkit, "sweep"] + template.format(fping_args=" ".join(fping_args), mode=mode).split(), \
            "ICMPKIT_SWEEP_ARGS"
    for flag in ("-f", "-c", "-q"):
        if not has_flag(help_text, flag):
            return None, f"sweep --help shows no fping-style {flag} (set ICMPKIT_SWEEP_ARGS)"
    argv = [icmpkit, "sweep"] + fping_args
    note = ""
    if "-i" in argv and argv[argv.index("-i") + 1] == "0" and mode != "raw":
        # Like fping, icmpkit sweep takes -i 0 from root only (the raw runs);
        # the unprivileged run gets --rate, which anyone may use: 10^6/s is no pacing here.
        at = argv.index("-i")
        if has_flag(help_text, "--rate"):
            argv[at:at + 2] = ["--rate", "1000000"]
            note = "--rate 1000000 for -i 0"
        else:
            argv[at + 1] = "0.001"
            note = "-i 0.001 for -i 0"
    s = has_flag(help_text, "--socket", "--socket-mode", "--mode")
    if s:
        argv[2:2] = [s, mode]
    elif mode == "raw":
        note = "no socket-kind flag: automatic (raw: ping_group_range closed)"
    return argv, note


def icmpkit_flood_argv(icmpkit: str, help_text: str, count: int,
                       interval: Optional[str] = None) -> tuple[Optional[list[str]], str]:
    template = os.environ.get("ICMPKIT_FLOOD_ARGS")
    if template:
        return [icmpkit] + template.format(count=count).split(), "ICMPKIT_FLOOD_ARGS"
    # `icmpkit ping` follows iputils ping: give it what `ping -q -f -c N` gets.
    fl = has_flag(help_text, "-f", "--flood")
    c = has_flag(help_text, "-c", "--count")
    if not fl or not c:
        return None, "ping --help shows no -f/-c (set ICMPKIT_FLOOD_ARGS)"
    argv = [icmpkit, "ping"]
    q = has_flag(help_text, "-q", "--quiet")
    if q:
        argv.append(q)
    argv += [fl, c, str(count)]
    if interval is not None:
        argv += ["-i", interval]
    m = has_flag(help_text, "--mode", "--socket")
    if m:
        argv += [m, "raw"]
    argv.append("127.0.0.1")
    return argv, ""


# --------------------------------------------------------------------------- namespaces

class Lab:
    """Two private network namespaces (or none when not root / --no-netns)."""

    def __init__(self, use_netns: bool):
        self.use_netns = use_netns
        self.raw_ns = f"h12-bench-raw-{os.getpid()}"
        self.dgram_ns = f"h12-bench-dgram-{os.getpid()}"
        self.created: list[str] = []
        self.silent_ready = False  # SILENT_BLOCK dropped in both namespaces

    def __enter__(self) -> "Lab":
        if not self.use_netns:
            return self
        silent = shutil.which("nft") is not None
        for ns, group_range in ((self.raw_ns, "1 0"), (self.dgram_ns, "0 2147483647")):
            subprocess.run(["ip", "netns", "add", ns], check=True)
            self.created.append(ns)
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            f"net.ipv4.ping_group_range={group_range}"], check=True)
            if silent:
                rules = ("table inet bench_silent {\n chain input {\n  type filter hook input priority 0;\n"
                         f"  ip daddr {SILENT_BLOCK} icmp type echo-request drop\n }}\n}}\n")
                silent = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules.encode(),
                                        check=False).returncode == 0
        self.silent_ready = silent
        return self

    def __exit__(self, *exc) -> None:
        for ns in self.created:
            subprocess.run(["ip", "netns", "delete", ns], check=False)
        self.created.clear()

    def root(self, argv: list[str]) -> list[str]:
        return (["ip", "netns", "exec", self.raw_ns] + argv) if self.use_netns else argv

    def unprivileged(self, argv: list[str]) -> Optional[list[str]]:
        if self.use_netns:
            return ["ip", "netns", "exec", self.dgram_ns] + NOBODY + argv
        return None if os.geteuid() == 0 else argv


# --------------------------------------------------------------------------- report

def fmt_num(v: Optional[float], digits: int = 0) -> str:
    if v is None:
        return "-"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def print_table(title: str, runs: list[Run]) -> None:
    print(f"\n== {title}")
    head = f"{'tool':<30} {'status':<14} {'wall s':>8} {'probes/s':>11} {'sent':>10} {'replies':>10} " \
           f"{'cpu s':>7} {'cpu us/probe':>12} {'rss MiB':>8}  note"
    print(head)
    print("-" * len(head))
    for r in runs:
        name = f"{r.tool} {r.variant}".strip()
        if r.status.startswith("skipped") or r.status.startswith("not built"):
            print(f"{name:<30} {r.status:<14} {'':>8} {'':>11} {'':>10} {'':>10} {'':>7} {'':>12} {'':>8}  {r.note}")
            continue
        print(f"{name:<30} {r.status:<14} {r.wall:>8.3f} {fmt_num(r.pps):>11} {fmt_num(r.sent):>10} "
              f"{fmt_num(r.replies):>10} {r.cpu:>7.3f} {fmt_num(r.cpu_per_probe_us, 2):>12} "
              f"{r.max_rss_kb / 1024:>8.1f}  {r.note}")


def usable(r: Optional[Run]) -> bool:
    return r is not None and r.status == "ok" and r.wall > 0


def median_run(runs: list[Run]) -> Run:
    """The run whose wall time is the median of the usable ones (its own
    CPU and RSS go with it), noted with the spread; the last run when none
    was usable. One run of a sub-second sweep on a shared VM varies by 15%
    or more, so the sweep scenario repeats its fast tools and compares medians."""
    ok = sorted((r for r in runs if usable(r)), key=lambda r: r.wall)
    if not ok:
        return runs[-1]
    chosen = ok[(len(ok) - 1) // 2]
    if len(runs) > 1:
        spread = f"median of {len(ok)}/{len(runs)} runs, wall {ok[0].wall:.3f}-{ok[-1].wall:.3f} s"
        chosen.note = f"{chosen.note}; {spread}" if chosen.note else spread
    return chosen


def repeated_rounds(makers: list[Callable[[], Run]], times: int) -> list[list[Run]]:
    """Runs every maker `times` times, interleaved (a slow spell of the
    machine then hits every tool alike): every run of each maker, in order."""
    rounds: list[list[Run]] = [[] for _ in makers]
    for _ in range(max(1, times)):
        for i, make in enumerate(makers):
            rounds[i].append(make())
    return rounds


def repeated(makers: list[Callable[[], Run]], times: int) -> list[Run]:
    """repeated_rounds, keeping each maker's median run."""
    return [median_run(r) for r in repeated_rounds(makers, times)]


def print_paired_fraction(title: str, subject: list[Run], reference: list[Run],
                          target: Optional[float] = None) -> None:
    """The fraction of the reference's speed, round by round: each round runs
    the two back to back, so a slow spell of the machine (on a shared VM,
    15% from one minute to the next) hits both alike. The median of these
    per-round fractions says more than the ratio of two medians taken from
    different rounds, and its interval says how sure that median is: a target
    counts as met only when the interval's low end reaches it."""
    fractions = sorted(ref.wall / sub.wall for sub, ref in zip(subject, reference) if usable(sub) and usable(ref))
    if len(fractions) < 2:
        return
    line = (f"   {title}, paired by round: {statistics.median(fractions):.2f} of its speed "
            f"(median of {len(fractions)} rounds, range {fractions[0]:.2f}-{fractions[-1]:.2f}")
    interval = median_interval(fractions)
    if interval is None:
        print(line + "; too few rounds for a 90% interval)")
        return
    low, high, level = interval
    print(line + f"; {level:.0%} interval for the median {low:.3f}-{high:.3f})")
    if target is not None:
        verdict = "met" if low >= target else ("not met" if high < target else "not shown either way")
        print(f"   -> target >= {target} of its speed: {verdict} (the interval's low end must reach it)")


def print_ratios(title: str, subject: Optional[Run], peers: list[tuple[str, Optional[Run]]],
                 missing_reason: str) -> None:
    print(f"-- ratios ({title}): <1 means icmpkit is faster / leaner")
    if not usable(subject):
        print(f"   icmpkit: {missing_reason}")
        # Peers against the speed of light still say something about the machine.
        sol = next((r for n, r in peers if n == "speed-of-light"), None)
        for name, peer in peers:
            if name != "speed-of-light" and usable(peer) and usable(sol):
                print(f"   {name}/speed-of-light: wall {peer.wall / sol.wall:.2f}x, "
                      f"cpu {peer.cpu / max(sol.cpu, 1e-3):.2f}x, rss {peer.max_rss_kb / max(sol.max_rss_kb, 1):.2f}x")
        return
    for name, peer in peers:
        if not usable(peer):
            print(f"   icmpkit/{name}: n/a ({peer.status if peer else 'not run'})")
            continue
        caveat = ""
        if subject.replies != peer.replies:
            caveat = f"  [replies differ: icmpkit {fmt_num(subject.replies)} vs {fmt_num(peer.replies)}]"
        rate = ""
        if subject.sent and peer.sent and subject.wall > 0 and peer.wall > 0:
            # probes/s over probes/s: the "x times fping's rate" figure (>1: icmpkit is faster)
            rate = f", rate {(subject.sent / subject.wall) / (peer.sent / peer.wall):.2f}x"
        print(f"   icmpkit/{name}: wall {subject.wall / peer.wall:.2f}x, cpu {subject.cpu / max(peer.cpu, 1e-3):.2f}x, "
              f"rss {subject.max_rss_kb / max(peer.max_rss_kb, 1):.2f}x{rate}{caveat}")


# --------------------------------------------------------------------------- scenarios

@dataclass
class Config:
    quick: bool
    sweep_targets: int
    silent_targets: int
    flood_count: int
    sustained_targets: int
    sustained_seconds: int
    million_targets: int
    oping_max_targets: int
    timeout_ms: int
    tool_timeout: float
    scenarios: list[str]
    repeat: int = 1


# fping 5.1 fails past this many probes within 10 s ("not enough sequence numbers").
FPING_MAX_TARGETS = 65535


def write_targets(directory: str, n: int, first: int = LOOPBACK_FIRST) -> str:
    path = os.path.join(directory, f"targets-{ipaddress.IPv4Address(first)}-{n}.txt")
    if not os.path.exists(path):
        with open(path, "w") as f:
            for i in range(0, n, 4096):
                f.write("".join(str(ipaddress.IPv4Address(first + j)) + "\n"
                                for j in range(i, min(n, i + 4096))))
        os.chmod(path, 0o644)
    return path


class Bench:
    def __init__(self, cfg: Config, lab: Lab, sol: str, icmpkit: Optional[str], workdir: str):
        self.cfg, self.lab, self.sol, self.icmpkit, self.workdir = cfg, lab, sol, icmpkit, workdir
        self.sweep_help = cli_help(icmpkit, "sweep")
        self.ping_help = cli_help(icmpkit, "ping")
        self.results: dict[str, list[Run]] = {}

    def speed_of_light(self, variant: str, targets: int, count: int, rate: float, timeout: float,
                       timestamps: bool = False) -> Run:
        argv = [self.sol, "--mode", variant, "--targets", str(targets), "--count", str(count),
                "--linger", str(self.cfg.timeout_ms / 1000), "--max-seconds", str(timeout - 5), "--json"]
        if rate:
            argv += ["--rate", str(rate)]
        if timestamps:
            argv.append("--timestamps")
        wrapped = self.lab.root(argv) if variant == "raw" else self.lab.unprivileged(argv)
        name = variant + ("+ts" if timestamps else "")  # ts: receive timestamps
        run = Run("speed-of-light", name + (" (nobody)" if variant == "dgram" else " (root)"), wrapped or [])
        if wrapped is None:
            run.status, run.note = "skipped", "needs a namespace with ping_group_range opened"
            return run
        return execute(run, timeout, parse_speed_of_light, ok_codes=(0, 3))

    def fping_args(self, file: str, targets: int, count: int, period_ms: Optional[float]) -> list[str]:
        argv = ["-q", "-c", str(count), "-r", "0", "-t", str(self.cfg.timeout_ms), "-f", file]
        if period_ms is None:
            argv += ["-i", "0"]
        else:  # sustained: every target once per period, packets spread evenly
            argv += ["-p", str(int(period_ms)), "-i", f"{period_ms / targets:.4f}"]
        return argv

    def fping(self, file: str, targets: int, count: int, period_ms: Optional[float], timeout: float) -> Run:
        run = Run("fping", "(root, raw)", self.lab.root(["fping"] + self.fping_args(file, targets, count, period_ms)))
        if not shutil.which("fping"):
            run.status, run.note = "skipped", "fping not installed"
            return run
        # fping exits 1 when some target did not answer: still a measurement.
        return execute(run, timeout, parse_fping, err=Counter(pattern=FPING_SUMMARY), ok_codes=(0, 1))

    def oping(self, file: str, targets: int, count: int, interval: Optional[float], timeout: float) -> Run:
        argv = ["oping", "-c", str(count), "-w", str(self.cfg.timeout_ms / 1000), "-f", file]
        if interval:
            argv += ["-i", str(interval)]
        run = Run("oping", "(root, raw)", self.lab.root(argv))
        if not shutil.which("oping"):
            run.status, run.note = "skipped", "oping not installed (apt-get install -y oping)"
            return run
        if targets > self.cfg.oping_max_targets:
            run.status = "skipped"
            run.note = (f"{targets:,} > --oping-max-targets {self.cfg.oping_max_targets:,} "
                        "(liboping is quadratic in targets and ~16 KiB/target)")
            return run
        run.expected_sent = targets * count
        return execute(run, timeout, parse_oping, out=Counter(needle=b"bytes from"), ok_codes=(0, 1))

    def icmpkit_sweep(self, file: str, targets: int, count: int, period_ms: Optional[float], timeout: float,
                      mode: str) -> Run:
        variant = "(root, raw)" if mode == "raw" else "(nobody, dgram)"
        run = Run("icmpkit sweep", variant, [])
        if self.sweep_help is None:
            run.status, run.note = "not built", "icmpkit sweep not built yet"
            return run
        argv, note = icmpkit_sweep_argv(self.icmpkit, self.sweep_help,
                                        self.fping_args(file, targets, count, period_ms), mode)
        if argv is None:
            run.status, run.note = "skipped", note
            return run
        wrapped = self.lab.root(argv) if mode == "raw" else self.lab.unprivileged(argv)
        if wrapped is None:
            run.status, run.note = "skipped", "needs a namespace with ping_group_range opened"
            return run
        run.argv = wrapped

        def parse(r: Run) -> None:
            if r.stderr.sums[0]:
                r.sent, r.replies = r.stderr.sums
            else:
                parse_icmpkit(r)

        execute(run, timeout, parse, err=Counter(pattern=FPING_SUMMARY), ok_codes=(0, 1))
        if run.sent is None and run.replies is not None:
            run.sent = count * targets  # as asked
            run.note = "; ".join(x for x in (run.note, "sent = as asked") if x)
        run.note = "; ".join(x for x in (run.note, note) if x)
        return run

    # -- the scenarios

    def wire(self) -> None:
        print("\n== wire: Google Benchmark microbenchmarks, no sockets: the codec (encode/decode/checksum)"
              " and the ping engine's cost per target of a sweep on a fake clock")
        for name in ("wire_bench", "engine_bench"):
            exe = os.path.join(os.path.dirname(self.sol), name)
            if not os.access(exe, os.X_OK):
                print(f"   {name} not built (libbenchmark-dev missing?)")
                continue
            argv = [exe, f"--benchmark_min_time={0.05 if self.cfg.quick else 0.5}"]
            run = Run(name, "", argv)
            execute(run, self.cfg.tool_timeout, lambda r: None)
            text = run.stdout.tail.decode(errors="replace")
            print("\n".join("   " + line for line in text.rstrip().splitlines()))
            if run.status != "ok":
                print(f"   {name}: {run.status} {run.note}")

    def sweep(self) -> None:
        n = self.cfg.sweep_targets
        file = write_targets(self.workdir, n)
        t = self.cfg.tool_timeout
        r = self.cfg.repeat
        rounds = repeated_rounds([lambda: self.speed_of_light("raw", n, 1, 0, t),
                                  lambda: self.speed_of_light("dgram", n, 1, 0, t),
                                  lambda: self.icmpkit_sweep(file, n, 1, None, t, "raw"),
                                  lambda: self.icmpkit_sweep(file, n, 1, None, t, "dgram"),
                                  lambda: self.fping(file, n, 1, None, t),
                                  lambda: self.speed_of_light("raw", n, 1, 0, t, timestamps=True)], r)
        runs = [median_run(r) for r in rounds]
        runs.append(self.oping(file, n, 1, None, t))  # tens of seconds a run: once
        title = f"sweep: {n:,} targets x 1 probe, as fast as possible"
        self.results["sweep"] = runs
        print_table(title, runs)
        print_ratios("sweep, root/raw", runs[2], [("fping", runs[4]), ("oping", runs[6]),
                                                  ("speed-of-light", runs[0])], runs[2].note or runs[2].status)
        # Not a target, a breakdown: the bare loop asking for the receive
        # timestamps icmpkit's RTTs come from (what the kernel charges for them).
        print_ratios("sweep, root/raw, against the loop with receive timestamps", runs[2],
                     [("speed-of-light+ts", runs[5])], runs[2].note or runs[2].status)
        print_ratios("sweep, nobody/dgram", runs[3], [("speed-of-light", runs[1])], runs[3].note or runs[3].status)
        print_paired_fraction("icmpkit sweep (root, raw) against speed-of-light raw", rounds[2], rounds[0],
                              target=SPEED_OF_LIGHT_TARGET)
        print_paired_fraction("icmpkit sweep (nobody, dgram) against speed-of-light dgram", rounds[3], rounds[1],
                              target=SPEED_OF_LIGHT_TARGET)
        # The breakdown, paired too: what the receive timestamps cost the bare
        # loop, and icmpkit against the loop that pays for them as well.
        print_paired_fraction("speed-of-light raw+ts against speed-of-light raw", rounds[5], rounds[0])
        print_paired_fraction("icmpkit sweep (root, raw) against speed-of-light raw+ts", rounds[2], rounds[5])
        if n > FPING_MAX_TARGETS:
            # fping 5.1 refuses a 65,536th probe within its 10 s sequence-number
            # expiry, so the fping comparison also runs at fping's largest list.
            m = FPING_MAX_TARGETS
            small = write_targets(self.workdir, m)
            pair = repeated([lambda: self.icmpkit_sweep(small, m, 1, None, t, "raw"),
                             lambda: self.fping(small, m, 1, None, t)], r)
            self.results["sweep_fping_max"] = pair
            print_table(f"sweep at fping's largest list: {m:,} targets x 1 probe", pair)
            print_ratios(f"sweep {m:,}, root/raw", pair[0], [("fping", pair[1])], pair[0].note or pair[0].status)

    def silent(self) -> None:
        """Targets that never answer (nftables drops their echo requests in
        the bench namespaces): each tool should wait about one timeout in
        all. A sweep that holds the next targets back until earlier ones time
        out pays the timeout once per batch instead."""
        n = self.cfg.silent_targets
        t = self.cfg.tool_timeout
        title = f"silent: {n:,} targets that never answer x 1 probe, timeout {self.cfg.timeout_ms} ms"
        if not self.lab.silent_ready:
            print(f"\n== {title}\n   skipped: needs root, network namespaces and nft (to drop {SILENT_BLOCK})")
            return
        file = write_targets(self.workdir, n, SILENT_FIRST)
        runs = repeated([lambda: self.icmpkit_sweep(file, n, 1, None, t, "raw"),
                         lambda: self.icmpkit_sweep(file, n, 1, None, t, "dgram"),
                         lambda: self.fping(file, n, 1, None, t)], min(self.cfg.repeat, 3))
        self.results["silent"] = runs
        print_table(title, runs)
        print_ratios("silent, root/raw", runs[0], [("fping", runs[2])], runs[0].note or runs[0].status)

    def flood(self) -> None:
        n = self.cfg.flood_count
        t = self.cfg.tool_timeout
        sol = self.speed_of_light("raw", 1, n, 0, t)
        # Same window as ping -f: at most one probe outstanding is what iputils
        # does only when replies are slow; on loopback it keeps up, so no cap.
        ping = Run("ping -f", "(root, iputils)", self.lab.root(["ping", "-q", "-f", "-c", str(n), "127.0.0.1"]))
        execute(ping, t, parse_ping, ok_codes=(0, 1))
        # icmpkit ping twice: with ping's exact flags, and with -i 0, which is
        # what iputils does for root when -f is given without -i.
        iks = []
        for label, interval in (("", None), ("-i 0", "0")):
            ik = Run(f"icmpkit ping -f {label}".strip(), "(root)", [])
            iks.append(ik)
            if self.ping_help is None:
                ik.status, ik.note = "not built", "icmpkit ping not built yet"
                continue
            argv, note = icmpkit_flood_argv(self.icmpkit, self.ping_help, n, interval)
            if argv is None:
                ik.status, ik.note = "skipped", note
                continue
            ik.argv = self.lab.root(argv)
            execute(ik, min(t, 30.0) if self.cfg.quick else t, parse_icmpkit, ok_codes=(0, 1))
        runs = [sol] + iks + [ping]
        self.results["flood"] = runs
        print_table(f"flood: 1 target (127.0.0.1) x {n:,} probes", runs)
        for ik in iks:
            print_ratios(f"flood, {ik.tool}", ik, [("ping -f", ping), ("speed-of-light", sol)], ik.note or ik.status)

    def sustained(self) -> None:
        n, d = self.cfg.sustained_targets, self.cfg.sustained_seconds
        file = write_targets(self.workdir, n)
        t = d + 60
        runs = [self.speed_of_light("raw", n, d, float(n), t),
                self.icmpkit_sweep(file, n, d, 1000.0, t, "raw"),
                self.fping(file, n, d, 1000.0, t),
                self.oping(file, n, d, 1.0, t)]
        self.results["sustained"] = runs
        print_table(f"sustained: {n:,} targets at 1 probe/s each for {d} s ({n * d:,} probes)", runs)
        print_ratios("sustained", runs[1], [("fping", runs[2]), ("oping", runs[3]), ("speed-of-light", runs[0])],
                     runs[1].note or runs[1].status)

    def million(self) -> None:
        n = self.cfg.million_targets
        file = write_targets(self.workdir, n)
        t = max(self.cfg.tool_timeout, 180.0)
        runs = [self.speed_of_light("raw", n, 1, 0, t), self.icmpkit_sweep(file, n, 1, None, t, "raw"),
                self.fping(file, n, 1, None, t), self.oping(file, n, 1, None, t)]
        self.results["million"] = runs
        print_table(f"million: {n:,} targets once (memory per target)", runs)
        # Marginal memory: peak RSS here minus peak RSS of the same tool in the
        # sweep scenario, over the difference in targets (drops the fixed cost).
        small = {(r.tool, r.variant): r for r in self.results.get("sweep", []) if usable(r)}
        print(f"-- memory per target (peak RSS; marginal = vs the sweep scenario's {self.cfg.sweep_targets:,} targets)")
        for r in runs:
            if not usable(r):
                continue
            line = f"   {r.tool} {r.variant}: {r.max_rss_kb * 1024 / n:,.1f} bytes/target overall"
            base = small.get((r.tool, r.variant))
            if base and n > self.cfg.sweep_targets:
                marginal = (r.max_rss_kb - base.max_rss_kb) * 1024 / (n - self.cfg.sweep_targets)
                line += f", {marginal:,.1f} bytes/target marginal"
            print(line)
        print_ratios("million", runs[1], [("fping", runs[2]), ("oping", runs[3]), ("speed-of-light", runs[0])],
                     runs[1].note or runs[1].status)


def main() -> int:
    quick_env = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("BENCH_BUILD_DIR", "build-bench"),
                    help="CMake build directory with bench/speed_of_light and tools/icmpkit")
    ap.add_argument("--quick", action="store_true", default=quick_env, help="short run (also BENCH_QUICK=1)")
    ap.add_argument("--scenarios", default="wire,sweep,silent,flood,sustained,million")
    ap.add_argument("--sweep-targets", type=int)
    ap.add_argument("--silent-targets", type=int)
    ap.add_argument("--flood-count", type=int)
    ap.add_argument("--sustained-targets", type=int)
    ap.add_argument("--sustained-seconds", type=int, default=int(os.environ.get("BENCH_SUSTAINED_SECONDS", "0")) or None)
    ap.add_argument("--million-targets", type=int)
    ap.add_argument("--oping-max-targets", type=int)
    ap.add_argument("--timeout-ms", type=int, default=1000, help="per-probe reply timeout given to every tool")
    ap.add_argument("--tool-timeout", type=float, help="hard bound on each tool's run, seconds")
    ap.add_argument("--no-netns", action="store_true", help="run in the current network namespace")
    ap.add_argument("--json-out", help="also write every measurement to this JSON file")
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "0")) or None,
                    help="runs of each fast sweep tool, interleaved; the median is shown (default 9, quick 3;"
                         " also BENCH_REPEAT)")
    a = ap.parse_args()

    q = a.quick
    cfg = Config(
        quick=q,
        sweep_targets=a.sweep_targets or (16_384 if q else 65_536),
        silent_targets=a.silent_targets or (4_096 if q else 16_384),
        flood_count=a.flood_count or (20_000 if q else 100_000),
        sustained_targets=a.sustained_targets or (10_000 if q else 100_000),
        sustained_seconds=a.sustained_seconds or (3 if q else 60),
        million_targets=a.million_targets or (200_000 if q else 1_000_000),
        oping_max_targets=a.oping_max_targets or (16_384 if q else 65_536),
        timeout_ms=a.timeout_ms,
        tool_timeout=a.tool_timeout or (60.0 if q else 600.0),
        scenarios=[s.strip() for s in a.scenarios.split(",") if s.strip()],
        repeat=a.repeat or (3 if q else 9),
    )
    for s in cfg.scenarios:
        if s not in ("wire", "sweep", "silent", "flood", "sustained", "million"):
            print(f"run_bench: unknown scenario {s}", file=sys.stderr)
            return 1
    top = max(cfg.sweep_targets, cfg.sustained_targets, cfg.million_targets)
    if top > 16_777_214 - 1:
        print("run_bench: at most 16,777,213 loopback targets", file=sys.stderr)
        return 1

    sol = os.path.join(a.build, "bench", "speed_of_light")
    if not os.access(sol, os.X_OK):
        print(f"run_bench: {sol} missing: build with -DICMPKIT_BUILD_BENCH=ON (make bench)", file=sys.stderr)
        return 1
    sol = os.path.abspath(sol)
    global MEASURE
    MEASURE = os.path.abspath(os.path.join(a.build, "bench", "measure"))
    if not os.access(MEASURE, os.X_OK):
        print(f"run_bench: {MEASURE} missing: build the icmpkit_bench_all target", file=sys.stderr)
        return 1
    icmpkit = os.path.abspath(os.path.join(a.build, "tools", "icmpkit"))
    use_netns = not a.no_netns and os.geteuid() == 0 and shutil.which("ip") is not None
    if not use_netns and os.geteuid() == 0 and not a.no_netns:
        print("run_bench: `ip` missing: running in the current namespace", file=sys.stderr)
    if os.geteuid() != 0:
        print("run_bench: not root: raw-socket tools will fail, no namespaces (run `sudo make bench`)",
              file=sys.stderr)

    load = open("/proc/loadavg").read().split()[:3]
    print(f"icmpkit benchmarks ({'quick' if q else 'full'} mode) on {os.cpu_count()} CPUs, load average "
          f"{' '.join(load)}; targets 127.0.0.1 + i on loopback"
          f"{' in private namespaces' if use_netns else ''}; reply timeout {cfg.timeout_ms} ms")
    if cfg_load_high(load):
        print("note: the machine is busy: timings are noisy, compare ratios within this run only")

    workdir = tempfile.mkdtemp(prefix="icmpkit-bench-")
    os.chmod(workdir, 0o755)  # nobody must read the target lists
    interrupted = []

    def on_signal(signum, _frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        with Lab(use_netns) as lab:
            bench = Bench(cfg, lab, sol, icmpkit if os.access(icmpkit, os.X_OK) else None, workdir)
            if bench.sweep_help is None:
                print("icmpkit sweep not built yet: running the peers and the speed-of-light loop only")
            for s in cfg.scenarios:
                getattr(bench, s)()
            if a.json_out:
                dump = {k: [{"tool": r.tool, "variant": r.variant, "status": r.status, "argv": r.argv,
                             "wall_s": r.wall, "user_s": r.user, "sys_s": r.sys, "max_rss_kb": r.max_rss_kb,
                             "sent": r.sent, "replies": r.replies, "note": r.note} for r in v]
                        for k, v in bench.results.items()}
                with open(a.json_out, "w") as f:
                    json.dump({"quick": q, "load": load, "results": dump}, f, indent=1)
    except KeyboardInterrupt:
        for proc in CURRENT:  # measure forwards SIGTERM to the tool it runs
            try:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        print("run_bench: interrupted", file=sys.stderr)
        return 1
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"run_bench: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def cfg_load_high(load: list[str]) -> bool:
    try:
        return float(load[0]) > (os.cpu_count() or 1) * 0.75
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit(main())
