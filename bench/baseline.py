#!/usr/bin/env python3
"""baseline.py — the ingest and transform work done the way a user would write it by hand.

This is what bench/run compares sluice with: plain Python (json, sqlite3, hashlib), no
third-party modules.  One SQLite database in WAL mode (synchronous=NORMAL) holds two tables of
entities, each row keyed by `_id` with the SHA-256 of the entity's canonical JSON (sorted keys) and a
monotonically increasing `seq` that moves only when the content changes, so that a reader can
continue "since" an offset.  Writes commit every 1,000 entities, and a pipe's offset is stored in
the same transaction as the rows it wrote.

    baseline.py DB ingest FILE.jsonl          # file -> raw (full read, change detection by hash)
    baseline.py DB transform [--pipe NAME]    # raw since the pipe's offset -> out, same detection

Each command prints one JSON object: {"read": n, "written": n, "changed": n}.
Unlike a sluice dataset, a row keeps only its latest version: the baseline does less work.
"""
import argparse
import hashlib
import json
import os
import sqlite3
import sys

COMMIT_EVERY = 1000


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for table in ("raw", "out"):
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, hash TEXT NOT NULL, "
                   f"seq INTEGER NOT NULL, body TEXT NOT NULL)")
        db.execute(f"CREATE INDEX IF NOT EXISTS {table}_seq ON {table} (seq)")
    db.execute("CREATE TABLE IF NOT EXISTS pipes (name TEXT PRIMARY KEY, since INTEGER)")
    return db


class Writer:
    """Upserts entities into one table, appending a new seq only when the hash changed."""

    def __init__(self, db, table):
        self.db = db
        self.seq = db.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}").fetchone()[0]
        self.sql = (f"INSERT INTO {table} (id, hash, seq, body) VALUES (?, ?, ?, ?) "
                    f"ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, seq = excluded.seq, "
                    f"body = excluded.body WHERE hash != excluded.hash")
        self.written = 0
        self.changed = 0
        self.pending = 0
        db.execute("BEGIN")

    def put(self, entity):
        body = json.dumps(entity, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(body.encode()).hexdigest()
        cursor = self.db.execute(self.sql, (entity["_id"], digest, self.seq + 1, body))
        if cursor.rowcount:
            self.seq += 1
            self.changed += 1
        self.written += 1
        self.pending += 1

    def commit_if_due(self, force=False, pipe=None, since=None):
        if self.pending >= COMMIT_EVERY or (force and self.pending):
            if pipe is not None:
                self.db.execute("INSERT OR REPLACE INTO pipes (name, since) VALUES (?, ?)",
                                (pipe, since))
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self.pending = 0

    def close(self):
        self.db.execute("COMMIT")


def ingest(db, path):
    writer = Writer(db, "raw")
    read = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            writer.put(json.loads(line))
            read += 1
            writer.commit_if_due()
    writer.commit_if_due(force=True)
    writer.close()
    return {"read": read, "written": writer.written, "changed": writer.changed}


def standard_transform(e):
    return {"_id": e["_id"], "type": "customer", "name": e["name"].upper(),
            "mail": e.get("email"), "age": e.get("age"),
            "city": (e.get("address") or {}).get("city")}


def transform(db, pipe):
    row = db.execute("SELECT since FROM pipes WHERE name = ?", (pipe,)).fetchone()
    since = row[0] if row else 0
    writer = Writer(db, "out")
    read = 0
    while True:
        # One page per transaction, so that memory stays bounded whatever the table's size.
        rows = db.execute("SELECT seq, body FROM raw WHERE seq > ? ORDER BY seq LIMIT ?",
                          (since, COMMIT_EVERY)).fetchall()
        if not rows:
            break
        for seq, body in rows:
            writer.put(standard_transform(json.loads(body)))
            read += 1
            since = seq
        writer.commit_if_due(force=True, pipe=pipe, since=since)
    writer.close()
    return {"read": read, "written": writer.written, "changed": writer.changed}


def export(db, table):
    """Publishes a table the way a script would: every row, in order, as one JSON array."""
    read = 0
    with open(os.devnull, "w", encoding="utf-8") as out:
        out.write("[")
        for (body,) in db.execute(f"SELECT body FROM {table} ORDER BY seq"):
            out.write(("," if read else "") + json.dumps(json.loads(body), separators=(",", ":")))
            read += 1
        out.write("]")
    return {"read": read, "written": read, "changed": 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("command", choices=["ingest", "transform", "export"])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--pipe", default="transform")
    args = parser.parse_args()
    db = open_db(args.db)
    if args.command == "ingest":
        if not args.file:
            sys.exit("baseline.py: ingest needs the input file")
        result = ingest(db, args.file)
    elif args.command == "export":
        result = export(db, "raw")
    else:
        result = transform(db, args.pipe)
    db.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
