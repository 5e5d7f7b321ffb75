#!/usr/bin/env python3
"""The standard transform (bench/README) as a hand-written Python function, timed like
bench-dtl: the input is parsed first, then only the transform is timed.

    bench_dtl_baseline.py ENTITIES.jsonl [ROUNDS]
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
        start = time.perf_counter()
        for e in entities:
            checksum += len(transform(e))
        rate = len(entities) / (time.perf_counter() - start)
        best = max(best, rate)
    print(f"python: {len(entities)} entities, best of {rounds} rounds: {best:.0f} entities/s (checksum {checksum})")


if __name__ == "__main__":
    main()
