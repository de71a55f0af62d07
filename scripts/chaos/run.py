#!/usr/bin/env python3
"""The chaos test's conductor (scripts/chaos.sh builds what it runs).

Starts a monitor and bots in several languages that log llm_usage with known
token values; meanwhile SIGKILLs and restarts the monitor K times at random
moments and SIGSTOPs it once for 5 s. At the end it checks, in SQLite, that
SUM(tokens_in), SUM(tokens_out) and SUM(count) equal exactly what the bots
logged, that no (instance, seq) is stored twice and that PRAGMA
integrity_check says ok; and that every bot was online within 2 s of each
restart. Prints its figures; exits 1 if any check fails.
"""
import argparse
import datetime
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ONLINE_WITHIN = 2.0
LIVE = []  # every process started, killed on the way out
STOP_FOR = 5.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Monitor:
    def __init__(self, server, workdir):
        self.server, self.workdir = server, workdir
        self.socket = os.path.join(workdir, "monitor.sock")
        self.db = os.path.join(workdir, "chaos.db")
        self.port = free_port()
        self.proc = None
        self.starts = 0

    def start(self):
        log = open(os.path.join(self.workdir, "monitor-%d.log" % self.starts), "wb")
        self.starts += 1
        self.proc = subprocess.Popen(
            [self.server, "serve", "--socket", self.socket, "--db", self.db, "--http", "127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        LIVE.append(self.proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit("chaos: the monitor exited at start; see %s" % log.name)
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.socket)
                urllib.request.urlopen(self.url("/api/v1/monitor"), timeout=2).read()
                return time.time()
            except OSError:
                time.sleep(0.01)
        sys.exit("chaos: the monitor did not listen within 30 s")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def bots(self):
        with urllib.request.urlopen(self.url("/api/v1/bots"), timeout=5) as reply:
            return json.load(reply)["bots"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def wait_online(monitor, channels, since):
    """Seconds until every channel is online with a register or beat after `since`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            bots = {bot["channel"]: bot for bot in monitor.bots()}
        except OSError:
            bots = {}
        fresh = [c for c in channels if c in bots and bots[c]["status"] == "online"
                 and parse_time(bots[c]["last_seen"]) >= since - 0.001]
        if len(fresh) == len(channels):
            return time.time() - since
        time.sleep(0.02)
    return float("inf")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--rate", type=float, default=100.0, help="llm_usage calls per second per bot")
    parser.add_argument("--bot", action="append", default=[], help="LANG=COMMAND (split on spaces), repeatable")
    parser.add_argument("--per-lang", type=int, default=2)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix="kissmon-chaos-")
    monitor = Monitor(args.server, workdir)
    started = time.monotonic()
    first_start = monitor.start()

    calls = int(args.duration * args.rate)
    bots = []
    for spec in args.bot:
        lang, command = spec.split("=", 1)
        for n in range(args.per_lang):
            channel = "chaos-%s-%d" % (lang, n)
            proc = subprocess.Popen(command.split() + [monitor.socket, channel, str(calls), str(args.rate)],
                                    stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, channel + ".err"), "wb"))
            bots.append((channel, proc))
            LIVE.append(proc)
    channels = [channel for channel, _ in bots]
    first_online = wait_online(monitor, channels, first_start)
    load_start = time.monotonic()

    # The faults, all while the bots log: K kills at random moments, at least
    # 2.5 s apart, and one 5 s SIGSTOP that starts at least 2.5 s after a
    # restart and ends well before the next kill.
    k = args.restarts
    slot = rng.randrange(k + 1)
    least = [2.5] * (k + 1)
    least[slot] = STOP_FOR + 6.0
    spare = args.duration - 2.0 - sum(least)
    if spare < 0:
        sys.exit("chaos: %d restarts and a %.0fs stop do not fit in %.0fs of load" % (k, STOP_FOR, args.duration))
    weights = [rng.random() for _ in range(k + 1)]
    gaps = [floor + spare * w / sum(weights) for floor, w in zip(least, weights)]
    starts = [1.0]
    for gap in gaps[:-1]:
        starts.append(starts[-1] + gap)
    kills = starts[1:]
    stop_at = starts[slot] + 2.5 + rng.uniform(0, gaps[slot] - STOP_FOR - 6.0)
    events = sorted([(t, "kill") for t in kills] + [(stop_at, "stop")])

    restarts = []
    for at, what in events:
        delay = load_start + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if what == "kill":
            monitor.kill()
            since = monitor.start()
            took = wait_online(monitor, channels, since)
            restarts.append(took)
            print("chaos: SIGKILL + restart %d at %.1fs: every bot online after %.3fs"
                  % (len(restarts), time.monotonic() - load_start, took), flush=True)
        else:
            monitor.proc.send_signal(signal.SIGSTOP)
            time.sleep(STOP_FOR)
            monitor.proc.send_signal(signal.SIGCONT)
            print("chaos: SIGSTOP for %.0fs at %.1fs" % (STOP_FOR, at), flush=True)

    reports = []
    for channel, proc in bots:
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0 or not out.strip():
            sys.exit("chaos: bot %s failed (exit %s); see %s/%s.err" % (channel, proc.returncode, workdir, channel))
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    monitor.stop()
    elapsed = time.monotonic() - started

    db = sqlite3.connect(monitor.db)
    stored_in, stored_out, stored_calls, rows = db.execute(
        "SELECT SUM(tokens_in), SUM(tokens_out), SUM(count), COUNT(*) FROM llm_usage").fetchone()
    twice = db.execute("SELECT COUNT(*) FROM (SELECT instance, seq FROM llm_usage WHERE seq IS NOT NULL "
                       "GROUP BY instance, seq HAVING COUNT(*) > 1)").fetchone()[0]
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    counters = dict(db.execute("SELECT name, value FROM monitor_counters").fetchall())
    per_channel = dict((c, (i, o, n)) for c, i, o, n in db.execute(
        "SELECT channel, SUM(tokens_in), SUM(tokens_out), SUM(count) FROM llm_usage GROUP BY channel"))

    logged_in = sum(r["tokens_in"] for r in reports)
    logged_out = sum(r["tokens_out"] for r in reports)
    logged_calls = sum(r["calls"] for r in reports)
    expected_in = sum(i % 97 + 1 for i in range(calls)) * len(bots)
    expected_out = sum(i % 13 + 1 for i in range(calls)) * len(bots)

    failures = []
    if (logged_in, logged_out) != (expected_in, expected_out):
        failures.append("the bots' own totals differ from the formula")
    if (stored_in, stored_out, stored_calls) != (logged_in, logged_out, logged_calls):
        failures.append("SQLite holds tokens_in %s, tokens_out %s, calls %s; the bots logged %s, %s, %s"
                        % (stored_in, stored_out, stored_calls, logged_in, logged_out, logged_calls))
    for report in reports:
        got = per_channel.get(report["channel"])
        if got != (report["tokens_in"], report["tokens_out"], report["calls"]):
            failures.append("%s: stored %s, logged %s" % (report["channel"], got,
                                                          (report["tokens_in"], report["tokens_out"], report["calls"])))
        stats = report["stats"]
        if not report["flushed"] or stats["unacked"] or stats["dropped"]:
            failures.append("%s did not end acknowledged: %s" % (report["channel"], stats))
    if twice:
        failures.append("%d (instance, seq) stored twice" % twice)
    if integrity != "ok":
        failures.append("integrity_check: %s" % integrity)
    late = [t for t in restarts if t > ONLINE_WITHIN]
    if first_online > 30 or late:
        failures.append("bots not online within %.0fs of a restart: %s" % (ONLINE_WITHIN, late))

    for report in reports:
        print("chaos: bot %-16s %-6s %s" % (report["channel"], report["lang"], json.dumps(report["stats"])))
    sum_stat = lambda name: sum(r["stats"][name] for r in reports)
    print("chaos: seed %d, %d bots (%s), %d calls each at %.0f/s, %d SIGKILL restarts + one %.0fs SIGSTOP, %.0fs in all"
          % (seed, len(bots), ", ".join(sorted({r["lang"] for r in reports})), calls, args.rate, len(restarts),
             STOP_FOR, elapsed))
    print("chaos: logged   calls %d, tokens_in %d, tokens_out %d" % (logged_calls, logged_in, logged_out))
    print("chaos: stored   calls %s, tokens_in %s, tokens_out %s in %s rows; (instance, seq) twice: %d; integrity: %s"
          % (stored_calls, stored_in, stored_out, rows, twice, integrity))
    print("chaos: clients  resent %d lines, acked %d, reconnects %d, coalesced %d, dropped %d"
          % (sum_stat("resent"), sum_stat("acked"), sum_stat("reconnects"), sum_stat("coalesced"), sum_stat("dropped")))
    print("chaos: monitor  usage_duplicates %s, usage_refused %s (last run's counters)"
          % (counters.get("usage_duplicates"), counters.get("usage_refused")))
    if restarts:
        print("chaos: online after each restart: max %.3fs, median %.3fs"
              % (max(restarts), sorted(restarts)[len(restarts) // 2]))
    if failures:
        for failure in failures:
            print("chaos: FAIL " + failure)
        print("chaos: files kept in " + workdir)
        sys.exit(1)
    print("chaos: ok")
    if not os.environ.get("KISSMON_CHAOS_KEEP"):
        subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    try:
        main()
    finally:
        # Never leave a monitor or a bot behind, whatever ended the run.
        for proc in LIVE:
            if proc.poll() is None:
                proc.kill()
