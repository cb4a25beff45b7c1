#!/usr/bin/env python3
"""Turns a PostgreSQL csvlog captured with log_statement=all during a
projector run into one psql script per projection, replaying the statements
the projector sent, with the same parameters, in the same order: each batch's
read of the log, and its transaction (read-table writes + checkpoint
compare-and-set). Parameters are inlined as literals.

A transaction belongs to the projection its checkpoint compare-and-set names; a log
read belongs to the projection whose checkpoint it read from.

usage: replay_from_csvlog.py LOG.csv OUTDIR --database NAME [--offset BYTES] [--skip-app NAME]
Writes OUTDIR/<projection>.sql. --offset starts reading at a byte offset of
the log (where a capture began; it must be the start of a record).
"""
import csv
import io
import os
import re
import sys

csv.field_size_limit(sys.maxsize)
log_path, out_dir = sys.argv[1], sys.argv[2]
database = sys.argv[sys.argv.index("--database") + 1] if "--database" in sys.argv else None
skip_apps = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--skip-app"]
offset = int(sys.argv[sys.argv.index("--offset") + 1]) if "--offset" in sys.argv else 0

# csvlog columns (PostgreSQL 15): 0 time, 1 user, 2 database, 3 pid, ...,
# 11 error severity, 12 sqlstate, 13 message, 14 detail, ..., 22 application_name
EXECUTE = re.compile(r"^execute (?P<name>[^:]+): (?P<sql>.*)$", re.S)
STATEMENT = re.compile(r"^statement: (?P<sql>.*)$", re.S)
PARAMETERS = re.compile(r"^parameters: (?P<list>.*)$", re.S | re.I)
ONE_PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.S)

def literal_parameters(detail):
    if not detail:
        return {}
    match = PARAMETERS.match(detail)
    if not match:
        return {}
    return {int(n): value for n, value in ONE_PARAMETER.findall(match.group("list"))}

def inline(sql, params):
    # Replace $n from the highest number down so $1 does not eat $10.
    for n in sorted(params, reverse=True):
        sql = re.sub(r"\$%d(?!\d)" % n, params[n].replace("\\", "\\\\"), sql)
    return sql

current = {}       # pid -> statements of the open transaction
reads = {}         # (xid, pos) -> [read statements not yet assigned]
scripts = {}       # projection -> statements
# The checkpoint's compare-and-set (migration 0004); params: name, old xid,
# old position, new xid, new position.
CHECKPOINT = re.compile(r"SELECT chronicle_advance_checkpoint\(", re.S)
# The batch read (EventLog.read), not the lag query, which also filters on
# the position but has no watermark.
READ = re.compile(r"FROM events\s+WHERE \(transaction_id, global_position\) >.*pg_snapshot_xmin", re.S)

with open(log_path, "rb") as raw:
    raw.seek(offset)
    handle = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
    for row in csv.reader(handle):
        if len(row) < 23 or row[11] != "LOG" or (database and row[2] != database) or row[22] in skip_apps:
            continue
        pid, message, detail = row[3], row[13], row[14]
        match = EXECUTE.match(message) or STATEMENT.match(message)
        if not match:
            continue
        sql = match.group("sql").strip().rstrip(";")
        params = literal_parameters(detail)
        text = inline(sql, params) + ";"
        upper = sql.upper()
        if upper == "BEGIN" or upper.startswith("BEGIN "):
            current[pid] = [text]
        elif pid in current:
            current[pid].append(text)
            if CHECKPOINT.search(sql):
                name = params[1].strip("'")
                old = (params[2].strip("'"), params[3].strip("'"))
                current[pid].append("__CHECKPOINT__ %s %s %s" % (name, old[0], old[1]))
            if upper in ("COMMIT", "ROLLBACK"):
                statements = current.pop(pid)
                marker = next((s for s in statements if s.startswith("__CHECKPOINT__")), None)
                if marker is None:
                    continue
                _, name, xid, pos = marker.split()
                pending = reads.get((xid, pos), [])
                if pending:
                    scripts.setdefault(name, []).append(pending.pop(0))
                scripts.setdefault(name, []).extend(s for s in statements if not s.startswith("__CHECKPOINT__"))
        elif CHECKPOINT.search(sql):
            # A batch with nothing for its projection to write moves the
            # checkpoint by the compare-and-set alone, in a transaction of
            # its own (ProjectionRunner.commit).
            name = params[1].strip("'")
            pending = reads.get((params[2].strip("'"), params[3].strip("'")), [])
            if pending:
                scripts.setdefault(name, []).append(pending.pop(0))
            scripts.setdefault(name, []).append(text)
        elif READ.search(sql):
            reads.setdefault((params[1].strip("'"), params[2].strip("'")), []).append(text)

os.makedirs(out_dir, exist_ok=True)
for name, lines in scripts.items():
    with open(os.path.join(out_dir, name + ".sql"), "w") as out:
        out.write("\\set ON_ERROR_STOP on\n" + "\n".join(lines) + "\n")
print("; ".join("%s: %d statements" % (n, len(l)) for n, l in sorted(scripts.items())))
