#!/usr/bin/env python3
"""A client gateway on a real cluster (run by ctest as gateway_cluster_test).

Four producers, four miners and one client gateway, each a covenant-node process on
127.0.0.1 (keys from `cql generate` and `cql idminer`). The producers list only each other
and the miners only the producers and each other: block-fetch replies reach the miners and
the gateway over routes learned from their own connections. The miners register themselves
on the chain ([miner.registration], funded at genesis); the gateway lists only the producers
and reaches the members of its database at the endpoints they registered. Through the
gateway's HTTP API:

  1. the account and status come from the followed chain; a database is created (once the
     miners are registered) and listed;
  2. a table is created, rows of every value type written with parameters (a verified
     strong-mode write: commit certificate and result signatures) and read back exactly;
     rows inserted by one statement with parameter sets (one result, all or none);
  3. bad input (malformed JSON, unknown fields, a bad id, a value out of range) is a 400, an
     unknown database a 404, a transfer beyond the balance a 422 with the ledger's reason,
     an SQL error a 400 with the statement's message; a transfer goes final;
  4. a second gateway on an HTTP port in use exits 1 saying so, a bad [client] key exits 2;
  5. the gateway is restarted on its data directory and writes on (its sequences persisted);
  6. SIGTERM stops every node with exit 0.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from local_network import (TEST_PROFILE, Failure, LocalNetwork, address_of,  # noqa: E402,F401
                           free_ports, log, run_cluster)


class GatewayCluster(LocalNetwork):
    def setup_gateway(self, producers, miners, clients=("client",)):
        """The network of every gateway test (local_network.plan_gateway_network)."""
        p_names, m_names = self.plan_gateway_network("covenant-gateway-test", producers, miners,
                                                     list(clients), TEST_PROFILE)
        self.http_port = self.nodes["client"]["http_port"]
        return p_names, m_names


def scenario(c, p_names, m_names):
    everyone = p_names + m_names + ["client"]
    for name in p_names + m_names:
        c.start(name)
    c.start("client")
    c.wait_until("the gateway answers", lambda: c.status("client") is not None and
                 (c.status("client").get("client") or {}).get("chain_height", 0) >= 2, 60, everyone)

    status, s = c.http("GET", "/v1/status")
    c.expect("status", status, s)
    client = c.nodes["client"]
    if s["address"] != address_of(client["public_key"]) or s["node_id"] != client["node_id"]:
        raise Failure(f"status names another node: {s}")
    if s["balance"] != 1000000:
        raise Failure(f"status: balance {s['balance']}, the genesis gave 1000000")
    status, a = c.http("GET", "/v1/account")
    c.expect("account", status, a)
    if a["nonce"] != 1 or a["staked"] != 0 or a["public_key"] != client["public_key"]:
        raise Failure(f"account: {a}")

    # 1. The miners register themselves; until four are, the ledger refuses the database.
    created = None
    limit = time.monotonic() + 60
    while created is None:
        c.check_alive(everyone)
        status, answer = c.http("POST", "/v1/databases",
                                {"miners": 4, "mode": "strong", "advance_payment": 50000})
        if status == 200:
            created = answer
        elif status == 422 and answer.get("code") == "no_miners" and time.monotonic() < limit:
            time.sleep(0.3)
        else:
            raise Failure(f"create database: {status} {answer}\n" + c.tail("client"))
    db = created["database"]
    miner_keys = {c.nodes[n]["public_key"] for n in m_names}
    if set(created["members"]) != miner_keys or created["leader"] != created["members"][0]:
        raise Failure(f"create database: members {created['members']}")
    log(f"database {db[:16]} created at height {created['height']}, members are the 4 miners")
    status, listed = c.http("GET", "/v1/databases")
    c.expect("list", status, listed)
    if [d["database"] for d in listed["databases"]] != [db] or listed["databases"][0]["role"] != "admin":
        raise Failure(f"list: {listed}")
    status, one = c.http("GET", f"/v1/databases/{db}")
    c.expect("get database", status, one)
    if one["advance_payment"] != 50000 or one["out_of_funds"] or one["mode"] != "strong":
        raise Failure(f"get database: {one}")

    # 2. Writes, verified; reads, exact.
    status, made = c.http("POST", "/v1/exec", {"database": db,
                          "sql": "CREATE TABLE t(k INTEGER PRIMARY KEY, v)"})
    c.expect("create table", status, made)
    values = [None, -9007199254740993, 0.25, "text ✓", {"blob": "00ff10"}]
    status, wrote = c.http("POST", "/v1/exec", {"database": db, "statements": [
        {"sql": "INSERT INTO t VALUES (?, ?)", "params": [i + 1, v]} for i, v in enumerate(values)]})
    c.expect("insert", status, wrote)
    if (not wrote["verified"] or wrote["certificate_signers"] < 3 or wrote["result_signers"] < 2
            or [r["rows_affected"] for r in wrote["results"]] != [1] * 5
            or wrote["results"][-1]["last_insert_rowid"] != 5):
        raise Failure(f"insert: {wrote}")
    status, named = c.http("POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (:k, :v)",
                                                "params": {":k": 6, ":v": "named"}})
    c.expect("insert with named parameters", status, named)
    status, sets = c.http("POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (?, ?)",
                                               "param_sets": [[100, "a"], [101, "b"], [102, None]]})
    c.expect("insert with parameter sets", status, sets)
    if (len(sets["results"]) != 1 or sets["results"][0]["rows_affected"] != 3
            or sets["results"][0]["last_insert_rowid"] != 102 or not sets["verified"]):
        raise Failure(f"insert with parameter sets: {sets}")
    status, read = c.http("POST", "/v1/query", {"database": db, "sql": "SELECT k, v FROM t WHERE k >= 100 ORDER BY k"})
    c.expect("query the sets' rows", status, read)
    if read["rows"] != [[100, "a"], [101, "b"], [102, None]]:
        raise Failure(f"rows of parameter sets: {read}")
    status, e = c.http("POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (?, ?)",
                                            "params": [1, 2], "param_sets": [[3, 4]]})
    c.expect("params and param_sets", status, e, "bad_request", 400)
    status, e = c.http("POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (?, ?)",
                                            "param_sets": [[103, "c"], [100, "again"]]})
    c.expect("a failing parameter set", status, e, "sql_error", 400)
    if "parameter set 1" not in e.get("error", ""):
        raise Failure(f"a failing parameter set: {e}")
    status, read = c.http("POST", "/v1/query", {"database": db, "sql": "SELECT k, v FROM t WHERE k <= ? ORDER BY k",
                                                "params": [5]})
    c.expect("query", status, read)
    if read["columns"] != ["k", "v"] or [r[1] for r in read["rows"]] != values or not read["verified"]:
        raise Failure(f"query: {read}")
    if read["served_by"] not in miner_keys:
        raise Failure(f"query served by a non-member: {read['served_by']}")
    log(f"written and read back through the gateway: {read['rows']}")

    # 3. Bad input and refusals.
    status, e = c.http("POST", "/v1/exec", raw=b"{not json")
    c.expect("malformed JSON", status, e, "bad_request", 400)
    status, e = c.http("POST", "/v1/exec", {"database": db, "sql": "SELECT 1", "colour": "red"})
    c.expect("unknown field", status, e, "bad_request", 400)
    status, e = c.http("POST", "/v1/query", {"database": "12", "sql": "SELECT 1"})
    c.expect("bad id", status, e, "bad_request", 400)
    status, e = c.http("POST", "/v1/exec", {"database": db, "sql": "SELECT ?", "params": [2 ** 63]})
    c.expect("integer out of range", status, e, "bad_request", 400)
    status, e = c.http("POST", "/v1/query", {"database": "ab" * 32, "sql": "SELECT 1"})
    c.expect("unknown database", status, e, "unknown_database", 404)
    status, e = c.http("GET", "/v1/databases/" + "cd" * 32)
    c.expect("unknown database", status, e, "unknown_database", 404)
    status, e = c.http("POST", "/v1/query", {"database": db, "sql": "SELECT * FROM missing"})
    c.expect("SQL error", status, e, "sql_error", 400)
    to = address_of(c.nodes["miner0"]["public_key"])
    status, e = c.http("POST", "/v1/transfer", {"to": to, "amount": 10 ** 12})
    c.expect("transfer beyond the balance", status, e, "insufficient_funds", 422)
    status, e = c.http("POST", "/v1/grant", {"database": db, "user": to, "role": "owner"})
    c.expect("unknown role", status, e, "bad_request", 400)
    status, sent = c.http("POST", "/v1/transfer", {"to": to, "amount": 123})
    c.expect("transfer", status, sent)
    status, granted = c.http("POST", "/v1/grant", {"database": db, "public_key": c.nodes["miner1"]["public_key"],
                                                   "role": "read"})
    c.expect("grant", status, granted)
    status, a = c.http("GET", "/v1/account")
    expected = 1000000 - 50000 - 123 - 3  # three transactions, fee 1 each
    if a["balance"] != expected or a["nonce"] != 4:
        raise Failure(f"account after three transactions: {a}, expected balance {expected}")
    log("bad input refused with 400/404/422; a transfer and a grant went final")

    # 4. Start-up errors of a second gateway.
    code, err = c.run_once(["--config", client["config"], "--data-dir", os.path.join(c.dir, "second"),
                            "--http-listen", f"127.0.0.1:{c.http_port}"])
    if code != 1 or "cannot listen" not in err or "in use" not in err:
        raise Failure(f"HTTP port in use: expected exit 1 saying so, got {code}: {err}")
    log(f"HTTP port in use refused: {err.strip()}")
    bad = os.path.join(c.dir, "bad-client.toml")
    with open(client["config"]) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace("[client]\n", "[client]\nhttp_workers = 4\n", 1))
    code, err = c.run_once(["--config", bad])
    if code != 2 or "client.http_workers" not in err:
        raise Failure(f"bad [client] key: expected exit 2 naming it, got {code}: {err}")

    # 5. Restarted on its data directory: it writes on.
    c.kill("client", signal.SIGKILL)
    c.start("client")
    limit = time.monotonic() + 30
    while True:
        c.check_alive(everyone)
        try:
            status, after = c.http("POST", "/v1/exec", {"database": db, "sql": "INSERT INTO t VALUES (7, 'again')"})
            if status == 200:
                break
            if status != 404 or time.monotonic() > limit:  # 404 until it has replayed the chain
                raise Failure(f"write after restart: {status} {after}")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > limit:
                raise Failure("the restarted gateway does not answer")
        time.sleep(0.2)
    status, count = c.http("POST", "/v1/query", {"database": db, "sql": "SELECT count(*) FROM t"})
    c.expect("count", status, count)
    if count["rows"] != [[10]]:  # 5 + 1 + 3 from parameter sets + 1
        raise Failure(f"count after restart: {count}")
    log("the restarted gateway writes on: 7 rows")

    # 6. SIGTERM stops every node cleanly.
    for name in everyone:
        c.processes[name].send_signal(signal.SIGTERM)
    for name in everyone:
        try:
            code = c.processes[name].wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise Failure(f"{name} did not stop within 20 s of SIGTERM")
        if code != 0:
            raise Failure(f"{name} exited with {code} on SIGTERM:\n" + c.tail(name))
    log("every node stopped cleanly on SIGTERM")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    return run_cluster(GatewayCluster, args, "covenant-gateway-",
                       lambda cluster: scenario(cluster, *cluster.setup_gateway(4, 4)))


if __name__ == "__main__":
    sys.exit(main())
