#!/usr/bin/env python3
"""cql against a real network (run by ctest as cql_cluster_test).

Four producers, four self-registering miners and a client gateway, each a covenant-node process
on 127.0.0.1 (the gateway cluster of gateway_test.py); cql reaches the gateway with
`--config cql.toml` (the file a devnet prints as cql_config). Every command runs with --json and
its object is checked:

  1. `cql balance`; `cql create --miners 4` (retried while the miners register);
     `cql databases`;
  2. `cql exec` (a table, rows of every value type with --param, several statements from
     stdin), `cql query`; `cql console -c` and the console reading a pipe (a statement over
     two lines, a ';' inside a string, .tables, an error that does not stop it);
  3. `cql grant` and `cql transfer`, final, the balance checked;
  4. `cql info`: four members, each answer signed over cql's challenge and verified, one
     leader, the same state digest where the same sequence was executed;
  5. `cql verify` (the main chain re-verified from the genesis, then every member's shard chain
     against the groups and checkpoints) passes, also with --skip-main-chain;
  6. a stored block in one miner's shard-chain file (db-<id>.chain, SQLite) is altered on disk
     while that miner is stopped; restarted, the miner cannot read that block back and does not
     serve it: `cql verify` fails (exit 1, "ok": false) naming that member, the block's height
     and the fault (missing_block), and passes when asked only about another member; stopped
     again, its file read directly (--chain-file) gives the store's reason at that height;
  7. `cql drop`, after which `cql info` is refused (exit 1); bad config and unreachable gateway
     errors exit 2 and 1.
"""

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import Failure, log, run_cluster  # noqa: E402
from gateway_test import GatewayCluster, address_of  # noqa: E402


class CqlCluster(GatewayCluster):
    def write_cql_config(self):
        self.cql_config = os.path.join(self.dir, "cql.toml")
        with open(self.cql_config, "w") as f:
            f.write(f'gateway = "127.0.0.1:{self.http_port}"\nkey_file = "client.key"\n'
                    f'passphrase_file = "passphrase"\ntimeout_ms = 40000\n')

    def patient_gateway(self):
        """A write's first answers may take longer than the gateway's 500 ms resend on this
        shared machine; resent to every member, the others' stale-sequence answers would then end
        the call first (docs/node.md, the gateway's known limits)."""
        path = self.nodes["client"]["config"]
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("request_resend_ms = 500\n", "request_resend_ms = 3000\n", 1))

    def seal_often(self, miners):
        """Shard blocks every two batches, so a few writes make a chain to verify."""
        for name in miners:
            path = self.nodes[name]["config"]
            with open(path) as f:
                text = f.read()
            text = text.replace("progress_timeout_ms = 8000\n",
                                "progress_timeout_ms = 8000\nseal_every_batches = 2\nseal_every_ms = 400\n", 1)
            with open(path, "w") as f:
                f.write(text)

    def run_cql(self, *args, stdin=None, config=True, timeout=60):
        command = [self.cql_bin, *args]
        if config:
            command += ["--config", self.cql_config]
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                             input=stdin if stdin is not None else "",
                             env={k: v for k, v in os.environ.items() if k not in ("CQL_CONFIG", "CQL_PASSPHRASE")})
        return out.returncode, out.stdout, out.stderr

    def cql_json(self, *args, stdin=None, expect=0):
        code, out, err = self.run_cql(*args, "--json", stdin=stdin)
        if code != expect:
            raise Failure(f"cql {' '.join(args)}: exit {code}, expected {expect}: {err}{out}")
        try:
            return json.loads(out)
        except ValueError:
            raise Failure(f"cql {' '.join(args)}: not one JSON object: {out!r}")


def expect(what, condition, detail):
    if not condition:
        raise Failure(f"{what}: {detail}")


def scenario(c, p_names, m_names):
    everyone = p_names + m_names + ["client"]
    c.write_cql_config()
    c.seal_often(m_names)
    c.patient_gateway()
    for name in everyone:
        c.start(name)
    c.wait_until("the gateway follows the chain", lambda: c.status("client") is not None and
                 (c.status("client").get("client") or {}).get("chain_height", 0) >= 2, 60, everyone)

    # 1. Account, database.
    client = c.nodes["client"]
    balance = c.cql_json("balance")
    expect("balance", balance["address"] == address_of(client["public_key"]) and balance["balance"] == 1000000,
           balance)
    limit = time.monotonic() + 60
    while True:
        c.check_alive(everyone)
        code, out, err = c.run_cql("create", "--miners", "4", "--mode", "strong", "--advance-payment", "50000",
                                   "--json")
        if code == 0:
            created = json.loads(out)
            break
        if "no_miners" not in err or time.monotonic() > limit:
            raise Failure(f"cql create: exit {code}: {err}")
        time.sleep(0.3)
    db = created["database"]
    miner_keys = {c.nodes[n]["public_key"] for n in m_names}
    expect("create", set(created["members"]) == miner_keys and created["mode"] == "strong"
           and created["leader"] in miner_keys and created["height"] >= 1, created)
    log(f"cql create: database {db[:16]} at height {created['height']}")
    # Until every member runs its replica, a first write can execute without its answer
    # reaching the gateway (docs/node.md, the gateway's known limits): wait for all four to answer.
    limit = time.monotonic() + 30
    while not all(m["verified"] for m in c.cql_json("info", db)["members"]):
        c.check_alive(everyone)
        if time.monotonic() > limit:
            raise Failure(f"the members do not all answer: {c.cql_json('info', db)}")
        time.sleep(0.2)
    listed = c.cql_json("databases")
    expect("databases", [d["database"] for d in listed["databases"]] == [db]
           and listed["databases"][0]["role"] == "admin", listed)

    # 2. SQL through exec, query and the console.
    made = c.cql_json("exec", db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v)")
    expect("exec create", made["verified"] and made["receipt"] and made["certificate_signers"] >= 3, made)
    values = ["null", "-9007199254740993", "0.25", '"text ✓"', '{"blob": "00ff10"}']
    for i, v in enumerate(values):
        wrote = c.cql_json("exec", db, "INSERT INTO t VALUES (?, ?)", "--param", str(i + 1), "--param", v)
        expect("exec insert", wrote["results"][0]["rows_affected"] == 1 and wrote["result_signers"] >= 2
               and wrote["database"] == db, wrote)
    many = c.cql_json("exec", db, "-", stdin="INSERT INTO t VALUES (6, 'six;');\nINSERT INTO t VALUES (7, 'seven');\n")
    expect("exec from stdin", [r["rows_affected"] for r in many["results"]] == [1, 1], many)
    read = c.cql_json("query", db, "SELECT k, v FROM t WHERE k <= 5 ORDER BY k")
    expect("query", read["columns"] == ["k", "v"] and read["served_by"] in miner_keys and
           [r[1] for r in read["rows"]] == [None, -9007199254740993, 0.25, "text ✓", {"blob": "00ff10"}], read)
    code, out, err = c.run_cql("console", db, "--json", "-c",
                               "INSERT INTO t VALUES (8, 'eight'); SELECT count(*) AS n FROM t;\n.tables")
    lines = [json.loads(line) for line in out.splitlines()]
    expect("console -c", code == 0 and len(lines) == 3 and lines[0]["results"][0]["rows_affected"] == 1
           and lines[1]["rows"] == [[8]] and lines[2] == {"tables": ["t"]}, f"{code} {out} {err}")
    code, out, err = c.run_cql("console", db, "--json",
                               stdin="INSERT INTO t\n  VALUES (9, 'a;b');\nSELECT * FROM missing;\n"
                                     "SELECT v FROM t WHERE k = 9;\n")
    lines = [json.loads(line) for line in out.splitlines()]
    expect("console from a pipe", code == 1 and len(lines) == 3 and lines[1]["code"] == "sql_error"
           and lines[2]["rows"] == [["a;b"]] and "1 of 3 statement(s) failed" in err, f"{code} {out} {err}")
    code, out, err = c.run_cql("console", db, stdin=".tables\n.schema t\n.mode csv\nSELECT count(*) AS n FROM t;\n")
    expect("console (table and csv)", code == 0 and "CREATE TABLE t(k INTEGER PRIMARY KEY, v);" in out
           and "n\n9\n" in out and "covenant_meta" not in out, f"{code} {out} {err}")  # text mode: \r\n read as \n
    # One statement run once per parameter set, as one request (flags, then a JSON Lines file).
    sets = c.cql_json("exec", db, "INSERT INTO t VALUES (?, ?)", "--param-set", '[10, "ten"]',
                      "--param-set", '[11, {"blob": "0b"}]')
    expect("exec --param-set", sets["results"][0]["rows_affected"] == 2 and sets["verified"], sets)
    sets_file = os.path.join(c.dir, "sets.jsonl")
    with open(sets_file, "w") as f:
        f.write('{":k": 12, ":v": null}\n{":k": 13, ":v": 13.5}\n')
    sets = c.cql_json("exec", db, "INSERT INTO t VALUES (:k, :v)", "--param-sets-file", sets_file)
    expect("exec --param-sets-file", sets["results"][0]["rows_affected"] == 2, sets)
    read = c.cql_json("query", db, "SELECT k, v FROM t WHERE k >= 10 ORDER BY k")
    expect("parameter sets read back",
           read["rows"] == [[10, "ten"], [11, {"blob": "0b"}], [12, None], [13, 13.5]], read)
    log("cql exec, query and console wrote and read 13 rows")

    # 3. Grant and transfer.
    reader = address_of(c.nodes["miner1"]["public_key"])
    granted = c.cql_json("grant", db, "--user", reader, "--role", "read")
    expect("grant", granted["role"] == "read" and granted["user"] == reader and granted["height"] >= 1, granted)
    sent = c.cql_json("transfer", "--to", reader, "--amount", "123")
    expect("transfer", sent["amount"] == 123 and sent["to"] == reader, sent)
    after = c.cql_json("balance")
    expect("balance after", after["balance"] == 1000000 - 50000 - 123 - 3 and after["nonce"] == 4, after)

    # 4. Info: every member answers, signed.
    def all_sealed():
        info = c.cql_json("info", db)
        return info if all(m["verified"] and m["shard_height"] >= 2 for m in info["members"]) else None
    info = None
    limit = time.monotonic() + 30
    while info is None:
        c.check_alive(everyone)
        info = all_sealed()
        if info is None:
            if time.monotonic() > limit:
                raise Failure(f"cql info: not every member answered with two shard blocks: {c.cql_json('info', db)}")
            c.cql_json("exec", db, "INSERT INTO t(v) VALUES ('more')")
            time.sleep(0.5)
    expect("info", info["database"] == db and info["mode"] == "strong" and info["answered"] == 4
           and sum(1 for m in info["members"] if m["leader"]) == 1 and info["divergent"] == []
           and {m["member"] for m in info["members"]} == miner_keys and info["role"] == "admin", info)
    for m in info["members"]:
        expect("info member", m["view"] == info["view"] and m["last_committed"] >= 1 and
               len(m["state_digest"]) == 64 and len(m["shard_head"]) == 64, m)
    log(f"cql info: 4 members answered, shard heights {[m['shard_height'] for m in info['members']]}")

    # 5. Verify passes.
    report = c.cql_json("verify", db)
    expect("verify", report["ok"] and report["fault"] is None and report["main_chain"]["verified"]
           and report["main_chain"]["height"] >= created["height"] and len(report["members"]) == 4
           and all(m["ok"] and m["verified_height"] >= 2 for m in report["members"]), report)
    heads = {m["head_hash"] for m in report["members"] if m["verified_height"] == report["members"][0]["verified_height"]}
    expect("verify: one chain", len(heads) == 1, report)
    log(f"cql verify: main chain to height {report['main_chain']['height']}, "
        f"{report['checkpoints']['recorded']} checkpoints, shard chains verified to heights "
        f"{[m['verified_height'] for m in report['members']]}")
    code, out, _ = c.run_cql("verify", db)
    expect("verify (human)", code == 0 and "OK" in out and "checkpoints:" in out, out)
    skipped = c.cql_json("verify", db, "--skip-main-chain")
    expect("verify --skip-main-chain", skipped["ok"] and skipped["main_chain"]["skipped"], skipped)

    # 6. Alter a stored block of one miner's shard chain on disk.
    victim = next(n for n in m_names if c.nodes[n]["public_key"] != info["leader"])
    victim_key = c.nodes[victim]["public_key"]
    c.kill(victim, signal.SIGTERM)
    chain_file = os.path.join(c.nodes[victim]["data"], f"db-{db}.chain")
    with sqlite3.connect(chain_file) as store:
        head = store.execute("SELECT max(height) FROM shard_block").fetchone()[0]
        expect("the victim's chain", head >= 2, f"head {head}")
        encoded = bytearray(store.execute("SELECT encoded FROM shard_block WHERE height = 1").fetchone()[0])
        encoded[len(encoded) // 2] ^= 0x01
        store.execute("UPDATE shard_block SET encoded = ? WHERE height = 1", (bytes(encoded),))
    log(f"altered one byte of block 1 of {victim}'s shard chain (head {head}) on disk")
    c.start(victim)
    c.wait_until(f"{victim} runs again", lambda: (c.status(victim) or {}).get("state") == "running"
                 and (c.status(victim) or {}).get("pid") == c.processes[victim].pid, 30, everyone)
    code, out, err = c.run_cql("verify", db, "--json")
    report = json.loads(out) if out.strip() else {}
    fault = report.get("fault") or {}
    expect("verify after the tampering", code == 1 and report.get("ok") is False
           and fault.get("member") == victim_key and fault.get("height") == 1
           and fault.get("kind") == "missing_block" and "shard height 1" in err
           and victim_key[:16] in err, f"exit {code}: {err}{out}")
    others = [m for m in report["members"] if m["member"] != victim_key]
    expect("the other members", all(m["ok"] for m in others), report)
    log(f"cql verify names the fault: {err.strip()}")
    other_key = others[0]["member"]
    one = c.cql_json("verify", db, "--member", other_key)
    expect("verify one good member", one["ok"] and [m["member"] for m in one["members"]] == [other_key], one)
    # The other path: the stopped miner's file read directly names what is wrong with the block.
    c.kill(victim, signal.SIGTERM)
    code, out, err = c.run_cql("verify", db, "--member", victim_key, "--chain-file", chain_file, "--json")
    report = json.loads(out) if out.strip() else {}
    fault = report.get("fault") or {}
    expect("verify --chain-file", code == 1 and fault.get("kind") == "shard_block" and fault.get("height") == 1
           and "does not read back" in fault.get("reason", "") and "block at height 1" in fault.get("reason", ""),
           f"exit {code}: {err}{out}")
    log(f"cql verify --chain-file names it: {fault['reason']}")

    # 7. Drop, and errors.
    dropped = c.cql_json("drop", db)
    expect("drop", dropped["dropped"] and dropped["database"] == db, dropped)
    code, _, err = c.run_cql("info", db)
    expect("info after drop", code == 1 and err.startswith("cql: info: ") and "unknown_database" in err, err)
    bad = os.path.join(c.dir, "bad.toml")
    with open(bad, "w") as f:
        f.write(f'gateway = "127.0.0.1:{c.http_port}"\nport = 1\n')
    code, _, err = c.run_cql("balance", "--config", bad, config=False)
    expect("a bad config", code == 2 and "port (line 2): unknown key" in err, err)
    code, _, err = c.run_cql("balance", "--gateway", f"127.0.0.1:{c.spare_port}", config=False)
    expect("no gateway there", code == 1 and "cannot reach the gateway" in err, err)
    log("cql drop; a bad config exits 2, an unreachable gateway 1")

    for name in everyone:
        c.processes[name].send_signal(signal.SIGTERM)
    for name in everyone:
        if c.processes[name].wait(timeout=20) != 0:
            raise Failure(f"{name} did not stop cleanly on SIGTERM:\n" + c.tail(name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    return run_cluster(CqlCluster, args, "covenant-cql-",
                       lambda cluster: scenario(cluster, *cluster.setup_gateway(4, 4)))


if __name__ == "__main__":
    sys.exit(main())
