#!/usr/bin/env python3
"""The standard transform (bench/README) as a hand-written Python function, timed like
bench-dtl: the input is parsed first, then only the transform is timed (thread CPU time, best
of ROUNDS).

    bench_dtl_baseline.py ENTITIES.jsonl [ROUNDS [SAMPLE.jsonl]]

With SAMPLE.jsonl, the outputs of every Nth entity (about 1,000) are written there as compact
JSON, for bench/run-dtl-bench.sh to compare with bench-dtl's.
"""
import json
import sys
import time


def transform(e):
    return {"_id": e["_id"], "type": "customer", "name": e["name"].upper(),
            "mail": e["email"], "age": e["age"], "city": e["address"]["city"]}


def main():
    with open(sys.argv[1]) as f:
        entities = [json.loads(line) for line in f if line.strip()]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = 0.0
    checksum = 0
    for _ in range(rounds):
        start = time.thread_time()
        for e in entities:
            checksum += len(transform(e))
        rate = len(entities) / (time.thread_time() - start)
        best = max(best, rate)
    print(f"python: {len(entities)} entities, best of {rounds} rounds: {best:.0f} entities/s (checksum {checksum})")
    if len(sys.argv) > 3:
        step = max(1, len(entities) // 1000)
        with open(sys.argv[3], "w") as out:
            for e in entities[::step]:
                out.write(json.dumps(transform(e), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
