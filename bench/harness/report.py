"""The results table and the results file."""
import os
import platform
import subprocess

from .util import run


def number(value, digits=0):
    return "{:,.{}f}".format(value, digits)


def ms(value):
    return "%.2f" % value if value < 100 else "%.0f" % value


def load_cell(result, unit="/s"):
    cell = "%s%s · p50 %s · p99 %s ms" % (number(result["rate"]), unit, ms(result["p50_ms"]), ms(result["p99_ms"]))
    if result.get("errors"):
        cell += " · **%d errors**" % result["errors"]
    return cell


def micros(value):
    return "—" if value is None else number(value)


def ratio(chronicle, raw):
    return "%.2f×" % (chronicle / raw) if raw else "—"


def verdict(ok, text):
    return "%s: %s" % (text, "met" if ok else "**missed**")


HEADER = ("figure", "Chronicle", "raw limit", "ratio", "target")

# CPU time (user + system) per request served in each load step.
CPU_HEADER = ("step", "service µs/request", "projector µs/event", "PostgreSQL µs/request (HTTP side)",
              "PostgreSQL µs/request (raw side)", "wrk µs/request", "pgbench µs/request", "target")


def table(rows, header=HEADER):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def read_first(path, prefix):
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine_facts():
    with open("/proc/loadavg") as handle:
        load = " ".join(handle.read().split()[:3])
    return {"cores": os.cpu_count(), "cpu": read_first("/proc/cpuinfo", "model name"),
            "memory": read_first("/proc/meminfo", "MemTotal"), "load": load,
            "kernel": platform.release(), "python": platform.python_version()}


def git_facts(repo):
    def git(*args):
        done = subprocess.run(["git"] + list(args), cwd=repo, capture_output=True, text=True)
        return done.stdout.rstrip() if done.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": commit, "full_commit": git("rev-parse", "HEAD"), "dirty": dirty}


def tool_versions():
    versions = {}
    for name, argv in (("wrk", ["wrk", "-v"]), ("pgbench", ["pgbench", "--version"]), ("psql", ["psql", "--version"])):
        out, err = run(argv, check=False, timeout=10)
        versions[name] = ((out or err).strip().splitlines() or ["?"])[0]
    return versions
