#!/usr/bin/env python3
"""bench-json-source.py — sluiced pulling entities from the demo CRM through the json source.

The end-to-end figure of issue 6: `sluiced --once` runs one pipe (a system:url pointing at
sluice-demo-crm, a json source reading /persons, and a dataset or null sink) and this script
reports entities per second and the peak resident memory of sluiced (from wait4's rusage, so the
demo server's own memory does not count).  bench-http-json-source measures the source alone,
without the engine and the store.

    bench/bench-json-source.py --sluiced build/core/sluiced --plugin-dir build/plugins \\
        --demo build/demo/crm/sluice-demo-crm [-n 200000] [--sink dataset|null|both] [--page-size N]

Or `ninja -C build bench-json-source`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def start_demo(demo, n):
    proc = subprocess.Popen([demo, "--port=0", "--quiet", f"--generate={n}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()  # blocks until it listens, or EOF if it died
    prefix = "listening on "
    if not line.startswith(prefix):
        proc.kill()
        sys.exit(f"bench-json-source: {demo} did not start (first line: {line!r})")
    return proc, line[len(prefix):]


def run_pipe(args, base_url, sink, workdir):
    sink_config = {"type": "null"} if sink == "null" else {"type": "dataset", "dataset": "crm-person"}
    source = {"type": "json", "system": "crm", "url": "persons",
              "supports_since": True, "is_chronological": True}
    if args.page_size:
        source["page_size"] = args.page_size
    config = [
        {"_id": "crm", "type": "system:url", "url_pattern": base_url + "/%s"},
        {"_id": "crm-person", "type": "pipe", "source": source, "sink": sink_config,
         "batch_size": args.batch_size},
    ]
    config_path = os.path.join(workdir, f"bench-{sink}.json")
    with open(config_path, "w") as f:
        json.dump(config, f)

    log_path = os.path.join(workdir, f"sluiced-{sink}.log")
    with open(log_path, "w") as log:
        start = time.monotonic()
        proc = subprocess.Popen([args.sluiced, "--plugin-dir", args.plugin_dir,
                                 "--config", config_path,
                                 "--data", os.path.join(workdir, f"data-{sink}"), "--once"],
                                stdout=log, stderr=subprocess.STDOUT)
        # wait4 gives this child's own rusage: the demo server's memory does not count.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(log_path) as log:
            sys.exit(f"bench-json-source: sluiced failed (status {proc.returncode}):\n{log.read()}")
    return elapsed, usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sluiced", required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--demo", required=True)
    parser.add_argument("-n", type=int, default=200000)
    parser.add_argument("--sink", choices=["dataset", "null", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=0)
    args = parser.parse_args()

    demo, base_url = start_demo(args.demo, args.n)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-json-source-") as workdir:
            sinks = ["null", "dataset"] if args.sink == "both" else [args.sink]
            print(f"json source <- sluice-demo-crm /persons, {args.n} entities, "
                  f"batch_size {args.batch_size}" +
                  (f", page_size {args.page_size}" if args.page_size else ""))
            for sink in sinks:
                elapsed, peak_mib = run_pipe(args, base_url, sink, workdir)
                print(f"  sink {sink:8s} {elapsed:6.2f} s  {args.n / elapsed:9.0f} entities/s  "
                      f"peak RSS of sluiced {peak_mib:6.1f} MiB")
    finally:
        demo.terminate()
        demo.wait()


if __name__ == "__main__":
    main()
