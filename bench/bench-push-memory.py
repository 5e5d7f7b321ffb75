#!/usr/bin/env python3
"""bench/bench-push-memory.py — the memory of large pushes to a receiver (docs/http-endpoints.md).

    bench/bench-push-memory.py [--build DIR | --sluiced PATH --plugin-dir DIR] [-n ENTITIES]
                               [--concurrent N] [--budget BYTES] [--shared-dataset]

Starts `sluiced --http` with a receiver pipe (`http_endpoint` source, dataset sink), makes one
body of ENTITIES standard entities (bench/gen_entities.py, seed 42, one JSON array; 275,000 are
about 60 MB), and pushes it once, then N times at the same time (each a different dataset of ids,
so every push writes).  For each phase it prints one JSON line: the body size, the push wall time,
the daemon's RssAnon before, its peak (VmHWM is total RSS, so the peak of RssAnon is sampled every
5 ms from /proc) and after the push, and the statuses the pushes got (a push answered 503 is sent
again after its Retry-After, as a client would).  A benchmark: it asserts nothing.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "bench-push-token-0123456789"


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, status_kib(self.pid, "RssAnon"))
            except OSError:
                return
            time.sleep(0.005)


def make_body(n):
    lines = subprocess.run([sys.executable, os.path.join(HERE, "gen_entities.py"), str(n)],
                           check=True, capture_output=True, text=True).stdout.splitlines()
    return ("[" + ",".join(lines) + "]").encode()


def push(port, body, prefix, results, index):
    """POSTs body (its ids prefixed with prefix) until it is not refused with 503."""
    if prefix:
        body = body.replace(b'"_id":"', b'"_id":"' + prefix.encode())
    statuses = []
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.request("POST", "/api/receivers/in/entities", body=body,
                     headers={"Authorization": f"Bearer {TOKEN}",
                              "Content-Type": "application/json"})
        resp = conn.getresponse()
        text = resp.read()
        statuses.append(resp.status)
        retry = resp.getheader("Retry-After")
        conn.close()
        if resp.status == 503 and retry is not None:
            time.sleep(float(retry))
            continue
        if resp.status != 200:
            print(f"push {index}: {resp.status} {text[:200]!r}", file=sys.stderr)
        results[index] = statuses
        return


def phase(pid, port, body, n_pushes, name):
    before = status_kib(pid, "RssAnon")
    sampler = Sampler(pid)
    sampler.start()
    results = [None] * n_pushes
    start = time.monotonic()
    threads = [threading.Thread(target=push, args=(port, body, f"{name}-{i}-" if n_pushes > 1 or
                                                   name != "one" else "", results, i))
               for i in range(n_pushes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    sampler.running = False
    sampler.join()
    after = status_kib(pid, "RssAnon")
    print(json.dumps({"workload": f"push-memory-{name}", "pushes": n_pushes,
                      "body_mb": round(len(body) / 1e6, 1), "wall_s": round(wall, 2),
                      "mb_per_s": round(n_pushes * len(body) / 1e6 / wall, 1),
                      "anon_before_mib": round(before / 1024, 1),
                      "anon_peak_mib": round(max(sampler.peak, after) / 1024, 1),
                      "anon_after_mib": round(after / 1024, 1),
                      "vm_hwm_mib": round(status_kib(pid, "VmHWM") / 1024, 1),
                      "statuses": results}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--sluiced", help="default: BUILD/core/sluiced")
    p.add_argument("--plugin-dir", help="default: BUILD/plugins")
    p.add_argument("-n", type=int, default=275000)
    p.add_argument("--concurrent", type=int, default=4)
    p.add_argument("--budget", type=int, default=0, help="sluiced --http-push-budget (0: default)")
    p.add_argument("--shared-dataset", action="store_true",
                   help="another pipe writes the receiver's dataset too: no held parts")
    args = p.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-push-memory-")
    try:
        config = [
            {"_id": "node", "type": "metadata",
             "api_tokens": [{"name": "bench", "token": TOKEN, "access": "admin"}]},
            {"_id": "in", "type": "pipe", "source": {"type": "http_endpoint"},
             "sink": {"type": "dataset", "dataset": "in"}},
        ]
        if args.shared_dataset:
            config.append({"_id": "other", "type": "pipe", "pump": {"mode": "manual"},
                           "source": {"type": "embedded", "entities": [{"_id": "x"}]},
                           "sink": {"type": "dataset", "dataset": "in"}})
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f)
        argv = [args.sluiced or os.path.join(args.build, "core", "sluiced"), "--plugin-dir",
                args.plugin_dir or os.path.join(args.build, "plugins"),
                "--data", os.path.join(tmp, "data"),
                "--config", os.path.join(tmp, "config.json"), "--http", "127.0.0.1:0"]
        if args.budget:
            argv += ["--http-push-budget", str(args.budget)]
        log = open(os.path.join(tmp, "log"), "w+")
        daemon = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                  env=dict(os.environ, HOME=tmp))
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            log.seek(0)
            m = re.search(r"\(port (\d+)\)", log.read())
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.05)
        if port is None:
            sys.exit("bench-push-memory: sluiced did not start listening")
        body = make_body(args.n)
        phase(daemon.pid, port, body, 1, "one")
        phase(daemon.pid, port, body, args.concurrent, "concurrent")
        daemon.terminate()
        daemon.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
