#!/usr/bin/env python3
"""Faults on a real network with a database (run by ctest as leader_failover_test and
producer_failover_test).

Four producers, four miners that register themselves and a client gateway, each a
covenant-node process on 127.0.0.1 (local_network.plan_gateway_network). A strong-mode
database of the 4 miners is created through the gateway's HTTP API.

--scenario leader:
  1. a stream of writes through the gateway (two writers, each row's key unique; a write
     counts as acknowledged when the gateway answers 200 with a verified receipt);
  2. the database's leader (GET /v1/databases/{id}) is killed with SIGKILL in the middle of
     the stream; the survivors' suspicions reach the chain (at least f+1 = 2 of them send
     transactions) and the view changes (the chain says view >= 1 with another leader, and
     the survivors' replicas are in it), and acknowledged writes go on;
  3. afterwards the 3 survivors have committed the same batches with equal state digests
     (status.json and each SQLite file's own record), and every acknowledged write is a
     row of every survivor's SQLite file (read directly, read-only), the same rows on each;
  4. the killed miner restarts on its data directory and, once writes go on, catches up to
     the same last commit, digest and rows.
--scenario producer:
  1. a producer is killed with SIGKILL: the other producers, a miner and the gateway follow
     the chain past 5 more heights; a write commits and a transfer goes final;
  2. it restarts on its data directory and catches up to the others (one head at every
     height any two nodes reported).
Both end with SIGTERM: every node exits 0. Bounded by --timeout; every process is killed
and the directory removed at the end, also on failure (--keep keeps it).
"""

import argparse
import os
import signal
import sqlite3
import sys
import threading
import time
import urllib.error

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from local_network import (TEST_PROFILE, Failure, LocalNetwork, address_of, log,  # noqa: E402
                           profile_with, run_cluster)

# Leader suspicion after 5 s without progress: quick enough for a test, with headroom for
# processes starved of the shared cores for a few seconds.
PROFILE = profile_with(TEST_PROFILE, {"miner": {"progress_timeout_ms": 5000}})


def read_rows(path):
    """(sorted keys of table t, the file's own state digest) of a miner's SQLite file, read
    in one transaction (one state), read-only."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN")
        keys = [k for (k,) in db.execute("SELECT k FROM t ORDER BY k")]
        digest = db.execute("SELECT state_digest FROM covenant_meta WHERE id = 1").fetchone()
        db.execute("COMMIT")
        return keys, digest[0].hex() if digest else None
    finally:
        db.close()


class Network(LocalNetwork):
    def setup_network(self):
        self.p_names, self.m_names = self.plan_gateway_network(
            "covenant-failover-test", 4, 4, ["client"], PROFILE)
        self.everyone = self.p_names + self.m_names + ["client"]
        self.by_key = {self.nodes[n]["public_key"]: n for n in self.m_names}

    def start_network(self):
        for name in self.everyone:
            self.start(name)
        self.wait_until("the gateway follows the chain",
                        lambda: self.height("client") >= 2, 60, self.everyone)

    def create(self):
        created = self.create_database(4, alive=self.everyone)
        self.db = created["database"]
        if set(created["members"]) != set(self.by_key):
            raise Failure(f"members {created['members']} are not the 4 miners")
        self.members = created["members"]
        status, made = self.http("POST", "/v1/exec", {
            "database": self.db, "sql": "CREATE TABLE t(k INTEGER PRIMARY KEY, writer INTEGER)"})
        self.expect("create table", status, made)
        log(f"database {self.db[:16]} on {[self.by_key[m] for m in self.members]}")

    def database(self):
        status, one = self.http("GET", f"/v1/databases/{self.db}")
        self.expect("get database", status, one)
        return one

    def file_of(self, miner):
        return os.path.join(self.nodes[miner]["data"], f"db-{self.db}.sqlite")

    def write(self, k, writer=0):
        """None when the gateway acknowledged the row as committed (verified), else what it
        answered instead."""
        try:
            status, answer = self.http("POST", "/v1/exec", {
                "database": self.db, "sql": "INSERT INTO t VALUES (?, ?)", "params": [k, writer]},
                timeout=60)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            return f"no answer: {e}"
        if status == 200 and answer.get("verified") is True and \
                [r["rows_affected"] for r in answer["results"]] == [1]:
            return None
        return f"{status} {answer.get('code', answer)}"

    def converged(self, miners):
        """The replicas of `miners` have executed the same last commit with one digest."""
        seen = set()
        for m in miners:
            d = self.replica(m, self.db)
            r = (d or {}).get("replica")
            if not r or r["last_executed"] != r["last_committed"]:
                return False
            seen.add((r["last_committed"], r["state_digest"]))
        return len(seen) == 1

    def files_agree(self, miners):
        """The files of `miners` hold one state (one digest), which each replica's status
        reports too (the group may still seal blocks after the last write, so the state is
        compared as of one moment, not after a wait)."""
        self.snapshots = {m: read_rows(self.file_of(m)) for m in miners}
        digests = {digest for _, digest in self.snapshots.values()}
        if len(digests) != 1:
            return False
        for m in miners:
            r = ((self.replica(m, self.db) or {}).get("replica") or {})
            if r.get("state_digest") not in digests or r.get("last_executed") != r.get("last_committed"):
                return False
        return True

    def check_files(self, miners, acknowledged, alive):
        """Every acknowledged key is a row of every file, and the files hold the same rows
        and state digest, as the replicas' status says. Returns the row count."""
        self.wait_until(f"the files of {miners} hold one state", lambda: self.files_agree(miners),
                        30, alive)
        for m in miners:
            keys, digest = self.snapshots[m]
            missing = sorted(set(acknowledged) - set(keys))
            if missing:
                raise Failure(f"{m}'s file lacks {len(missing)} acknowledged writes: {missing[:20]}")
        first = self.snapshots[miners[0]]
        for m in miners[1:]:
            if self.snapshots[m][0] != first[0]:
                extra = sorted(set(self.snapshots[m][0]) ^ set(first[0]))
                raise Failure(f"{m} and {miners[0]} hold different rows with one digest: {extra[:20]}")
        return len(first[0])


class Writers:
    """Writer threads, each writing unique keys until stopped; acknowledged keys recorded."""

    def __init__(self, net, count):
        self.net = net
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged = []
        self.unacknowledged = {}  # what the gateway answered instead -> how often
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(count)]

    def run(self, writer):
        n = 0
        while not self.stop.is_set():
            n += 1
            k = writer * 1_000_000 + n
            problem = self.net.write(k, writer)
            with self.lock:
                if problem is None:
                    self.acknowledged.append(k)
                else:
                    self.unacknowledged[problem] = self.unacknowledged.get(problem, 0) + 1

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=90)


def leader_scenario(net):
    net.start_network()
    net.create()
    with Writers(net, 2) as writers:
        net.wait_until("20 writes are acknowledged", lambda: writers.count() >= 20, 60, net.everyone)
        one = net.database()
        if one["view"] != 0 or one["leader"] != net.members[0]:
            raise Failure(f"before the kill: view {one['view']}, leader {one['leader']}")
        leader = net.by_key[one["leader"]]
        survivors = [m for m in net.m_names if m != leader]
        before = writers.count()
        sent = {m: net.status(m)["miner"]["transactions_sent"] for m in survivors}
        net.kill(leader)
        log(f"killed the leader {leader} (SIGKILL) after {before} acknowledged writes")
        alive = [n for n in net.everyone if n != leader]
        net.wait_until("the chain records a view change",
                       lambda: net.database()["view"] >= 1, 90, alive)
        one = net.database()
        if one["leader"] == net.nodes[leader]["public_key"]:
            raise Failure(f"view {one['view']} is still led by the killed {leader}")
        net.wait_until("the survivors' replicas are in the new view", lambda: all(
            ((net.replica(m, net.db) or {}).get("replica") or {}).get("view", 0) >= 1
            for m in survivors), 30, alive)
        # The chain moves the view on f+1 = 2 members' suspicions: each sent its own
        # (suspect_leader transactions, signed by the miner).
        suspecting = [m for m in survivors if net.status(m)["miner"]["transactions_sent"] > sent[m]]
        if len(suspecting) < 2:
            raise Failure(f"only {suspecting} sent transactions (suspicions) after the kill")
        at_view_change = writers.count()
        log(f"suspicions sent by {suspecting}; view {one['view']}, leader {net.by_key[one['leader']]}; "
            f"{at_view_change} writes acknowledged so far")
        net.wait_until("20 more writes are acknowledged in the new view",
                       lambda: writers.count() >= at_view_change + 20, 90, alive)
    acknowledged = list(writers.acknowledged)
    log(f"{len(acknowledged)} writes acknowledged; not acknowledged: {writers.unacknowledged or 'none'}")
    net.wait_until("the survivors converge", lambda: net.converged(survivors), 30, alive)
    rows = net.check_files(survivors, acknowledged, alive)
    r = net.replica(survivors[0], net.db)["replica"]
    log(f"survivors {survivors} hold {rows} rows, every acknowledged one; commit {r['last_committed']}, "
        f"digest {r['state_digest'][:16]} on each")

    # The killed miner restarts on its files and catches up once the group goes on.
    net.start(leader)
    net.wait_until(f"{leader} runs again", lambda: net.running_again(leader), 30, net.everyone)
    for k in range(1, 4):
        problem = net.write(5_000_000 + k)
        if problem:
            raise Failure(f"a write after {leader}'s restart was not acknowledged: {problem}")
        acknowledged.append(5_000_000 + k)
    net.wait_until(f"{leader} catches up to the others", lambda: net.converged(net.m_names),
                   60, net.everyone)
    rows = net.check_files(net.m_names, acknowledged, net.everyone)
    r = net.replica(leader, net.db)["replica"]
    if r["storage_problem"]:
        raise Failure(f"{leader} reports a storage problem: {r['storage_problem']}")
    if not isinstance(r.get("wal_pages_behind"), int) or r["wal_pages_behind"] < 0:
        raise Failure(f"{leader}: wal_pages_behind {r.get('wal_pages_behind')!r}")
    log(f"{leader} caught up: commit {r['last_committed']}, {rows} rows, digest {r['state_digest'][:16]} "
        f"as the others ({r['catch_up_batches']} batches fetched)")


def producer_scenario(net):
    net.start_network()
    net.create()
    problem = net.write(1)
    if problem:
        raise Failure(f"the first write was not acknowledged: {problem}")
    victim = net.p_names[1]
    rest = [n for n in net.p_names if n != victim]
    at_kill = max(net.height(n) for n in net.p_names)
    net.kill(victim)
    log(f"killed {victim} (SIGKILL) at height {at_kill}")
    alive = [n for n in net.everyone if n != victim]
    followers = rest + ["miner0", "client"]
    net.wait_until(f"the others pass height {at_kill + 5}",
                   lambda: all(net.height(n) >= at_kill + 5 for n in followers), 60, alive)
    log(f"heights without {victim}: {[(n, net.height(n)) for n in followers]}")
    problem = net.write(2)
    if problem:
        raise Failure(f"a write with {victim} down was not acknowledged: {problem}")
    to = address_of(net.nodes["miner0"]["public_key"])
    status, sent = net.http("POST", "/v1/transfer", {"to": to, "amount": 7})
    net.expect("a transfer with a producer down", status, sent)
    log(f"a write committed and a transfer went final at height {sent['height']} without {victim}")

    old = net.status(victim)
    stored = old["producer"]["final_height"] if old and old.get("producer") else 0
    net.start(victim)
    net.wait_until(f"{victim} runs again", lambda: net.running_again(victim), 30, net.everyone)
    target = max(net.height(n) for n in rest)
    net.wait_until(f"{victim} catches up to height {target}",
                   lambda: net.height(victim) >= target, 60, net.everyone)
    log(f"{victim} restarted (had height {stored}) and caught up to {net.height(victim)}; "
        f"{net.check_agreement()} common heights agree")
    keys, _ = read_rows(net.file_of("miner0"))
    if keys[:2] != [1, 2]:
        raise Failure(f"miner0's file holds {keys}, expected the rows 1 and 2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["leader", "producer"], required=True)
    parser.add_argument("--node", required=True)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    scenario = leader_scenario if args.scenario == "leader" else producer_scenario

    def body(net):
        net.setup_network()
        scenario(net)
        net.terminate_all()
        log("every node stopped cleanly on SIGTERM")
    return run_cluster(Network, args, f"covenant-{args.scenario}-failover-", body)


if __name__ == "__main__":
    sys.exit(main())
