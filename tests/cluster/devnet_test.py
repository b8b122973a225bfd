#!/usr/bin/env python3
"""tools/devnet, as a user runs it (run by ctest as devnet_test).

In a fresh temporary directory D:
  1. `tools/devnet up --dir D --json` starts the network: its JSON lists 4 producers, 4
     miners and a client gateway, each with its role, node id (as its status.json says),
     a live pid, a loopback listen address and an existing log file; the client key file,
     its passphrase file and cql_config exist; cql_config (TOML) names the gateway, whose
     GET /v1/status answers for that key (`cql wallet` on the key file gives the same
     address), funded; `up` again while it runs starts nothing and changes no pid;
  2. a database is created at once (the miners registered before `up` returned), written
     and read back through the gateway;
  3. `tools/devnet status` (and --json) reports every node running (exit 0);
  4. `tools/devnet down --dir D` stops every node (pids gone; each status.json says
     "stopped", the state a node writes on a clean exit 0, and its log ends with
     "stopped"); `status` then exits 3 and reports none running;
  5. `up` again on D resumes: the same nodes (ids, ports) on their data, new pids; the
     database is still there with its rows and takes another write; `down` stops it again;
  6. usage errors exit 2, a directory that is not a devnet exits 1 with a message.
The resident memory of each node is printed (idle and after the writes). Bounded by
--timeout; on failure every node of D is killed; D is removed at the end (--keep keeps it).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from local_network import Failure, address_of, http_call, log, pid_alive, rss_kib, run_cluster  # noqa: E402


class DevnetRun:
    """What run_cluster needs: the directory, and a cleanup that kills whatever runs in it."""
    devnet = None

    def __init__(self, node_bin, cql_bin, directory, deadline):
        self.node_bin = node_bin
        self.cql_bin = cql_bin
        self.dir = os.path.join(directory, "devnet")
        self.deadline = deadline
        self.nodes = {}

    def run(self, *args, expect=0):
        remaining = max(10, self.deadline - time.monotonic())
        command = [sys.executable, self.devnet, *args]
        if args and args[0] == "up":
            command += ["--node", self.node_bin, "--cql", self.cql_bin]
        out = subprocess.run(command, capture_output=True, text=True, timeout=remaining)
        if expect is not None and out.returncode != expect:
            raise Failure(f"devnet {' '.join(args)}: exit {out.returncode}, expected {expect}\n"
                          f"stdout:\n{out.stdout}\nstderr:\n{out.stderr}")
        return out

    def run_json(self, *args, expect=0):
        out = self.run(*args, "--json", expect=expect)
        try:
            return json.loads(out.stdout)
        except ValueError:
            raise Failure(f"devnet {' '.join(args)} --json printed no JSON:\n{out.stdout}\n{out.stderr}")

    def log_tails(self, lines=12):
        out = []
        for name, path in self.nodes.items():
            for p in (path, os.path.join(os.path.dirname(path), name + ".stderr")):
                try:
                    with open(p, errors="replace") as f:
                        out.append(f"--- {p}\n" + "".join(f.readlines()[-lines:]))
                except OSError:
                    pass
        return "\n".join(out)

    def log_paths(self):
        return "\n".join(f"  {name}: {path}" for name, path in self.nodes.items())

    def stop_all(self):
        pass

    def cleanup(self):
        """Kills every node still running in D (pids from its state file, checked)."""
        try:
            with open(os.path.join(self.dir, "devnet.json")) as f:
                pids = json.load(f).get("pids", {})
        except (OSError, ValueError):
            return
        for pid in pids.values():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if self.dir.encode() not in f.read():
                        continue
                os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


def check_up(run, info, previous=None):
    """The fields of `up --json` (and of `status --json`)."""
    nodes = info["nodes"]
    roles = sorted(n["role"] for n in nodes)
    if roles != ["client"] + ["miner"] * 4 + ["producer"] * 4:
        raise Failure(f"roles {roles}")
    for n in nodes:
        run.nodes[n["name"]] = n["log_file"]
        if len(n["node_id"]) != 64 or not pid_alive(n["pid"]) or not n["running"]:
            raise Failure(f"node {n['name']}: {n}")
        host, port = n["listen"].rsplit(":", 1)
        if host != "127.0.0.1" or not 0 < int(port) < 65536:
            raise Failure(f"node {n['name']} listens on {n['listen']}")
        if not os.path.isfile(n["log_file"]):
            raise Failure(f"node {n['name']}: no log file at {n['log_file']}")
        with open(n["status_file"]) as f:
            s = json.load(f)
        if s["node_id"] != n["node_id"] or s["pid"] != n["pid"] or s["role"] != n["role"]:
            raise Failure(f"node {n['name']}: its status.json says {s['node_id']}, pid {s['pid']}")
        if previous:
            before = {p["name"]: p for p in previous["nodes"]}[n["name"]]
            if (before["node_id"], before["listen"]) != (n["node_id"], n["listen"]):
                raise Failure(f"node {n['name']} came back as another node: {before} / {n}")
    for key in ("key_file", "passphrase_file", "cql_config"):
        if not os.path.isfile(info[key]):
            raise Failure(f"{key} {info[key]} does not exist")
    with open(info["cql_config"], "rb") as f:
        config = tomllib.load(f)
    base = os.path.dirname(info["cql_config"])
    for key in ("key_file", "passphrase_file"):
        if os.path.realpath(os.path.join(base, config[key])) != os.path.realpath(info[key]):
            raise Failure(f"cql_config's {key} {config[key]} is not {info[key]}")
    status, answer = http_call(config["gateway"], "GET", "/v1/status", timeout=30)
    if status != 200 or answer["address"] != info["address"] or answer["balance"] <= 0:
        raise Failure(f"GET /v1/status at cql_config's gateway {config['gateway']}: {status} {answer}")
    wallet = subprocess.run([run.cql_bin, "wallet", "--key", info["key_file"], "--passphrase-file",
                             info["passphrase_file"], "--json"], capture_output=True, text=True, timeout=60)
    if wallet.returncode != 0 or json.loads(wallet.stdout)["address"] != answer["address"]:
        raise Failure(f"cql wallet on the key file: {wallet.stdout} {wallet.stderr}")
    if address_of(info["public_key"]) != info["address"]:
        raise Failure("the client's address is not its key's")
    return config["gateway"], answer["balance"]


def memory(info, when):
    rss = {n["name"]: rss_kib(n["pid"]) for n in info["nodes"]}
    total = sum(v for v in rss.values() if v)
    log(f"resident memory {when}: " + ", ".join(f"{k} {v // 1024} MiB" for k, v in rss.items() if v) +
        f"; total {total // 1024} MiB")


def scenario(run):
    # 6. Usage errors and a directory that is not a devnet.
    out = run.run("frobnicate", expect=2)
    out = run.run("status", "--dir", os.path.dirname(run.dir), expect=1)
    if "no devnet" not in out.stderr:
        raise Failure(f"status of a directory that is not a devnet: {out.stderr}")

    # 1. Up.
    started = time.monotonic()
    info = run.run_json("up", "--dir", run.dir)
    log(f"devnet up in {time.monotonic() - started:.1f} s: " +
        ", ".join(f"{n['name']} pid {n['pid']}" for n in info["nodes"]))
    gateway, balance = check_up(run, info)
    log(f"fields checked; the gateway {gateway} answers for {info['address'][:16]}, balance {balance}")
    memory(info, "idle")
    again = run.run_json("up", "--dir", run.dir)
    if again["started"] or [n["pid"] for n in again["nodes"]] != [n["pid"] for n in info["nodes"]]:
        raise Failure(f"up on a running devnet started {again['started']}")

    # 2. A database at once, written and read.
    status, created = http_call(gateway, "POST", "/v1/databases",
                                {"miners": 4, "mode": "strong", "advance_payment": 10000}, timeout=60)
    if status != 200:
        raise Failure(f"create database right after up: {status} {created}")
    db = created["database"]
    status, wrote = http_call(gateway, "POST", "/v1/exec", {"database": db, "statements": [
        {"sql": "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"},
        {"sql": "INSERT INTO t VALUES (1, 'one'), (2, 'two')"}]}, timeout=60)
    if status != 200 or not wrote["verified"] or wrote["results"][1]["rows_affected"] != 2:
        raise Failure(f"write: {status} {wrote}")
    status, read = http_call(gateway, "POST", "/v1/query", {"database": db, "sql": "SELECT k, v FROM t ORDER BY k"})
    if status != 200 or read["rows"] != [[1, "one"], [2, "two"]]:
        raise Failure(f"read: {status} {read}")
    for k in range(3, 23):
        status, wrote = http_call(gateway, "POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (?, ?)",
                                                                "params": [k, "x" * 100]}, timeout=60)
        if status != 200:
            raise Failure(f"write {k}: {status} {wrote}")
    log(f"database {db[:16]} created, 22 rows written and read through the gateway")
    memory(info, "after 21 writes")

    # 3. Status.
    s = run.run_json("status", "--dir", run.dir)
    if not s["running"] or any(not n["running"] for n in s["nodes"]) or \
            [n["pid"] for n in s["nodes"]] != [n["pid"] for n in info["nodes"]]:
        raise Failure(f"status --json: {json.dumps(s)[:2000]}")
    check_up(run, s)
    text = run.run("status", "--dir", run.dir).stdout
    if "9 of 9 nodes running" not in text:
        raise Failure(f"status: {text}")

    # 4. Down.
    out = run.run("down", "--dir", run.dir)
    for n in info["nodes"]:
        if pid_alive(n["pid"]):
            raise Failure(f"{n['name']} (pid {n['pid']}) still runs after down:\n{out.stdout}")
        with open(n["status_file"]) as f:
            state = json.load(f)["state"]
        with open(n["log_file"]) as f:
            last = f.read().rstrip().splitlines()[-1]
        if state != "stopped" or not last.endswith("stopped"):
            raise Failure(f"{n['name']} after down: state {state!r}, last log line {last!r}")
    s = run.run_json("status", "--dir", run.dir, expect=3)
    if s["running"] or any(n["running"] for n in s["nodes"]):
        raise Failure(f"status after down: {json.dumps(s)[:2000]}")
    log("down: every node stopped cleanly (status.json 'stopped', logs end 'stopped'); status exits 3")

    # 5. Up again: the same network on its data.
    resumed = run.run_json("up", "--dir", run.dir)
    if sorted(resumed["started"]) != sorted(n["name"] for n in info["nodes"]):
        raise Failure(f"up after down started {resumed['started']}")
    check_up(run, resumed, previous=info)
    status, read = http_call(gateway, "POST", "/v1/query", {"database": db, "sql": "SELECT count(*) FROM t"},
                             timeout=60)
    if status != 200 or read["rows"] != [[22]]:
        raise Failure(f"the database after up again: {status} {read}")
    status, wrote = http_call(gateway, "POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (100, 'again')"},
                              timeout=60)
    if status != 200:
        raise Failure(f"a write after up again: {status} {wrote}")
    log("up again: the same nodes on their data, the database with its 22 rows, writing on")
    run.run("down", "--dir", run.dir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devnet", required=True, help="tools/devnet")
    parser.add_argument("--node", required=True)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    DevnetRun.devnet = os.path.abspath(args.devnet)
    return run_cluster(DevnetRun, args, "covenant-devnet-test-", scenario)


if __name__ == "__main__":
    sys.exit(main())
