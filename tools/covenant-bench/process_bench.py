#!/usr/bin/env python3
"""covenant-bench's real-network part (run by the covenant-bench binary, never alone).

A network of covenant-node processes on 127.0.0.1, made as the cluster tests and the devnet
make theirs (tools/local_network.py): 4 block producers, 4 miners that register themselves,
a client gateway. It creates a strong-mode database of the 4 miners through the gateway,
grants write to the load clients' keys (main-chain transactions), and then measures, each
phase timed on its own:

  strong_single     single-row signed inserts, closed loop, from --clients load-client
                    processes (`covenant-bench load-client`), straight to the leader over the
                    real transport
  strong_half_load  the same at half the rate strong_single reached (its p99 is the target's)
  probe_R           with --probe-rates: one load client offering R single-row inserts/s,
                    for the latency of a write without queueing (latency_probe)
  strong_multirow   100-row requests
  fill              multi-row requests until the table holds --memory-rows rows; then every
                    miner's resident memory (VmRSS, VmHWM) is read from /proc
  point_read        point reads over the filled table, spread over the 4 miners, each answer
                    signed by the miner that served it
  mix               80% point reads, 20% single-row inserts
  gateway_single    single-row inserts through the gateway's HTTP API (POST /v1/exec, which
                    answers once the write is verified), --gateway-clients concurrent callers
  strong_single_beside_eventual
                    strong_single again, on a second strong-mode database as new as the
                    eventual one, just before eventual_single: the strong rate eventual mode
                    is compared with
  eventual_single   a second database in eventual mode: single-row inserts; then how long
                    until every follower has executed what the leader has

Each phase records every node's CPU seconds (utime + stime from /proc/PID/stat) and resident
memory. Prints one JSON object on stdout; progress goes to stderr.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from local_network import TEST_PROFILE, Failure, LocalNetwork, profile_with  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"[process_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def proc_usage(pid):
    """(cpu seconds, rss MiB, peak rss MiB) of a process from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        rss = hwm = 0.0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024
        return cpu, rss, hwm
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0, 0.0


def machine_cpu():
    """(busy, total) jiffies of the whole machine from /proc/stat: what everything on it used,
    this network's processes and anyone else's."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class Bench(LocalNetwork):
    def pids(self):
        return {name: p.pid for name, p in self.processes.items()}

    def snapshot(self):
        return {name: proc_usage(pid) for name, pid in self.pids().items()}

    def usage_between(self, before, after, seconds):
        out = {}
        for name, (cpu1, rss, hwm) in after.items():
            cpu0 = before.get(name, (0, 0, 0))[0]
            out[name] = {"cpu_seconds": round(cpu1 - cpu0, 3),
                         "cpu_cores": round((cpu1 - cpu0) / seconds, 3) if seconds > 0 else 0,
                         "rss_mb": round(rss, 1), "peak_rss_mb": round(hwm, 1)}
        return out

    def member_args(self, leader):
        order = [leader] + [m for m in self.m_names if m != leader]
        return [a for m in order for a in
                ("--member", f"{self.nodes[m]['node_id']}@127.0.0.1:{self.nodes[m]['port']}",
                 "--member-key", self.nodes[m]["public_key"])]

    def load(self, db, writers, workload, seconds=0, total=0, rate=0, window=16, read_keys=1,
             keys=None, rows=100):
        """Runs one load-client per writer at once; returns their JSON answers."""
        procs = []
        for i, w in enumerate(writers):
            first_key = keys[i] if keys else w["next_key"][db]
            args = [self.bench_bin, "load-client", "--genesis", os.path.join(self.dir, "genesis.json"),
                    "--key-file", w["key"], "--passphrase-file", self.passphrase_file,
                    "--node-id-nonce", str(w["nonce"]), *self.member_args(self.leaders[db]),
                    "--database", db, "--workload", workload, "--window", str(window),
                    "--first-sequence", str(w["sequence"][db]), "--first-key", str(first_key),
                    "--read-keys", str(read_keys), "--rows", str(rows)]
            if total:
                args += ["--total", str(total)]
            else:
                args += ["--seconds", str(seconds)]
            if rate:
                args += ["--rate", str(rate)]
            if self.trace_dir:
                args += ["--latency-trace",
                         os.path.join(self.trace_dir, f"{self.phase_name or workload}-{i}.txt")]
            procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        results = []
        order = [self.leaders[db]] + [m for m in self.m_names if m != self.leaders[db]]
        for w, p in zip(writers, procs):
            out, err = p.communicate(timeout=max(seconds, 1) + 900)
            if p.returncode != 0:
                raise Failure(f"load-client failed ({p.returncode}): {err.strip()}")
            r = json.loads(out)
            w["sequence"][db] = r["next_sequence"]
            if not keys:
                w["next_key"][db] = r["next_key"]
            results.append(r)
        # A view change during the load: later loads start at the leader the members named.
        moved = [r["leader_at_end"] for r in results if r["leader_at_end"] != 0]
        if moved:
            self.leaders[db] = order[moved[0]]
        return results

    def leader_replica(self, database, timeout=10.0):
        """The database leader's replica status, from a status.json the leader began
        writing after this call (its replica asked after that moment). A node writes the
        file every status_interval_ms, but one round asks each of its actors in turn and a
        busy replica answers behind its mailbox: at the end of an eventual-mode phase a file
        read 0.6 s later could still hold counts from before the phase's last second or two,
        and writes / batches came out above the clients' whole window. None if no such file
        came in time."""
        asked_ms = time.time() * 1000
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            s = self.status(self.leaders[database]) or {}
            if s.get("updated_at_ms", 0) >= asked_ms and s.get("miner"):
                for d in s["miner"]["databases"]:
                    if d["id"] == database and d.get("replica"):
                        return d["replica"]
            time.sleep(0.02)
        return None

    @staticmethod
    def leader_phases(before, after):
        """Where a strong-mode write's time went at the leader between two replica
        statuses: a batch's mean ms from proposal to its prepare certificate, then to its
        commit certificate, to its execution at the leader and to its answers; and a
        request's mean ms from its arrival at the leader to its batch's proposal."""
        t0, t1 = (before or {}).get("leader_timing"), (after or {}).get("leader_timing")
        if not t0 or not t1 or before.get("view") != after.get("view"):
            return None  # (another leader's counts after a view change)
        batches = t1["batches"] - t0["batches"]
        requests = t1["requests"] - t0["requests"]
        if batches <= 0 or requests <= 0:
            return None
        out = {k: round((t1[k + "_ms"] - t0[k + "_ms"]) / batches, 2)
               for k in ("prepare", "commit", "execute", "answer")}
        out["queued"] = round((t1["queued_ms"] - t0["queued_ms"]) / requests, 2)
        out["batches"] = batches
        return out

    trace_dir = None    # --trace-latencies: each load client's answers, one file per phase
    phase_name = None

    def phase(self, name, body, database=None):
        log(f"phase {name}")
        self.phase_name = name
        leader_before = self.leader_replica(database) if database else None
        before = self.snapshot()
        busy0, total0 = machine_cpu()
        start = time.monotonic()
        result = body()
        seconds = time.monotonic() - start
        busy1, total1 = machine_cpu()
        result["wall_seconds"] = round(seconds, 3)
        result["nodes"] = self.usage_between(before, self.snapshot(), seconds)
        # The whole machine's busy cores over the phase, and the part of it that was not
        # this network or its load clients (other users of a shared machine).
        cores = os.cpu_count() or 1
        machine_busy = (busy1 - busy0) / max(1, total1 - total0) * cores
        ours = sum(n["cpu_cores"] for n in result["nodes"].values()) + \
            result.get("client_cpu_seconds", 0) / seconds if seconds > 0 else 0
        result["machine_busy_cores"] = round(machine_busy, 2)
        result["others_busy_cores"] = round(max(0.0, machine_busy - ours), 2)
        if database:
            # How many requests a batch carried: the per-batch costs (votes, certificates,
            # log entries, executions) are shared by that many.
            leader_after = self.leader_replica(database)
            if leader_before is not None and leader_after is not None:
                batches = leader_after.get("last_committed", 0) - leader_before.get("last_committed", 0)
                result["batches_committed"] = batches
                writes = result.get("writes_ok", 0)
                result["writes_per_batch"] = round(writes / batches, 2) if batches > 0 else 0
                phases = self.leader_phases(leader_before, leader_after)
                if phases:
                    result["leader_phases_ms"] = phases
            else:
                result["batches_committed"] = None  # the leader's status did not come in time
                result["writes_per_batch"] = None
        # The four miners' CPU per write (and per row) committed in the phase: steadier
        # than the rates on a shared machine, whose speed moves them by a fifth between runs
        # minutes apart, so the figure to compare two versions of the code by.
        miners_cpu = sum(n["cpu_seconds"] for name, n in result["nodes"].items()
                         if name.startswith("miner"))
        if result.get("writes_ok", 0) > 0:
            result["miner_cpu_us_per_write"] = round(miners_cpu / result["writes_ok"] * 1e6, 1)
        if result.get("rows_written", 0) > 0:
            result["miner_cpu_us_per_row"] = round(miners_cpu / result["rows_written"] * 1e6, 2)
        return result


def rates(text):
    """--probe-rates: comma-separated positive request rates."""
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of rates: {text!r}")
    if any(r <= 0 or r > 1_000_000 for r in out):
        raise argparse.ArgumentTypeError(f"rates must be in (0, 1000000]: {text!r}")
    return out


def combine(results):
    """The sum of several load clients' counts and rates; latencies from the slowest."""
    out = {"clients": len(results)}
    for key in ("sent", "writes_ok", "reads_ok", "rows_written", "rejected", "sql_failures",
                "resent", "redirected_to_new_leader", "unanswered_at_end"):
        out[key] = sum(r[key] for r in results)
    for key in ("requests_per_s", "writes_per_s", "reads_per_s", "rows_per_s"):
        out[key] = sum(r[key] for r in results)
    for kind in ("write_latency", "read_latency"):
        with_samples = [r[kind] for r in results if r[kind]["samples"] > 0]
        out[kind] = {"p50_ms": max((l["p50_ms"] for l in with_samples), default=0),
                     "p99_ms": max((l["p99_ms"] for l in with_samples), default=0),
                     "samples": sum(l["samples"] for l in with_samples)}
    rejections = {}
    for r in results:
        for k, v in r.get("rejections", {}).items():
            rejections[k] = rejections.get(k, 0) + v
    if rejections:
        out["rejections"] = rejections
    out["client_cpu_seconds"] = sum(r["client_cpu_seconds"] for r in results)
    out["window_per_client"] = max(r["window"] for r in results)
    return out


def gateway_load(net, db, callers, seconds, first_key):
    """Single-row inserts through POST /v1/exec from `callers` threads for `seconds`."""
    lat, errors = [], []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    value = "v" * 100

    def caller(index):
        k = first_key + index * 10_000_000
        while time.monotonic() < stop:
            t0 = time.monotonic()
            status, answer = net.http("POST", "/v1/exec", {"database": db,
                                      "sql": f"INSERT INTO bench(k, v) VALUES ({k}, '{value}')"})
            k += 1
            with lock:
                if status == 200 and answer.get("verified"):
                    lat.append((time.monotonic() - t0) * 1000)
                else:
                    errors.append(f"{status} {str(answer)[:80]}")
    start = time.monotonic()
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * (len(lat) - 1) + 0.5))] if lat else 0
    return {"callers": callers, "writes_ok": len(lat), "errors": len(errors),
            "first_errors": errors[:3], "writes_per_s": len(lat) / elapsed,
            "write_latency": {"p50_ms": pct(50), "p99_ms": pct(99), "samples": len(lat)}}


def scenario(net, args):
    # One scheduler thread per node: nine nodes and the load clients share two cores.
    changes = {"log": {"level": "info"}, "miner.registration": {"deposit": 10000, "capacity": 4},
               "network": {"scheduler_threads": 1}}
    if args.pipeline_depth:
        changes["miner"] = dict(TEST_PROFILE["miner"], pipeline_depth=args.pipeline_depth)
    profile = profile_with(TEST_PROFILE, changes)
    net.p_names, net.m_names = net.plan_gateway_network(
        "covenant-bench", 4, 4, ["client"], profile, client_funds=10_000_000_000)
    everyone = net.p_names + net.m_names + ["client"]
    writers = [net.make_identity(f"writer{i}") for i in range(args.clients)]
    for w in writers:
        w["sequence"], w["next_key"] = {}, {}
    started = time.monotonic()
    for name in everyone:
        net.start(name)
    net.wait_until("the gateway follows the chain", lambda: net.height("client") >= 2, 90, everyone)
    net.leaders = {}
    out = {"nodes_started": len(everyone), "startup_seconds": round(time.monotonic() - started, 2)}

    def make_database(mode):
        # Paid well ahead: every statement is billed (the members' prices), and a database
        # out of funds turns read-only.
        created = net.create_database(4, alive=everyone, mode=mode, advance_payment=1_000_000_000)
        db = created["database"]
        net.leaders[db] = {net.nodes[m]["public_key"]: m for m in net.m_names}[created["leader"]]
        status, made = net.http("POST", "/v1/exec", {"database": db, "sql":
                                "CREATE TABLE bench(k INTEGER PRIMARY KEY, v TEXT)"})
        net.expect("create table", status, made)
        height = 0
        for w in writers:
            status, granted = net.http("POST", "/v1/grant", {"database": db,
                                       "public_key": w["public_key"], "role": "write"})
            net.expect("grant write", status, granted)
            height = max(height, granted["height"])
            w["sequence"][db] = 1
        net.wait_until("every miner follows the grants",
                       lambda: all(net.height(m) >= height for m in net.m_names), 60, everyone)
        for i, w in enumerate(writers):
            w["next_key"][db] = 1_000_000_000 + i * 100_000_000
        return db

    strong = make_database("strong")
    out["database_ready_seconds"] = round(time.monotonic() - started, 2)
    s = args.seconds
    out["strong_single"] = net.phase("strong_single", lambda: combine(
        net.load(strong, writers, "single", seconds=s, window=args.window)), strong)
    half = out["strong_single"]["writes_per_s"] / 2 / len(writers)
    out["strong_half_load"] = net.phase("strong_half_load", lambda: combine(
        net.load(strong, writers, "single", seconds=s * 0.75, rate=max(half, 1), window=args.window)),
        strong)
    # --probe-rates: one load client at fixed rates, far below saturation, so that the
    # latency of a write is seen without queueing (what a batch's round trips cost).
    probes = []
    for rate in args.probe_rates:
        r = net.phase(f"probe_{rate:g}", lambda: combine(net.load(
            strong, writers[:1], "single", seconds=max(2.0, s * 0.5), rate=rate,
            window=args.window)), strong)
        probes.append({"offered_rps": rate, "writes_per_s": r["writes_per_s"],
                       "p50_ms": r["write_latency"]["p50_ms"], "p99_ms": r["write_latency"]["p99_ms"],
                       "writes_per_batch": r.get("writes_per_batch"),
                       "machine_busy_cores": r["machine_busy_cores"],
                       "others_busy_cores": r["others_busy_cores"]})
    if probes:
        out["latency_probe"] = probes
    out["strong_multirow"] = net.phase("strong_multirow", lambda: combine(
        net.load(strong, writers, "multirow", seconds=s, window=min(args.window, 8))), strong)
    # The fill: 100-row requests, 16 in flight per client. (250-row requests with 60 in
    # flight per client made batches of ~4 MB that the followers took longer to persist than
    # the leader's retransmission interval: the leader grew past 5 GB resident.)
    fill_rows = 100
    per_writer = max(1, args.memory_rows // len(writers) // fill_rows)
    out["fill"] = net.phase("fill", lambda: combine(net.load(
        strong, writers, "multirow", total=per_writer, window=16, rows=fill_rows,
        keys=[1 + i * per_writer * fill_rows for i in range(len(writers))])))
    rows = per_writer * fill_rows * len(writers)
    time.sleep(1)  # followers finish executing the last batches
    out["fill"]["table_rows_filled"] = rows
    out["fill"]["miners_after_fill"] = {m: dict(zip(("cpu_seconds", "rss_mb", "peak_rss_mb"),
                                                    proc_usage(net.processes[m].pid)))
                                        for m in net.m_names}
    out["point_read"] = net.phase("point_read", lambda: combine(
        net.load(strong, writers, "read", seconds=s, window=args.window, read_keys=rows)))
    out["mix"] = net.phase("mix", lambda: combine(
        net.load(strong, writers, "mix", seconds=s, window=args.window, read_keys=rows)))
    out["gateway_single"] = net.phase("gateway_single", lambda: gateway_load(
        net, strong, args.gateway_clients, args.gateway_seconds, 3_000_000_000))

    # Strong mode again, on a new database as empty as the eventual one and just before it:
    # the machine's speed drifts over a run (Ed25519 15,000 to 20,800 verify/s minutes
    # apart; one run's strong inserts 6,397/s at its start and 4,982/s a minute later, at
    # the same CPU per node), so eventual mode is compared with the strong rate beside it.
    strong_beside = make_database("strong")
    eventual = make_database("eventual")
    out["strong_single_beside_eventual"] = net.phase("strong_single_beside_eventual", lambda: combine(
        net.load(strong_beside, writers, "single", seconds=s, window=args.window)), strong_beside)
    out["eventual_single"] = net.phase("eventual_single", lambda: combine(
        net.load(eventual, writers, "single", seconds=s, window=args.window)), eventual)
    leader = net.leaders[eventual]
    t0 = time.monotonic()

    def executed(m):
        r = net.replica(m, eventual) or {}
        return (r.get("replica") or {}).get("last_executed", -1)
    target = executed(leader)
    caught = False
    while time.monotonic() - t0 < 60:
        if all(executed(m) >= target for m in net.m_names):
            caught = True
            break
        time.sleep(0.1)
    out["eventual_single"]["followers_caught_up"] = caught
    out["eventual_single"]["catch_up_seconds"] = round(time.monotonic() - t0, 2)
    out["roles"] = {n: net.nodes[n]["role"] for n in everyone}
    out["pipeline_depth"] = args.pipeline_depth or "default"
    net.terminate_all()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--bench", required=True, help="the covenant-bench binary (load-client)")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--window", type=int, default=48)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--gateway-clients", type=int, default=4)
    parser.add_argument("--gateway-seconds", type=float, default=8)
    parser.add_argument("--pipeline-depth", type=int, default=0,
                        help="the miners' [miner] pipeline_depth (0: the default)")
    parser.add_argument("--probe-rates", type=rates, default=[],
                        help="comma-separated offered rates (req/s) for the latency probe")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--trace-latencies", default=None, metavar="DIR",
                        help="each load client writes every answer (sent at ms, latency ms) "
                             "to DIR/PHASE-CLIENT.txt")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="covenant-bench-", dir=args.dir)
    net = Bench(os.path.abspath(args.node), os.path.abspath(args.cql), directory,
                time.monotonic() + args.timeout)
    net.bench_bin = os.path.abspath(args.bench)
    if args.trace_latencies:
        net.trace_dir = os.path.abspath(args.trace_latencies)
        os.makedirs(net.trace_dir, exist_ok=True)
    ok = False
    try:
        result = scenario(net, args)
        result["directory"] = directory
        print(json.dumps(result))
        ok = True
    except (Failure, subprocess.TimeoutExpired, OSError) as e:
        log(f"FAILED: {e}")
        print(json.dumps({"error": str(e)[:2000]}))
    finally:
        net.stop_all()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
