"""A Covenant network of covenant-node processes on this machine (127.0.0.1 only).

Shared by the cluster tests (tests/cluster/*.py) and the devnet (tools/devnet), so that both
run networks made the same way:

  - identities: a key per node from `cql generate` and its node-id nonce from `cql idminer`;
  - a genesis: the producers with their nonces, allocations (a funded gateway, funded miners
    that register themselves through [miner.registration]);
  - a TOML config per node (docs/node.md), relative paths, free loopback ports;
  - processes: started, watched through their status.json, stopped, their logs tailed;
  - the gateway's HTTP API (docs/node.md) through urllib, without curl.

Everything lives in one flat directory: NAME.key, NAME.toml, NAME/ (the data directory with
status.json), NAME.log, NAME.stderr, genesis.json and the passphrase file.
"""

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

TEST_PASSPHRASE = "cluster test passphrase"
NODE_ID_DIFFICULTY = 8


class Failure(Exception):
    """A check or a step that failed; its message says what and why."""


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def die_with_parent():
    """In a child before exec: SIGKILL it when its parent dies, however it dies."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


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


def address_of(public_key_hex):
    """An account address: SHA-256 of the public key (docs/keys.md)."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()


def pid_alive(pid):
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def rss_kib(pid):
    """Resident memory of a process in KiB (VmRSS), None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ---- settings ----------------------------------------------------------------------------
# A profile is a dict of TOML tables ("" holds the top-level keys): what every node of one
# kind of network gets. Each role's config has only its own tables.

def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string for what we write
    raise TypeError(f"no TOML form for {value!r}")


def toml_tables(tables):
    """TOML text of {"table": {key: value}}; the "" table's keys are top-level."""
    out = []
    for key, value in tables.get("", {}).items():
        out.append(f"{key} = {toml_value(value)}")
    for name, keys in tables.items():
        if name == "":
            continue
        out.append(f"\n[{name}]")
        for key, value in keys.items():
            out.append(f"{key} = {toml_value(value)}")
    return "\n".join(out) + "\n"


# What the cluster tests use: quick blocks and retries for a network that does nothing else.
TEST_PROFILE = {
    "": {"status_interval_ms": 100},
    "log": {"level": "debug"},
    "network": {"reconnect_min_ms": 100, "reconnect_max_ms": 1000},
    "producer": {"block_interval_ms": 200, "propose_timeout_ms": 1500, "prevote_timeout_ms": 800,
                 "precommit_timeout_ms": 800, "timeout_step_ms": 300, "resend_interval_ms": 600,
                 "fetch_timeout_ms": 800, "catch_up_delay_ms": 300},
    "miner": {"follow_interval_ms": 150, "resend_interval_ms": 500, "progress_timeout_ms": 8000},
    "miner.registration": {"deposit": 10000, "capacity": 2},
    "client": {"request_timeout_ms": 20000, "request_resend_ms": 500,
               "transaction_timeout_ms": 20000, "follow_interval_ms": 150,
               "resend_interval_ms": 500},
}

ROLE_TABLES = {
    "producer": ("", "log", "network", "producer"),
    "miner": ("", "log", "network", "miner", "miner.registration"),
    "client": ("", "log", "network", "client"),
}


def profile_with(profile, changes):
    """A copy of `profile` with the keys of `changes` ({"table": {key: value}}) replaced."""
    out = {name: dict(keys) for name, keys in profile.items()}
    for name, keys in changes.items():
        out.setdefault(name, {}).update(keys)
    return out


def log_and_network_settings(name):
    """The [log] and [network] tables of the test profile, the log in NAME.log."""
    tables = {"log": dict(TEST_PROFILE["log"], file=f"{name}.log"),
              "network": TEST_PROFILE["network"]}
    return "\n" + toml_tables(tables)


def role_settings():
    """[producer] and [miner] timing of the test profile (each role reads its own)."""
    return "\n" + toml_tables({"producer": TEST_PROFILE["producer"],
                               "miner": {"follow_interval_ms": TEST_PROFILE["miner"]["follow_interval_ms"]}})


# ---- the network -------------------------------------------------------------------------

class LocalNetwork:
    """Nodes of one network in one directory: identities, genesis, configs, processes.

    Processes started here die with the Python process that started them (the tests);
    tools/devnet starts its nodes in sessions of their own.
    """

    def __init__(self, node_bin, cql_bin, directory, deadline=None, passphrase=TEST_PASSPHRASE,
                 cheap_keys=True):
        self.node_bin = node_bin
        self.cql_bin = cql_bin
        self.dir = directory
        self.deadline = deadline if deadline is not None else float("inf")
        self.cheap_keys = cheap_keys  # Argon2id at its lowest cost: quick, for tests only
        self.processes = {}  # name -> Popen
        self.nodes = {}  # name -> dict (see add_node)
        self.history = {}  # name -> {height: head hash}
        self.passphrase_file = os.path.join(directory, "passphrase")
        if not os.path.exists(self.passphrase_file):
            fd = os.open(self.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(passphrase + "\n")

    # ---- identities, genesis, configs ----------------------------------------------------
    def cql(self, *args):
        out = subprocess.run([self.cql_bin, *args], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise Failure(f"cql {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
        return json.loads(out.stdout)

    def make_identity(self, name, difficulty=NODE_ID_DIFFICULTY):
        """NAME.key from `cql generate`, its node id from `cql idminer`."""
        key = os.path.join(self.dir, f"{name}.key")
        kdf = ["--kdf-memory-kib", "64", "--kdf-iterations", "1"] if self.cheap_keys else []
        generated = self.cql("generate", "--out", key, "--passphrase-file", self.passphrase_file,
                             *kdf, "--json")
        mined = self.cql("idminer", "--key", key, "--passphrase-file", self.passphrase_file,
                         "--difficulty", str(difficulty), "--json")
        return {"key": key, "public_key": generated["public_key"], "nonce": mined["nonce"],
                "node_id": mined["node_id"], "address": generated["address"]}

    def add_node(self, name, role, port, http_port=None):
        """A node with a fresh identity; its files are named after it."""
        node = self.make_identity(name)
        node.update({"name": name, "role": role, "port": port,
                     "data": os.path.join(self.dir, name),
                     "config": os.path.join(self.dir, f"{name}.toml"),
                     "log": os.path.join(self.dir, f"{name}.log")})
        if http_port is not None:
            node["http_port"] = http_port
        self.nodes[name] = node
        return node

    def write_genesis(self, network, parameters, allocations):
        """genesis.json: the producers among the nodes, `allocations` as {name: amount}."""
        genesis = {
            "network": network,
            "parameters": dict({"node_id_difficulty": NODE_ID_DIFFICULTY}, **parameters),
            "producers": [{"key": n["public_key"], "node_id_nonce": n["nonce"]}
                          for n in self.nodes.values() if n["role"] == "producer"],
            "allocations": [{"address": address_of(self.nodes[name]["public_key"]), "amount": amount}
                            for name, amount in allocations.items()],
        }
        with open(os.path.join(self.dir, "genesis.json"), "w") as f:
            json.dump(genesis, f, indent=2)

    def peers_text(self, names):
        """[[peers]] tables: producers by key (the genesis has their nonces), others by node id."""
        text = ""
        for n in names:
            node = self.nodes[n]
            if node["role"] == "producer":
                text += f'\n[[peers]]\nkey = "{node["public_key"]}"\naddress = "127.0.0.1:{node["port"]}"\n'
            else:
                text += f'\n[[peers]]\nnode_id = "{node["node_id"]}"\naddress = "127.0.0.1:{node["port"]}"\n'
        return text

    def write_config(self, name, profile, peers, listen=True):
        """NAME.toml from the profile's tables for the node's role, with its peers."""
        node = self.nodes[name]
        tables = {t: dict(profile.get(t, {})) for t in ROLE_TABLES[node["role"]] if t in profile}
        tables.setdefault("log", {})["file"] = f"{name}.log"
        if node["role"] == "client":
            tables.setdefault("client", {})["http_listen"] = f"127.0.0.1:{node['http_port']}"
        head = f'''# {name}
role = "{node["role"]}"
key_file = "{name}.key"
passphrase_file = "{os.path.basename(self.passphrase_file)}"
data_dir = "{name}"
genesis = "genesis.json"
node_id_nonce = {node["nonce"]}
'''
        if listen:
            head += f'listen = "127.0.0.1:{node["port"]}"\n'
        with open(node["config"], "w") as f:
            f.write(head + toml_tables(tables) + self.peers_text(peers))

    def plan_gateway_network(self, network, producers, miners, clients, profile,
                             client_funds=1000000, miner_funds=100000, parameters=None,
                             clients_listen=False):
        """Producers, miners that register themselves and client gateways, on free ports.

        Peers: producers list each other, miners list the producers and each other, a
        gateway lists the producers only (it reaches members at the endpoints they
        registered; answers to nodes that connect in take learned routes). Every miner and
        gateway is funded at genesis. `clients` are names ("client", "client2", ...).
        Returns (producer names, miner names).
        """
        p_names = [f"producer{i}" for i in range(producers)]
        m_names = [f"miner{i}" for i in range(miners)]
        ports = free_ports(len(p_names) + len(m_names) + 2 * len(clients) + 1)
        self.spare_port = ports.pop()
        for name in p_names:
            self.add_node(name, "producer", ports.pop(0))
        for name in m_names:
            self.add_node(name, "miner", ports.pop(0))
        for name in clients:
            self.add_node(name, "client", ports.pop(0), http_port=ports.pop(0))
        allocations = {n: miner_funds for n in m_names}
        allocations.update({n: client_funds for n in clients})
        self.write_genesis(network, dict({"minimum_miner_deposit": 1000}, **(parameters or {})),
                           allocations)
        for name in p_names:
            self.write_config(name, profile, p_names)
        for name in m_names:
            self.write_config(name, profile, p_names + m_names)
        for name in clients:
            self.write_config(name, profile, p_names, listen=clients_listen)
        return p_names, m_names

    # ---- processes -----------------------------------------------------------------------
    def start(self, name, *extra):
        node = self.nodes[name]
        err = open(os.path.join(self.dir, f"{name}.stderr"), "a")
        try:
            process = subprocess.Popen([self.node_bin, "--config", node["config"], *extra],
                                       stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                       preexec_fn=die_with_parent)
        finally:
            err.close()
        self.processes[name] = process
        return process

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

    def terminate_all(self, names=None, timeout=20):
        """SIGTERM to each running node, then every one must exit 0 within `timeout` s."""
        names = list(self.processes) if names is None else names
        for name in names:
            if self.processes[name].poll() is None:
                self.processes[name].send_signal(signal.SIGTERM)
        for name in names:
            try:
                code = self.processes[name].wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise Failure(f"{name} did not stop within {timeout} s of SIGTERM")
            if code != 0:
                raise Failure(f"{name} exited with {code} on SIGTERM:\n" + self.tail(name))

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

    def log_tails(self, lines=12):
        return "\n".join(self.tail(name, lines) for name in self.nodes)

    def log_paths(self):
        return "\n".join(f"  {name}: {node['log']}" for name, node in self.nodes.items())

    # ---- status --------------------------------------------------------------------------
    def status(self, name):
        path = os.path.join(self.nodes[name]["data"], "status.json")
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def running_again(self, name):
        """Its status.json was written by the process now running under its name."""
        s = self.status(name) or {}
        return s.get("pid") == self.processes[name].pid and s.get("state") == "running"

    def height(self, name):
        """Final height (producer) or chain height (miner, client), recording its head hash."""
        s = self.status(name)
        if s is None or s.get("state") != "running":
            return -1
        if s.get("producer"):
            height, head = s["producer"]["final_height"], s["producer"]["head_hash"]
        elif s.get("miner"):
            height, head = s["miner"]["chain_height"], s["miner"]["chain_head"]
        elif s.get("client"):
            height, head = s["client"]["chain_height"], s["client"]["chain_head"]
        else:
            return -1
        seen = self.history.setdefault(name, {})
        if height in seen and seen[height] != head:
            raise Failure(f"{name} reported two heads at height {height}: {seen[height]} and {head}")
        seen[height] = head
        return height

    def replica(self, name, database):
        """The miner's status.json entry for a database it serves (replica fields included)."""
        s = self.status(name) or {}
        if s.get("state") != "running" or not s.get("miner"):
            return None
        for d in s["miner"]["databases"]:
            if d["id"] == database:
                return d
        return None

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

    # ---- the gateway's HTTP API ----------------------------------------------------------
    def http(self, method, path, body=None, raw=None, timeout=40, client="client"):
        """(status, JSON answer) of one call to a gateway; connection errors raise URLError."""
        port = self.nodes[client]["http_port"]
        return http_call(f"127.0.0.1:{port}", method, path, body, raw, timeout)

    def expect(self, what, status, answer, code=None, status_wanted=200):
        if status != status_wanted or (code is not None and answer.get("code") != code):
            raise Failure(f"{what}: expected {status_wanted} {code or ''}, got {status}: {answer}")
        return answer

    def create_database(self, miners, client="client", alive=(), timeout=60, advance_payment=50000,
                        mode="strong"):
        """POST /v1/databases, again while the ledger says no_miners (miners still registering)."""
        limit = min(time.monotonic() + timeout, self.deadline)
        while True:
            self.check_alive(alive)
            status, answer = self.http("POST", "/v1/databases", {"miners": miners, "mode": mode,
                                                                 "advance_payment": advance_payment},
                                       client=client)
            if status == 200:
                return answer
            if status == 422 and answer.get("code") == "no_miners" and time.monotonic() < limit:
                time.sleep(0.3)
                continue
            raise Failure(f"create database: {status} {answer}\n" + self.tail(client))


def http_call(address, method, path, body=None, raw=None, timeout=40):
    """(status, JSON answer) of one HTTP/JSON call to the gateway at HOST:PORT."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(f"http://{address}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {"error": text.decode(errors="replace"), "code": "not_json"}


def run_cluster(cluster_class, args, prefix, body):
    """Runs body(cluster) in a fresh temporary directory within args.timeout seconds (the
    cluster tests' runner). Every process is killed and the directory removed afterwards,
    also on failure (kept with args.keep); on failure the node logs' paths are printed
    with the failure. The exit status."""
    import shutil
    import tempfile
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
    except (Failure, subprocess.TimeoutExpired, OSError) as e:
        log(f"FAILED: {e}")
        if cluster.nodes:
            log("the end of every node's log:\n" + cluster.log_tails())
            log("node logs (" + ("kept" if args.keep else "removed with the directory; --keep keeps them") +
                "):\n" + cluster.log_paths())
    finally:
        cluster.stop_all()
        cleanup = getattr(cluster, "cleanup", None)
        if cleanup:
            cleanup()
        if args.keep:
            log(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    log(f"{'passed' if ok else 'failed'} in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1
