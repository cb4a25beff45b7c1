"""CPU time spent by the processes of a step, from /proc/<pid>/stat.

Throughput on a shared 2-core machine moves with whatever else runs; the CPU
a process spends per request does much less, so it is the figure that shows
what a change to the services bought. Times are user + system, summed over
all the threads of a process (the kernel reports them so in the process's
own stat line).

PostgreSQL is measured as a whole: the postmaster, every live child, and the
children that exited meanwhile (their time moves into the postmaster's
cutime/cstime when it reaps them), so backends that a step opens and closes
(pgbench's) are counted too.
"""
import os
import resource

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (which may hold
    spaces or parentheses): index 0 is field 3 (state) of proc(5)."""
    with open("/proc/%d/stat" % pid) as handle:
        text = handle.read()
    return text[text.rindex(")") + 2:].split()


def process_seconds(pid):
    """utime + stime of a live process, in seconds (None when it is gone)."""
    try:
        fields = _stat_fields(pid)
    except (OSError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def postmaster_pid(data_directory):
    with open(os.path.join(data_directory, "postmaster.pid")) as handle:
        return int(handle.readline())


def cluster_seconds(postmaster):
    """The CPU the whole cluster has used: the postmaster's own and its reaped
    children's time, plus every live child's."""
    fields = _stat_fields(postmaster)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            child = _stat_fields(int(entry))
        except (OSError, ValueError):
            continue
        if int(child[1]) == postmaster:
            total += int(child[11]) + int(child[12])
    return total / TICKS


def children_seconds():
    """The CPU of this harness's own finished children (wrk, pgbench, psql)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Snapshots of named processes' CPU, the cluster's and the load
    generators'; `since(snapshot)` gives each one's seconds in between."""

    def __init__(self, postmaster, processes):
        self.postmaster = postmaster
        self.processes = processes  # label -> object with a .pid

    def snapshot(self):
        values = {label: process_seconds(p.pid) for label, p in self.processes.items()}
        values["postgres"] = cluster_seconds(self.postmaster)
        values["load"] = children_seconds()
        return values

    def since(self, before):
        now = self.snapshot()
        return {label: (now[label] - before[label]) if now[label] is not None and before.get(label) is not None
                else None for label in now}


def per_unit_us(seconds, units):
    """µs of CPU per request or event (None when nothing was served)."""
    if seconds is None or not units:
        return None
    return 1e6 * seconds / units
