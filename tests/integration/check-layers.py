#!/usr/bin/env python3
"""check-layers.py — the include rules of core/README.md, checked on the sources.

Reads the table of core/README.md (folder, what it holds, which folders it may include) and checks
every #include "…" of every file under core/: a header of another folder of core/ must belong to a
folder the including file's folder may use, and it is named by its file name alone (the build's
include directories decide where it comes from).  The table itself must have no cycle.

    check-layers.py SOURCE-ROOT            check the tree; exit 1 with the offending lines
    check-layers.py --self-test SOURCE-ROOT also check that a wrong-way include in a copy of the
                                           tree is caught (so that the check cannot pass vacuously)
"""
import os
import re
import shutil
import sys
import tempfile

ROW = re.compile(r"^\|\s*`([a-z-]+)/`\s*\|[^|]*\|([^|]*)\|\s*$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_rules(root):
    rules = {}
    with open(os.path.join(root, "core", "README.md"), encoding="utf-8") as readme:
        for line in readme:
            match = ROW.match(line)
            if match:
                rules[match.group(1)] = set(re.findall(r"`([a-z-]+)/`", match.group(2)))
    return rules


def folder_of(root, path):
    """The top folder under core/ that holds @path ("store" for core/store/lmdb/x.c); "" for core/."""
    parts = os.path.relpath(path, os.path.join(root, "core")).split(os.sep)
    return parts[0] if len(parts) > 1 else ""


def check(root):
    problems = []
    rules = read_rules(root)
    if not rules:
        return ["core/README.md: no table of folders found"]
    core = os.path.join(root, "core")
    headers = {}
    sources = []
    for directory, _, names in os.walk(core):
        for name in names:
            if name.endswith((".c", ".h")):
                path = os.path.join(directory, name)
                sources.append(path)
                if name.endswith(".h"):
                    headers[name] = folder_of(root, path)
    for folder in sorted({folder_of(root, p) for p in sources} - {""}):
        if folder not in rules:
            problems.append("core/%s/: not in the table of core/README.md" % folder)
    # The table must be a hierarchy: no folder may reach itself.
    for start in rules:
        seen, todo = set(), list(rules[start])
        while todo:
            folder = todo.pop()
            if folder == start:
                problems.append("core/README.md: %s/ may include itself through a cycle" % start)
                break
            if folder not in seen:
                seen.add(folder)
                todo.extend(rules.get(folder, ()))
    count = 0
    for path in sorted(sources):
        folder = folder_of(root, path)
        with open(path, encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                count += 1
                name = match.group(1)
                where = "%s:%d" % (os.path.relpath(path, root), number)
                base = os.path.basename(name)
                if base in headers and name != base:
                    problems.append('%s: include "%s" by its file name alone ("%s")'
                                    % (where, name, base))
                target = headers.get(base)
                if target is None or target == folder or folder == "":
                    continue
                if target not in rules.get(folder, set()):
                    problems.append("%s: %s/ includes %s of %s/, which core/README.md does not "
                                    "allow it to use" % (where, folder, base, target))
    if not problems:
        print("ok: %d files, %d includes, %d folders" % (len(sources), count, len(rules)))
    return problems


# Wrong-way includes planted by the self-test: the file, the header, the problem expected.
PLANTED = [
    (("run", "sluice-since.c"), "sluice-pipe.h", "run/ includes sluice-pipe.h of engine/"),
    # An adapter reaching around the control API.
    (("http-api", "sluice-http-pipes.c"), "sluice-engine.h",
     "http-api/ includes sluice-engine.h of engine/"),
]


def self_test(root):
    """A copy of core/ with a wrong-way include must fail the check, for each one planted."""
    problems = []
    for (folder, name), header, expected in PLANTED:
        with tempfile.TemporaryDirectory() as copy:
            shutil.copytree(os.path.join(root, "core"), os.path.join(copy, "core"))
            victim = os.path.join(copy, "core", folder, name)
            with open(victim, "a", encoding="utf-8") as source:
                source.write('#include "%s"\n' % header)
            if not any(expected in p for p in check(copy)):
                problems.append("self-test: a wrong-way include (%s/ -> %s) was not caught"
                                % (folder, header))
    return problems


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = args[0]
    problems = check(root)
    if "--self-test" in argv:
        problems += self_test(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
