"""The event feed's figures (issue 13): events/s delivered over Server-Sent
Events to one and to 16 clients reading the catch-up database's whole log
from the first event, and the commit → delivered latency of a live stream
while the lag step's commands run.

The clients are raw sockets multiplexed in this process: a client counts the
`id: ` lines it receives (the query service writes whole events per chunk),
so the harness's own cost stays small next to the server's."""
import datetime
import json
import selectors
import socket
import threading
import time
import urllib.request

from .services import Service
from .util import HarnessError, log, percentile

REQUEST = ("GET /events%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
MARK = b"\nid: e1."


def open_stream(port, after=None):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall((REQUEST % ("?after=" + after if after else "")).encode())
    return sock


def read_streams(port, clients, events, timeout):
    """Opens `clients` streams from the first event and reads each until it
    has `events` events; returns the wall time and the rates."""
    selector = selectors.DefaultSelector()
    counts, tails = {}, {}
    started = time.monotonic()
    for _ in range(clients):
        sock = open_stream(port)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        # The head ends with a blank line, so the first `id: ` follows a newline too.
        counts[sock], tails[sock] = 0, b""
    done = 0
    deadline = started + timeout
    while done < clients:
        if time.monotonic() > deadline:
            raise HarnessError("feed catch-up: %d of %d clients got all %d events within %d s (counts %s)"
                               % (done, clients, events, timeout, sorted(counts.values())))
        for key, _ in selector.select(timeout=1.0):
            sock = key.fileobj
            data = sock.recv(1 << 20)
            if not data:
                raise HarnessError("feed catch-up: a stream ended after %d events" % counts[sock])
            seen = tails[sock] + data
            counts[sock] += seen.count(MARK)
            tails[sock] = seen[-(len(MARK) - 1):]
            if counts[sock] >= events:
                selector.unregister(sock)
                sock.close()
                done += 1
    seconds = time.monotonic() - started
    selector.close()
    return {"clients": clients, "seconds": seconds, "rate": clients * events / seconds,
            "rate_per_client": events / seconds}


def catchup_rates(bench, repo, database, events):
    """A query service on the caught-up catch-up database; one client, then 16."""
    service = Service("query-service", bench.bin, bench.cluster.url_for(database, "cbench-read-feed"),
                      bench.log_dir, "feed-query-service", repo).start()
    try:
        results = {}
        for clients in (1, 16):
            log("feed: %d SSE client(s) reading %s events from the first" % (clients, "{:,}".format(events)))
            results[clients] = read_streams(service.port, clients, events, bench.config["timeout"])
            log("  %.0f events/s delivered in all (%.1f s)" % (results[clients]["rate"], results[clients]["seconds"]))
    finally:
        status = service.stop()
    if status != 0:
        raise HarnessError("the feed's query service exited %s after SIGTERM" % status)
    return results


def head_cursor(port):
    """The feed's current end, by its pages."""
    after = None
    while True:
        url = "http://127.0.0.1:%d/events?limit=1000%s" % (port, "&after=" + after if after else "")
        with urllib.request.urlopen(url, timeout=60) as answer:
            page = json.loads(answer.read())
        if not page["events"]:
            return page["next"]
        after = page["next"]


class LatencyProbe:
    """A live stream from the feed's end, timing each event from its
    `recorded_at` (the appending transaction's start, a little before its
    commit) to its arrival here."""

    def __init__(self, port):
        self.port = port
        self.latencies_ms = []
        self.stopping = threading.Event()
        self.thread = None
        self.error = None

    def start(self):
        self.sock = open_stream(self.port, head_cursor(self.port))
        self.sock.settimeout(0.5)
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()
        return self

    def read(self):
        pending = b""
        try:
            while not self.stopping.is_set():
                try:
                    data = self.sock.recv(1 << 16)
                except socket.timeout:
                    continue
                if not data:
                    return
                arrived = time.time()
                pending += data
                lines = pending.split(b"\n")
                pending = lines.pop()
                for line in lines:
                    if line.startswith(b"data: "):
                        recorded = json.loads(line[6:])["recorded_at"]
                        at = datetime.datetime.strptime(recorded, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                            tzinfo=datetime.timezone.utc).timestamp()
                        self.latencies_ms.append((arrived - at) * 1000)
        except Exception as error:  # reported by stop()
            self.error = error

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()
        if self.error:
            raise HarnessError("feed latency probe failed: %s" % self.error)
        values = sorted(self.latencies_ms)
        if not values:
            raise HarnessError("feed latency probe received no event during the lag step")
        return {"events": len(values), "p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99),
                "max_ms": values[-1]}


def catchup_rows(results, events):
    rows = []
    for clients in (1, 16):
        result = results[clients]
        rows.append(("feed over SSE, %d client%s, %s events from the first" % (
            clients, "" if clients == 1 else "s", "{:,}".format(events)),
            "%s events/s delivered (%.1f s%s)" % ("{:,.0f}".format(result["rate"]), result["seconds"],
                                                 "" if clients == 1 else ", %s per client"
                                                 % "{:,.0f}".format(result["rate_per_client"])),
            "—", "—", ""))
    return rows


def latency_row(probe, rate):
    return ("feed commit → delivered over SSE at %s commands/s" % "{:,}".format(rate),
            "p50 %.1f · p99 %.1f · max %.1f ms (%d events; from recorded_at, ms resolution)"
            % (probe["p50_ms"], probe["p99_ms"], probe["max_ms"], probe["events"]), "—", "—", "")
