#!/usr/bin/env python3
"""A real cluster of covenant-node processes on 127.0.0.1 (run by ctest as cluster_test).

Keys come from `cql generate` and `cql idminer`; a genesis with four producers and a config
per node are written to a temporary directory. Then:

  1. four producers start and finalize blocks: every node's status.json reaches final
     height 5, and the head hashes agree at every height two nodes both reported;
  2. one producer is killed with SIGKILL: the other three keep finalizing;
  3. it restarts on the same data directory, resumes from its stored chain and catches up
     to the others' head (same hashes);
  4. two miners follow the chain (their status.json chain height advances, same heads);
     one is killed and restarted, resumes from its stored chain and follows on;
  5. a bad config exits 2 naming the key; a listen port in use exits 1; a second node on a
     data directory in use exits 1; --role=client with an HTTP address off loopback exits 2;
  6. SIGTERM stops every node cleanly (exit 0, status.json says "stopped").

Every process is killed and the directory removed at the end, also on failure (--keep
keeps the directory for a look). The whole run is bounded by --timeout seconds.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PASSPHRASE = "cluster test passphrase"
DIFFICULTY = 8


class Failure(Exception):
    pass


def die_with_parent():
    """In a child before exec: SIGKILL it when this script dies, however it dies."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_ports(count):
    """Ports the kernel hands out now (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def log_and_network_settings(name):
    """The [log] and [network] tables of every node's config in these tests."""
    return f'''
[log]
level = "debug"
file = "{name}.log"

[network]
reconnect_min_ms = 100
reconnect_max_ms = 1000
'''


def role_settings():
    """[producer] and [miner] timing for a cluster on one machine (each role reads its own)."""
    return '''
[producer]
block_interval_ms = 200
propose_timeout_ms = 1500
prevote_timeout_ms = 800
precommit_timeout_ms = 800
timeout_step_ms = 300
resend_interval_ms = 600
fetch_timeout_ms = 800
catch_up_delay_ms = 300

[miner]
follow_interval_ms = 150
'''


class Cluster:
    def __init__(self, node_bin, cql_bin, directory, deadline):
        self.node_bin = node_bin
        self.cql_bin = cql_bin
        self.dir = directory
        self.deadline = deadline
        self.processes = {}  # name -> Popen
        self.nodes = {}  # name -> dict(key, nonce, node_id, public_key, port, config, data)
        self.history = {}  # name -> {height: head hash}
        self.passphrase_file = os.path.join(directory, "passphrase")
        with open(self.passphrase_file, "w") as f:
            f.write(PASSPHRASE + "\n")

    # ---- setup ---------------------------------------------------------------------------
    def cql(self, *args):
        out = subprocess.run([self.cql_bin, *args], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise Failure(f"cql {' '.join(args)} failed ({out.returncode}): {out.stderr}")
        return json.loads(out.stdout)

    def make_identity(self, name):
        key = os.path.join(self.dir, f"{name}.key")
        generated = self.cql("generate", "--out", key, "--passphrase-file", self.passphrase_file,
                             "--kdf-memory-kib", "64", "--kdf-iterations", "1", "--json")
        mined = self.cql("idminer", "--key", key, "--passphrase-file", self.passphrase_file,
                         "--difficulty", str(DIFFICULTY), "--json")
        return {"key": key, "public_key": generated["public_key"], "nonce": mined["nonce"],
                "node_id": mined["node_id"]}

    def setup(self, producers, miners):
        names = [f"producer{i}" for i in range(producers)] + [f"miner{i}" for i in range(miners)]
        ports = free_ports(len(names))
        for name, port in zip(names, ports):
            node = self.make_identity(name)
            node["port"] = port
            node["data"] = os.path.join(self.dir, name)
            node["role"] = "producer" if name.startswith("producer") else "miner"
            self.nodes[name] = node
        genesis = {
            "network": "covenant-cluster-test",
            "parameters": {"node_id_difficulty": DIFFICULTY},
            "producers": [{"key": self.nodes[n]["public_key"], "node_id_nonce": self.nodes[n]["nonce"]}
                          for n in names if n.startswith("producer")],
            "allocations": [{"address": hashlib.sha256(bytes.fromhex(self.nodes["producer0"]["public_key"])).hexdigest(),
                             "amount": 1000000}],
        }
        with open(os.path.join(self.dir, "genesis.json"), "w") as f:
            json.dump(genesis, f, indent=2)
        # One peer list for every node (each leaves itself out): producers by key (the
        # genesis has their nonces), miners by node id.
        peers = ""
        for name in names:
            node = self.nodes[name]
            if node["role"] == "producer":
                peers += f'\n[[peers]]\nkey = "{node["public_key"]}"\naddress = "127.0.0.1:{node["port"]}"\n'
            else:
                peers += f'\n[[peers]]\nnode_id = "{node["node_id"]}"\naddress = "127.0.0.1:{node["port"]}"\n'
        for name in names:
            node = self.nodes[name]
            text = f'''# {name}
role = "{node["role"]}"
key_file = "{name}.key"
passphrase_file = "passphrase"
listen = "127.0.0.1:{node["port"]}"
data_dir = "{name}"
genesis = "genesis.json"
status_interval_ms = 100
'''
            if node["role"] == "miner":
                text += f"node_id_nonce = {node['nonce']}\n"
            text += log_and_network_settings(name) + role_settings() + peers
            node["config"] = os.path.join(self.dir, f"{name}.toml")
            with open(node["config"], "w") as f:
                f.write(text)

    # ---- processes -----------------------------------------------------------------------
    def start(self, name, *extra):
        node = self.nodes[name]
        err = open(os.path.join(self.dir, f"{name}.stderr"), "a")
        self.processes[name] = subprocess.Popen(
            [self.node_bin, "--config", node["config"], *extra],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err, preexec_fn=die_with_parent)
        err.close()

    def run_once(self, args, timeout=30):
        """Runs covenant-node to its exit; (status, stderr)."""
        out = subprocess.run([self.node_bin, *args], capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL,
                             preexec_fn=die_with_parent)
        return out.returncode, out.stderr

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes[name]
        process.send_signal(sig)
        return process.wait(timeout=30)

    def stop_all(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def check_alive(self, names):
        for name in names:
            code = self.processes[name].poll()
            if code is not None:
                raise Failure(f"{name} exited with {code}; its stderr:\n" + self.tail(name))

    def tail(self, name, lines=30):
        out = []
        for suffix in (".stderr", ".log"):
            path = os.path.join(self.dir, name + suffix)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append(f"--- {path}\n" + "".join(f.readlines()[-lines:]))
        return "\n".join(out)

    # ---- status --------------------------------------------------------------------------
    def status(self, name):
        path = os.path.join(self.nodes[name]["data"], "status.json")
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def height(self, name):
        """Final height (producer) or chain height (miner), recording its head hash."""
        s = self.status(name)
        if s is None or s.get("state") != "running":
            return -1
        if "producer" in s and s["producer"]:
            height, head = s["producer"]["final_height"], s["producer"]["head_hash"]
        elif "miner" in s and s["miner"]:
            height, head = s["miner"]["chain_height"], s["miner"]["chain_head"]
        else:
            return -1
        seen = self.history.setdefault(name, {})
        if height in seen and seen[height] != head:
            raise Failure(f"{name} reported two heads at height {height}: {seen[height]} and {head}")
        seen[height] = head
        return height

    def wait_until(self, what, condition, timeout, alive):
        limit = min(time.monotonic() + timeout, self.deadline)
        while time.monotonic() < limit:
            self.check_alive(alive)
            if condition():
                return
            time.sleep(0.1)
        details = "\n".join(f"{n}: {json.dumps(self.status(n))[:600]}" for n in alive)
        raise Failure(f"timed out waiting until {what}\n{details}\n" +
                      "\n".join(self.tail(n, 15) for n in alive))

    def check_agreement(self):
        """Every two nodes agree on the head hash at every height both reported."""
        names = list(self.history)
        compared = 0
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                for height, head in self.history[a].items():
                    other = self.history[b].get(height)
                    if height > 0 and other is not None:
                        compared += 1
                        if other != head:
                            raise Failure(f"{a} and {b} disagree at height {height}: {head} vs {other}")
        return compared


def scenario(cluster, producers, miners, node_bin):
    p_names = [f"producer{i}" for i in range(producers)]
    m_names = [f"miner{i}" for i in range(miners)]

    # Usage errors first (no cluster needed).
    code, err = cluster.run_once(["--config", cluster.nodes["producer0"]["config"], "--role=client",
                                  "--http-listen", "10.1.2.3:8080"])
    if code != 2 or "not a loopback" not in err:
        raise Failure(f"--role=client off loopback: expected exit 2 saying so, got {code}: {err}")
    bad = os.path.join(cluster.dir, "bad.toml")
    with open(cluster.nodes["producer0"]["config"]) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace("[producer]\n", "[producer]\ntick_ms = \"fast\"\n", 1))
    code, err = cluster.run_once(["--config", bad])
    if code != 2 or "producer.tick_ms" not in err:
        raise Failure(f"bad config: expected exit 2 naming producer.tick_ms, got {code}: {err}")
    log(f"bad config refused: {err.strip()}")
    code, err = cluster.run_once(["--config", cluster.nodes["producer0"]["config"],
                                  "--passphrase-file", bad])
    if code != 1 or "key_file" not in err:
        raise Failure(f"wrong passphrase: expected exit 1 about the key file, got {code}: {err}")
    log(f"wrong passphrase refused: {err.strip()}")

    # 1. Four producers finalize.
    started = time.monotonic()
    for name in p_names:
        cluster.start(name)
    cluster.wait_until("every producer is at final height 5",
                       lambda: all(cluster.height(n) >= 5 for n in p_names), 60, p_names)
    log(f"{producers} producers at height >= 5 after {time.monotonic() - started:.1f} s; "
        f"{cluster.check_agreement()} common heights agree")

    # Errors that need a running node: a port in use, a data directory in use.
    victim = p_names[-1]
    code, err = cluster.run_once(["--config", cluster.nodes["producer0"]["config"],
                                  "--data-dir", os.path.join(cluster.dir, "elsewhere"),
                                  "--listen", f"127.0.0.1:{cluster.nodes['producer1']['port']}"])
    if code != 1 or "cannot listen" not in err or "in use" not in err:
        raise Failure(f"port in use: expected exit 1 saying it cannot listen, got {code}: {err}")
    log(f"port in use refused: {err.strip()}")
    code, err = cluster.run_once(["--config", cluster.nodes["producer0"]["config"],
                                  "--listen", "127.0.0.1:0"])
    if code != 1 or "in use" not in err:
        raise Failure(f"data_dir in use: expected exit 1, got {code}: {err}")
    log(f"data_dir in use refused: {err.strip()}")

    # 2. Kill one producer; the others keep finalizing.
    at_kill = max(cluster.height(n) for n in p_names)
    cluster.kill(victim)
    log(f"killed {victim} (SIGKILL) at height {at_kill}")
    rest = [n for n in p_names if n != victim]
    cluster.wait_until(f"the other producers pass height {at_kill + 5}",
                       lambda: all(cluster.height(n) >= at_kill + 5 for n in rest), 60, rest)
    log(f"the other {len(rest)} kept finalizing: heights {[cluster.height(n) for n in rest]}")

    # 3. Restart it on the same data directory: it resumes and catches up.
    old_status = cluster.status(victim)
    stored = old_status["producer"]["final_height"] if old_status and old_status.get("producer") else 0
    cluster.start(victim)
    cluster.wait_until(f"{victim} is running again", lambda: (cluster.status(victim) or {}).get("pid")
                       == cluster.processes[victim].pid and cluster.height(victim) >= 0, 30, p_names)
    resumed = cluster.height(victim)
    if resumed < stored:
        raise Failure(f"{victim} restarted at height {resumed}, below the {stored} it had stored")
    target = max(cluster.height(n) for n in rest)
    cluster.wait_until(f"{victim} catches up to height {target}",
                       lambda: cluster.height(victim) >= target, 60, p_names)
    log(f"{victim} restarted at height {resumed} (had {stored}), caught up to {cluster.height(victim)}; "
        f"{cluster.check_agreement()} common heights agree")
    # The others' links to it reconnected (a second connection each), and its own links are
    # up: all four keep finalizing together.
    victim_id = cluster.nodes[victim]["node_id"]

    def reconnected():
        for name in p_names:
            peers = ((cluster.status(name) or {}).get("transport") or {}).get("peers") or []
            producers = [p for p in peers if p["node_id"] in
                         {cluster.nodes[n]["node_id"] for n in p_names}]
            if len(producers) != len(p_names) - 1 or not all(p["connected"] for p in producers):
                return False
            if name != victim and not any(p["node_id"] == victim_id and p["connects"] >= 2
                                          for p in producers):
                return False
        return True
    cluster.wait_until(f"every producer's links are up, the others' to {victim} reconnected",
                       reconnected, 30, p_names)
    now = max(cluster.height(n) for n in p_names)
    cluster.wait_until(f"all producers pass height {now + 3}",
                       lambda: all(cluster.height(n) >= now + 3 for n in p_names), 60, p_names)

    # 4. Miners follow the chain.
    if m_names:
        for name in m_names:
            cluster.start(name)
        target = max(cluster.height(n) for n in p_names)
        everyone = p_names + m_names
        cluster.wait_until(f"the miners follow the chain to height {target}",
                           lambda: all(cluster.height(n) >= target for n in m_names), 60, everyone)
        later = target + 3
        cluster.wait_until(f"the miners follow on to height {later}",
                           lambda: all(cluster.height(n) >= later for n in m_names), 60, everyone)
        log(f"{len(m_names)} miners follow the chain: heights {[cluster.height(n) for n in m_names]}; "
            f"{cluster.check_agreement()} common heights agree")
        # A miner killed and restarted on its data directory resumes from its stored chain.
        miner = m_names[0]
        had = cluster.height(miner)
        cluster.kill(miner)
        cluster.start(miner)
        cluster.wait_until(f"{miner} is running again",
                           lambda: (cluster.status(miner) or {}).get("pid") == cluster.processes[miner].pid
                           and cluster.height(miner) >= 0, 30, everyone)
        resumed = cluster.height(miner)
        if resumed < had:
            raise Failure(f"{miner} restarted at height {resumed}, below the {had} it had applied")
        target = max(cluster.height(n) for n in p_names) + 2
        cluster.wait_until(f"{miner} follows on to height {target}",
                           lambda: cluster.height(miner) >= target, 60, everyone)
        log(f"{miner} restarted at height {resumed} (had {had}) and follows on: {cluster.height(miner)}")

    # Memory of a producer process.
    pid = cluster.processes["producer0"].pid
    with open(f"/proc/{pid}/status") as f:
        rss = [line.split()[1] for line in f if line.startswith("VmRSS:")]
    log(f"producer0 resident memory: {int(rss[0]) // 1024} MiB" if rss else "no VmRSS")

    # 6. SIGTERM stops every node cleanly.
    for name in list(cluster.processes):
        if cluster.processes[name].poll() is None:
            cluster.processes[name].send_signal(signal.SIGTERM)
    for name, process in cluster.processes.items():
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise Failure(f"{name} did not stop within 20 s of SIGTERM")
        if code != 0:
            raise Failure(f"{name} exited with {code} on SIGTERM:\n" + cluster.tail(name))
        state = (cluster.status(name) or {}).get("state")
        if state != "stopped":
            raise Failure(f"{name}'s status.json says {state!r} after SIGTERM, not 'stopped'")
    log("every node stopped cleanly on SIGTERM")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True, help="the covenant-node binary")
    parser.add_argument("--cql", required=True, help="the cql binary")
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--miners", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=240, help="seconds for the whole run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    return run_cluster(Cluster, args, "covenant-cluster-", lambda cluster: (
        cluster.setup(args.producers, args.miners),
        scenario(cluster, args.producers, args.miners, args.node)))


def run_cluster(cluster_class, args, prefix, body):
    """Runs body(cluster) in a fresh directory within args.timeout seconds; every process is
    killed and the directory removed afterwards (kept with args.keep). The exit status."""
    deadline = time.monotonic() + args.timeout
    directory = tempfile.mkdtemp(prefix=prefix)
    cluster = cluster_class(os.path.abspath(args.node), os.path.abspath(args.cql), directory, deadline)
    # ctest ends a test that overruns with SIGTERM: clean up then, too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(Failure("terminated")))
    started = time.monotonic()
    ok = False
    try:
        log(f"directory {directory}")
        body(cluster)
        ok = True
    except (Failure, subprocess.TimeoutExpired) as e:
        log(f"FAILED: {e}")
    finally:
        cluster.stop_all()
        if args.keep:
            log(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    log(f"{'passed' if ok else 'failed'} in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
