"""Load generators: wrk (HTTP), pgbench (raw SQL) and the paced
command → fresh-query loop for the end-to-end lag."""
import asyncio
import glob
import json
import os
import re
import resource
import time

from .util import HarnessError, percentile, run

WRK_LINE = re.compile(r"^BENCH (.*)$", re.M)


def wrk(base_url, script, connections, duration, env_extra, label):
    """wrk with `connections` connections for `duration` seconds; the script's
    done() (bench/wrk/report.lua) prints the figures."""
    threads = min(connections, 2)
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % duration, "--timeout", "10s",
            "-s", script, base_url]
    out, err = run(argv, env=dict(os.environ, **env_extra), timeout=duration + 60, what="wrk (%s)" % label)
    match = WRK_LINE.search(out)
    if not match:
        raise HarnessError("wrk (%s) printed no BENCH line:\n%s\n%s" % (label, out, err))
    fields = {key: float(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    seconds = fields["duration_us"] / 1e6
    errors = int(fields["status_errors"] + fields["connect_errors"] + fields["read_errors"]
                 + fields["write_errors"] + fields["timeouts"])
    requests = int(fields["requests"])
    if requests - errors <= 0:
        raise HarnessError("wrk (%s): no successful request (%d errors)\n%s" % (label, errors, out))
    return {"rate": (requests - errors) / seconds, "requests": requests, "errors": errors,
            "p50_ms": fields["p50_us"] / 1000, "p99_ms": fields["p99_us"] / 1000, "max_ms": fields["max_us"] / 1000,
            "seconds": seconds, "argv": " ".join(argv)}


def pgbench(url, script_path, defines, clients, duration, log_prefix, label):
    """pgbench -M prepared with `clients` clients for `duration` seconds;
    latency percentiles from its per-transaction log (-l)."""
    for old in glob.glob(log_prefix + ".*"):
        os.remove(old)
    argv = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(duration),
            "-f", script_path, "-l", "--log-prefix", log_prefix] + defines + [url]
    out, err = run(argv, timeout=duration + 120, what="pgbench (%s)" % label)
    text = out + err
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    processed = re.search(r"number of transactions actually processed: (\d+)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    if not tps or not processed:
        raise HarnessError("pgbench (%s): could not read its summary:\n%s" % (label, text))
    if "aborted" in text:
        raise HarnessError("pgbench (%s): a client aborted:\n%s" % (label, text))
    latencies = []
    for path in glob.glob(log_prefix + ".*"):
        with open(path) as handle:
            for line in handle:
                fields = line.split()
                if len(fields) >= 3:
                    latencies.append(int(fields[2]) / 1000)
        os.remove(path)
    if not latencies:
        raise HarnessError("pgbench (%s): no per-transaction log" % label)
    latencies.sort()
    return {"rate": float(tps.group(1)), "requests": int(processed.group(1)),
            "errors": int(failed.group(1)) if failed else 0,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99), "max_ms": latencies[-1],
            "seconds": duration, "argv": shown(argv)}


def shown(argv):
    """A pgbench command line for the report, the captured -D values elided
    (the results file lists them with the script)."""
    parts, skip = [], False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "-D" and index + 1 < len(argv) and re.match(r"s\d+p\d+=", argv[index + 1]):
            if not parts or parts[-1] != "-D <captured values>":
                parts.append("-D <captured values>")
            skip = True
            continue
        parts.append(arg if " " not in arg else "'%s'" % arg)
    return " ".join(parts)


# ---------------------------------------------------------------------------
# End-to-end lag: a paced open-loop load of POST /orders; each command's
# order is then read from the query service with its consistency token.


class HTTPConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (light enough
    for a few thousand requests/s from one Python thread)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.usable = True

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(self, method, path, body=None, headers=None):
        payload = body or b""
        head = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (self.host, self.port),
                "Content-Length: %d" % len(payload)]
        for name, value in (headers or {}).items():
            head.append("%s: %s" % (name, value))
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        answer = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        if "content-length" in answer:
            data = await self.reader.readexactly(int(answer["content-length"]))
        elif answer.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = b""
        if answer.get("connection", "").lower() == "close":
            self.usable = False
        return status, answer, data

    def close(self):
        if self.writer:
            self.writer.close()


class Pool:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.idle = []
        self.opened = 0

    async def acquire(self):
        if self.idle:
            return self.idle.pop()
        self.opened += 1
        return await HTTPConnection(self.host, self.port).open()

    def release(self, connection, ok=True):
        if ok and connection.usable:
            self.idle.append(connection)
        else:
            connection.close()

    def close(self):
        for connection in self.idle:
            connection.close()


async def _lag(command_port, query_port, customer_id, rate, duration, wait_ms, max_commands):
    commands, queries = Pool("127.0.0.1", command_port), Pool("127.0.0.1", query_port)
    # At most `max_commands` commands in flight (like a client's connection
    # pool): when the command service cannot keep up, the schedule slips and
    # the achieved rate shows it, instead of an ever longer queue.
    in_flight = asyncio.Semaphore(max_commands)
    body = json.dumps({"customer_id": customer_id, "items": [{"sku": "MUG-1", "quantity": 1, "unit_price": "4.50"}],
                       "shipping_address": {"line1": "1 Main St", "city": "Berlin", "postal_code": "10117",
                                            "country": "DE"}}).encode()
    results = {"lags": [], "command_ms": [], "stale": 0, "command_errors": 0, "query_errors": 0,
               "first_sent": None, "last_answered": None}

    async def one():
        async with in_flight:
            connection = await commands.acquire()
            sent = time.perf_counter()
            if results["first_sent"] is None:
                results["first_sent"] = sent
            ok = False
            try:
                status, headers, data = await asyncio.wait_for(
                    connection.request("POST", "/orders", body, {"Content-Type": "application/json"}), 30)
                ok = True
            except (OSError, asyncio.TimeoutError, ValueError, asyncio.IncompleteReadError):
                results["command_errors"] += 1
                return
            finally:
                commands.release(connection, ok)
        answered = time.perf_counter()
        results["last_answered"] = answered
        if status != 201:
            results["command_errors"] += 1
            return
        results["command_ms"].append((answered - sent) * 1000)
        token = headers.get("consistency-token") or json.loads(data)["consistency_token"]
        order_id = json.loads(data)["order_id"]
        connection = await queries.acquire()
        ok = False
        try:
            status, headers, _ = await asyncio.wait_for(connection.request(
                "GET", "/orders/" + order_id, None,
                {"Consistency-Token": token, "Consistency-Wait": str(wait_ms)}), 30)
            ok = True
        except (OSError, asyncio.TimeoutError, ValueError, asyncio.IncompleteReadError):
            results["query_errors"] += 1
            return
        finally:
            queries.release(connection, ok)
        fresh_at = time.perf_counter()
        if status != 200:
            results["query_errors"] += 1
        elif headers.get("consistency") != "fresh":
            results["stale"] += 1
        else:
            results["lags"].append((fresh_at - answered) * 1000)

    total = int(rate * duration)
    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one()))
    issued_in = time.perf_counter() - start
    await asyncio.gather(*tasks)
    commands.close()
    queries.close()
    results["issued_in"] = issued_in
    results["connections"] = (commands.opened, queries.opened)
    return results


def lag(command_port, query_port, customer_id, rate, duration, wait_ms=5000, max_commands=64):
    cpu_before, wall_before = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    r = asyncio.run(_lag(command_port, query_port, customer_id, rate, duration, wait_ms, max_commands))
    cpu_after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall_before
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    lags = sorted(r["lags"])
    if not lags:
        raise HarnessError("end-to-end lag: no fresh answer at all (%d command errors, %d query errors, %d stale)"
                           % (r["command_errors"], r["query_errors"], r["stale"]))
    commands = sorted(r["command_ms"])
    span = (r["last_answered"] - r["first_sent"]) if r["last_answered"] else float("nan")
    return {"target_rate": rate, "seconds": duration, "issued": int(rate * duration),
            "achieved_rate": len(commands) / span if span > 0 else float("nan"),
            "issue_seconds": r["issued_in"], "fresh": len(lags), "stale": r["stale"],
            "command_errors": r["command_errors"], "query_errors": r["query_errors"],
            "p50_ms": percentile(lags, 50), "p99_ms": percentile(lags, 99), "max_ms": lags[-1],
            "command_p50_ms": percentile(commands, 50), "command_p99_ms": percentile(commands, 99),
            "connections": r["connections"], "max_commands": max_commands,
            "client_cpu_share": client_cpu / wall if wall > 0 else float("nan")}
