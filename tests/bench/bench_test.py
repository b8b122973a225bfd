#!/usr/bin/env python3
"""covenant-bench --quick --json: every reported field present, positive and consistent.

(And a --dir that does not exist is refused with exit 2 before anything runs.)

Checks the shape and the arithmetic of the report (ratios are the quotients of the figures
they name, the headline figures are the parts' figures, counts add up), never a speed: a
benchmark on a shared machine reports figures, a test does not bound them.
"""

import argparse
import json
import glob
import math
import os
import shutil
import subprocess
import sys
import tempfile

FIELDS = ["strong_rps", "eventual_rps", "strong_rps_beside_eventual", "crypto_limit_rps",
          "sqlite_single_insert_rps",
          "multirow_rows_per_s", "sqlite_multirow_rows_per_s", "point_reads_per_s",
          "sqlite_point_reads_per_s", "p50_ms", "p99_ms_half_load", "miner_rss_mb_1m_rows"]


def fail(message):
    print(f"bench_test: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def close(a, b, rel=1e-9, absolute=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=absolute)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True)
    parser.add_argument("--timeout", type=float, default=400)
    args = parser.parse_args()
    # A directory that does not exist is refused before anything runs, with exit 2.
    missing = os.path.join(tempfile.gettempdir(), f"covenant-bench-test-missing-{os.getpid()}")
    refused = subprocess.run([args.bench, "--quick", "--dir", missing],
                             capture_output=True, text=True, timeout=60)
    if refused.returncode != 2 or "does not exist" not in refused.stderr:
        fail(f"--dir {missing}: exit {refused.returncode}, {refused.stderr[-500:]}")
    traces = tempfile.mkdtemp(prefix="covenant-bench-test-traces-")
    out = subprocess.run([args.bench, "--quick", "--json", "--trace-latencies", traces],
                         capture_output=True, text=True, timeout=args.timeout)
    if out.returncode != 0:
        fail(f"exit {out.returncode}: {out.stderr[-2000:]}")
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    if len(lines) != 1:
        fail(f"expected one JSON line, got {len(lines)}")
    r = json.loads(lines[0])
    if "error" in r.get("processes", {}):
        fail(f"the real network part failed: {r['processes']['error']}\n{out.stderr[-3000:]}")
    for f in FIELDS:
        if f not in r or not isinstance(r[f], (int, float)) or not r[f] > 0:
            fail(f"{f} missing or not positive: {r.get(f)!r}")
    h = r["headline"]
    if h["source"] != "processes":
        fail(f"the headline figures come from {h['source']}, not the real network")
    for f in FIELDS:
        if not close(h[f], r[f]):
            fail(f"{f}: {r[f]} at the top, {h[f]} in the headline")
    b = r["baseline"]
    if not close(r["crypto_limit_rps"],
                 b["ed25519_verify_per_s_one_core"] * b["cores"] / b["members"]):
        fail("crypto_limit_rps is not verify/s x cores / members")
    p = r["processes"]
    if not close(r["strong_rps"], p["strong_single"]["writes_per_s"]):
        fail("strong_rps is not the real network's strong_single rate")
    if not close(r["strong_rps_beside_eventual"], p["strong_single_beside_eventual"]["writes_per_s"]):
        fail("strong_rps_beside_eventual is not the strong rate measured beside eventual mode")
    ratios = r["ratios"]
    for name, num, den in [("strong_to_crypto_limit", "strong_rps", "crypto_limit_rps"),
                           ("eventual_to_strong", "eventual_rps", "strong_rps_beside_eventual"),
                           ("multirow_to_sqlite", "multirow_rows_per_s", "sqlite_multirow_rows_per_s"),
                           ("point_reads_to_sqlite", "point_reads_per_s", "sqlite_point_reads_per_s")]:
        if not close(ratios[name], r[num] / r[den]):
            fail(f"ratio {name} is not {num} / {den}")
    for phase in ("strong_single", "strong_half_load", "strong_multirow", "point_read", "mix",
                  "strong_single_beside_eventual", "eventual_single"):
        ph = p[phase]
        if ph["sql_failures"] or ph["rejected"]:
            fail(f"{phase}: {ph['sql_failures']} SQL failures, {ph['rejected']} rejections: {ph}")
        lat = ph["read_latency"] if phase == "point_read" else ph["write_latency"]
        if not (0 < lat["p50_ms"] <= lat["p99_ms"]):
            fail(f"{phase}: latency p50 {lat['p50_ms']} p99 {lat['p99_ms']}")
        miners = [n for n, role in p["roles"].items() if role == "miner"]
        for m in miners:
            node = ph["nodes"][m]
            if not (node["rss_mb"] > 0 and node["cpu_seconds"] >= 0):
                fail(f"{phase}: {m} usage {node}")
    for phase in ("strong_single", "strong_half_load", "strong_single_beside_eventual",
                  "eventual_single", "strong_multirow"):
        ph = p[phase]
        miners_cpu = sum(ph["nodes"][m]["cpu_seconds"] for m in miners)
        if not close(ph["miner_cpu_us_per_write"], miners_cpu / ph["writes_ok"] * 1e6, 1e-6, 0.051):
            fail(f"{phase}: miner_cpu_us_per_write {ph['miner_cpu_us_per_write']} is not the "
                 f"miners' {miners_cpu} CPU s over {ph['writes_ok']} writes")
    if not close(p["strong_multirow"]["miner_cpu_us_per_row"],
                 p["strong_multirow"]["miner_cpu_us_per_write"] / 100, 1e-6, 0.006):
        fail("multirow: miner_cpu_us_per_row is not a 100-row request's CPU over 100")
    if p["strong_multirow"]["rows_written"] != 100 * p["strong_multirow"]["writes_ok"]:
        fail("multirow: rows written is not 100 per request")
    if p["fill"]["rows_written"] != p["fill"]["table_rows_filled"]:
        fail(f"fill: {p['fill']['rows_written']} rows written, {p['fill']['table_rows_filled']} meant")
    if not p["eventual_single"]["followers_caught_up"]:
        fail("eventual mode: the followers did not catch up")
    if p["gateway_single"]["writes_ok"] < 1 or p["gateway_single"]["errors"]:
        fail(f"gateway: {p['gateway_single']}")
    ip = r["inprocess"]
    for mode, phases in (("strong", ("single_insert", "multirow", "point_read", "mix")),
                         ("eventual", ("single_insert", "multirow"))):
        for phase in phases:
            ph = ip[mode][phase]
            if ph["requests_per_s"] <= 0 or ph["sql_failures"] or ph["rejected"]:
                fail(f"in-process {mode} {phase}: {ph}")
    if not ip["eventual"]["followers_caught_up"] or not ip["eventual"]["followers_same_digest"]:
        fail(f"in-process eventual: followers {ip['eventual']}")
    # --trace-latencies: one line per answer of each load client, as the summaries count them.
    for phase, kind in (("strong_half_load", "w"), ("point_read", "r")):
        files = glob.glob(os.path.join(traces, f"{phase}-*.txt"))
        if len(files) != p[phase]["clients"]:
            fail(f"{phase}: {len(files)} latency traces for {p[phase]['clients']} clients")
        lines = [l.split() for f in files for l in open(f)]
        latencies = sorted(float(l[1]) for l in lines if l[2] == kind)
        summary = p[phase]["read_latency" if kind == "r" else "write_latency"]
        if len(latencies) != summary["samples"]:
            fail(f"{phase}: {len(latencies)} traced answers, {summary['samples']} in the summary")
        if not (latencies[0] > 0 and latencies[-1] >= summary["p99_ms"] and
                all(float(l[0]) >= 0 for l in lines)):
            fail(f"{phase}: traced latencies {latencies[0]}..{latencies[-1]} against p99 "
                 f"{summary['p99_ms']}")
    shutil.rmtree(traces, ignore_errors=True)
    for name, t in r["targets"].items():
        if not isinstance(t["met"], bool):
            fail(f"target {name}: {t}")
    print(f"bench_test: passed ({r['wall_seconds']:.0f} s run; strong {r['strong_rps']:.0f} req/s, "
          f"eventual {r['eventual_rps']:.0f}, crypto limit {r['crypto_limit_rps']:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
