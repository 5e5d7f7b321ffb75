#!/usr/bin/env python3
"""Sums meson's testlog.json files into one line: 'N passed, N failed[, N skipped]'.

A missing log (the build failed before any test ran) counts as one failure, so a broken build can
never look green."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        with open(path) as log:
            results = [json.loads(line)["result"] for line in log if line.strip()]
    except OSError:
        print(f"test-summary: no test log at {path}: the build or the test run did not complete")
        failed += 1
        continue
    for result in results:
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
