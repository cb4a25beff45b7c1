"""Small helpers shared by the harness: logging, subprocesses, ports, statistics."""
import os
import socket
import subprocess
import sys
import time

STARTED = time.monotonic()


class HarnessError(Exception):
    """The harness itself failed (a step crashed, a service did not start, a
    parse failed). Low figures are never a HarnessError."""


def log(message):
    print("[bench %6.1fs] %s" % (time.monotonic() - STARTED, message), file=sys.stderr, flush=True)


def run(argv, *, env=None, timeout=None, check=True, cwd=None, input=None, what=None):
    """Runs a command to completion; returns (stdout, stderr). Raises
    HarnessError on a non-zero exit (when check) or a timeout."""
    what = what or os.path.basename(argv[0])
    try:
        done = subprocess.run(argv, env=env, cwd=cwd, input=input, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise HarnessError("%s timed out after %s s" % (what, timeout))
    except OSError as error:
        raise HarnessError("%s could not run: %s" % (what, error))
    if check and done.returncode != 0:
        raise HarnessError("%s exited %d:\n%s" % (what, done.returncode, tail(done.stderr or done.stdout)))
    return done.stdout, done.stderr


def tail(text, lines=25):
    return "\n".join((text or "").rstrip().splitlines()[-lines:])


def answering(port, host="127.0.0.1"):
    """True when something accepts TCP connections on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port(taken=()):
    """A port the kernel says is free and on which nothing answers."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port in taken or port in (8080, 8081, 8082):
            continue
        if not answering(port):
            return port
    raise HarnessError("no free TCP port found")


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(-(-q * len(sorted_values) // 100)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def rss_kib(pid):
    """VmRSS of a live process in KiB (None when it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
