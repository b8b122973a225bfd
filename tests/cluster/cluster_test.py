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
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from local_network import (NODE_ID_DIFFICULTY, TEST_PASSPHRASE, TEST_PROFILE,  # noqa: E402,F401
                           Failure, LocalNetwork, address_of, die_with_parent, free_ports, log,
                           log_and_network_settings, role_settings, run_cluster)

# The names other cluster scripts imported from here before local_network existed.
PASSPHRASE = TEST_PASSPHRASE
DIFFICULTY = NODE_ID_DIFFICULTY

# Every node lists every other; the miners only follow the chain (no registration).
CLUSTER_PROFILE = {
    "": TEST_PROFILE[""],
    "log": TEST_PROFILE["log"],
    "network": TEST_PROFILE["network"],
    "producer": TEST_PROFILE["producer"],
    "miner": {"follow_interval_ms": TEST_PROFILE["miner"]["follow_interval_ms"]},
}


class Cluster(LocalNetwork):
    def setup(self, producers, miners):
        names = [f"producer{i}" for i in range(producers)] + [f"miner{i}" for i in range(miners)]
        for name, port in zip(names, free_ports(len(names))):
            self.add_node(name, "producer" if name.startswith("producer") else "miner", port)
        self.write_genesis("covenant-cluster-test", {}, {"producer0": 1000000})
        for name in names:
            self.write_config(name, CLUSTER_PROFILE, names)


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


if __name__ == "__main__":
    sys.exit(main())
