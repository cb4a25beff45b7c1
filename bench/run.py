#!/usr/bin/env python3
"""Chronicle's benchmark: `make bench` (full) and `make bench-smoke`.

Measures, in one run against a private durable PostgreSQL cluster:
  1. the command path (POST /orders, POST /orders/{id}/items) with wrk, next
     to pgbench running the statements the command service sends (captured
     from PostgreSQL's log) at the same client counts;
  2. projector catch-up over a preloaded log, next to the same batch SQL run
     directly with psql; and chronicle-admin rebuild-projection --all;
  3. end-to-end lag (command answered → query answers `fresh`) at a steady rate;
  4. the query path (GET /orders/{id}, GET /orders?customer_id=) with wrk next
     to pgbench running the captured SELECTs;
  5. the RSS of each process at rest and at the end of the load.
Prints one table and writes it, with the machine's facts, to
bench/results/<date>-<commit>.md (smoke mode: to .data/bench-smoke/ only).

Exit status: 0 when every step ran (whatever the figures), 1 when the harness
itself failed, 130 when interrupted. See bench/README.md.

usage: bench/run.py [--smoke] --bin DIR [options]
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import signal
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import capture as cap  # noqa: E402
from harness import cpu, feed, load, pg, report  # noqa: E402
from harness.catchup import catchup, wait_caught_up  # noqa: E402
from harness.services import ALIASES, Service, call, stop_all  # noqa: E402
from harness.util import HarnessError, log, run, tail  # noqa: E402

REPO = os.path.dirname(HERE)
EXECUTABLES = ("command-service", "query-service", "projector", "chronicle-admin")

FULL = {"clients": [1, 8, 32, 64], "seconds": 10, "query_clients": 32, "units": 125000, "lag_rate": 1000,
        "lag_seconds": 20, "item_orders": 1024, "query_orders": 1024, "query_customers": 64, "headline": 32,
        "cluster": ".data/pg-bench", "timeout": 3600}
SMOKE = {"clients": [1, 4], "seconds": 1, "query_clients": 4, "units": 500, "lag_rate": 100, "lag_seconds": 1,
         "item_orders": 64, "query_orders": 64, "query_customers": 8, "headline": 32,
         "cluster": ".data/pg-bench-smoke", "timeout": 120}

TARGETS = {"command_ratio": 0.5, "catchup_ratio": 0.9, "lag_p99_ms": 25.0, "rebuild_seconds": 45.0, "rebuild_events": 1_000_000,
           "rss_rest_mib": 64.0, "cpu_us": {"post_orders": 150.0, "get_order": 60.0}}


def md5_uuid(text):
    """PostgreSQL's md5(text)::uuid, for ids both sides can compute."""
    return str(uuid.UUID(hex=hashlib.md5(text.encode()).hexdigest()))


def parse_args():
    parser = argparse.ArgumentParser(description="Chronicle benchmark harness")
    parser.add_argument("--smoke", action="store_true", help="tiny durations: checks that the harness works")
    parser.add_argument("--bin", required=True, help="directory holding the built executables")
    parser.add_argument("--cluster", help="private cluster directory (default .data/pg-bench, smoke: "
                                          ".data/pg-bench-smoke)")
    parser.add_argument("--clients", help="comma-separated client counts for the command path")
    parser.add_argument("--seconds", type=int, help="seconds per wrk/pgbench step")
    parser.add_argument("--units", type=int, help="preload units for the catch-up (8 events each)")
    parser.add_argument("--lag-rate", type=int, help="commands/s of the end-to-end lag phase")
    parser.add_argument("--lag-seconds", type=int, help="duration of the end-to-end lag phase")
    parser.add_argument("--output", help="results file (default bench/results/<date>-<commit>.md; smoke: "
                                         ".data/bench-smoke/results.md)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--no-feed", action="store_true",
                        help="leave out the event feed's figures (to compare with a build that has no GET /events)")
    parser.add_argument("--projections",
                        help="comma-separated projections the main phase's projector runs (its --projections; "
                             "default all), e.g. one context's, to compare with a build that served only it")
    args = parser.parse_args()
    config = dict(SMOKE if args.smoke else FULL)
    if args.clients:
        config["clients"] = [int(c) for c in args.clients.split(",")]
    for name in ("seconds", "units", "lag_rate", "lag_seconds"):
        if getattr(args, name) is not None:
            config[name] = getattr(args, name)
    if args.cluster:
        config["cluster"] = args.cluster
    config["feed"] = not args.no_feed
    config["projections"] = args.projections
    return args, config


def preflight(bin_dir):
    for executable in EXECUTABLES:
        path = os.path.join(bin_dir, executable)
        if not os.access(path, os.X_OK):
            raise HarnessError("%s not found: build first (make bench builds it)" % path)
    for tool in ("wrk", "pgbench", "psql"):
        if not shutil.which(tool):
            raise HarnessError("%s is not installed (scripts/install-deps.sh wrk)" % tool)


class Bench:
    def __init__(self, args, config):
        self.args, self.config = args, config
        self.bin = os.path.abspath(args.bin)
        self.run_id = "bench_" + datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        # The last run's work directory stays for inspection (generated pgbench
        # scripts, id files, the processes' logs; the big replay files are
        # deleted once used); the next run of the same mode replaces it.
        self.workdir = os.path.join(REPO, ".data", "bench-smoke" if args.smoke else "bench-full")
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.log_dir = os.path.join(self.workdir, "logs")
        os.makedirs(self.log_dir, exist_ok=True)
        self.cluster = pg.Cluster(REPO, os.path.join(REPO, config["cluster"]))
        self.databases = []
        self.sections = {"command": [], "catchup": [], "lag": [], "query": []}
        self.cpu_rows = []
        self.notes = []
        self.figures = {}
        self.scripts = {}

    # -- helpers -----------------------------------------------------------

    def database(self, suffix):
        name = "%s_%s" % (self.run_id, suffix)
        self.databases.append(name)
        return name

    def wrk_script(self, name):
        return os.path.join(HERE, "wrk", name)

    def write_ids(self, name, ids):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as handle:
            handle.write("\n".join(ids) + "\n")
        return path

    # -- the run -----------------------------------------------------------

    def run(self):
        preflight(self.bin)
        self.facts_before = report.machine_facts()
        self.git = report.git_facts(REPO)
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        self.cluster.start()
        self.settings = self.cluster.settings_for_report()

        log("capturing the statements the services send")
        self.captured, self.capture_ids = cap.capture(self.cluster, self.bin, self.log_dir, REPO,
                                                      self.database("capture"))
        self.main_phases()
        self.catchup_phase()
        if self.config["feed"]:
            events = self.figures["catchup"]["events"]
            self.sections["catchup"] += feed.catchup_rows(
                feed.catchup_rates(self, REPO, "%s_catchup" % self.run_id, events), events)
        else:
            self.notes.append("The event feed's figures were left out (`--no-feed`).")
        self.facts_after = report.machine_facts()
        self.finished_at = datetime.datetime.now(datetime.timezone.utc)
        return self.write_report()

    def main_phases(self):
        config = self.config
        database = self.database("main")
        self.cluster.create_database(database)
        url = self.cluster.url_for(database)
        cap.migrate(self.bin, url, REPO)
        services = {}
        for label, executable in (("command", "command-service"), ("query", "query-service"),
                                  ("projector", "projector")):
            extra = ["--projections", config["projections"]] if label == "projector" and config["projections"] else []
            services[label] = Service(executable, self.bin,
                                      self.cluster.url_for(database, ALIASES[executable]),
                                      self.log_dir, executable, REPO, extra).start()
        self.services = services
        if config["projections"]:
            self.notes.append("The main phase's projector ran only `%s` (`--projections`)." % config["projections"])
        self.meter = cpu.Meter(cpu.postmaster_pid(self.cluster.data_directory), dict(services))
        time.sleep(1.0)
        self.rss_rest = {label: s.rss_kib() for label, s in services.items()}
        log("RSS at rest (KiB): %s" % self.rss_rest)
        command, query = services["command"].port, services["query"].port
        command_url = "http://127.0.0.1:%d" % command
        query_url = "http://127.0.0.1:%d" % query

        # The benchmark's customer and a template order (real events, through
        # HTTP); copies of the order's order.placed event under deterministic
        # ids give both sides the same streams to add items to and to read.
        customer, _ = call(command, "POST", "/customers", cap.customer_body("main"))
        customer_id = customer["customer_id"]
        template, _ = call(command, "POST", "/orders", cap.order_body(customer_id))
        session = pg.Psql(self.cluster.url_for(database, "bench-poll"))
        self.poll_session = session
        try:
            self.names = self.projection_names(url)
            sets = {}
            for clients in config["clients"]:
                for side in ("http", "raw"):
                    sets[(side, clients)] = "bench-items-%s-c%d-" % (side, clients)
            statements = []
            for prefix in sets.values():
                statements.append(copy_order_sql(template["order_id"], prefix, config["item_orders"]))
            statements.append(copy_customer_sql(customer_id, "bench-q-customer-", config["query_customers"]))
            statements.append(copy_order_sql(template["order_id"], "bench-q-order-", config["query_orders"],
                                             customer_prefix="bench-q-customer-",
                                             customers=config["query_customers"]))
            pg.psql(url, "BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;")
            wait_caught_up(session, self.names, config["timeout"])
            pg.psql(url, "VACUUM (ANALYZE)")

            self.build_scripts(customer_id)
            self.command_path(url, command_url, customer_id, sets)
            log("waiting for the projector to catch up with the command path's events")
            wait_caught_up(session, self.names, config["timeout"])
            self.query_path(url, query_url)
            self.lag_phase(url, command, query, customer_id)
            self.rss_end = {label: s.rss_kib() for label, s in services.items()}
            log("RSS at the end of the load (KiB): %s" % self.rss_end)
        finally:
            session.close()
        for label, service in services.items():
            status = service.stop()
            if status != 0:
                raise HarnessError("%s exited %s after SIGTERM; its log:\n%s"
                                   % (service.label, status, tail(service.log_text())))
            warnings = [l for l in service.log_text().splitlines() if l.strip()]
            if warnings:
                self.notes.append("%s logged %d line(s) at warning or above, e.g. `%s`"
                                  % (service.executable, len(warnings), warnings[0][:300]))

    def projection_names(self, url):
        """The projections, as chronicle-admin lists them once the projector
        has created their checkpoints (the list stops growing)."""
        if self.config["projections"]:
            # The projector runs only these: the others never move.
            return sorted(self.config["projections"].split(","))
        previous, deadline = None, time.monotonic() + 30
        while time.monotonic() < deadline:
            out, _ = run([os.path.join(self.bin, "chronicle-admin"), "projections", "--json"], timeout=60,
                         what="chronicle-admin projections",
                         env=dict(os.environ, DATABASE_URL=url, CHRONICLE_MIGRATIONS=os.path.join(REPO, "migrations")))
            names = sorted(p["name"] for p in json.loads(out))
            if names and names == previous:
                return names
            previous = names
            time.sleep(0.5)
        raise HarnessError("chronicle-admin projections lists no projection")

    def build_scripts(self, customer_id):
        config = self.config
        captured, ids = self.captured, self.capture_ids
        self.scripts["post_orders"] = cap.pgbench_script(
            captured["post_orders"], header=["\\set n random(1, 9000000000000000000)"],
            ids={ids["order_id"]: "(md5('bench-raw-order-' || :n)::uuid)"},
            texts={ids["customer_id"]: customer_id}, extra_variables=["n"])
        self.scripts["post_items"] = cap.pgbench_script(
            captured["post_items"],
            header=["-- each client adds to its own orders (:client_id + :clients × j), so no two clients",
                    "-- append to one stream at once (pgbench would abort a client on the unique violation)",
                    "\\set k :client_id + :clients * random(0, :per_client - 1)"],
            ids={ids["order_id"]: "(md5(:items_prefix || :k)::uuid)"},
            texts={ids["customer_id"]: customer_id}, version_from_read_of=ids["order_id"],
            extra_variables=["k", "clients", "per_client", "items_prefix"])
        self.scripts["get_order"] = cap.pgbench_script(
            captured["get_order"], header=["\\set k random(0, %d)" % (config["query_orders"] - 1)],
            ids={ids["order_id"]: "(md5('bench-q-order-' || :k)::uuid)"}, extra_variables=["k"])
        self.scripts["list_orders"] = cap.pgbench_script(
            captured["list_orders"], header=["\\set k random(0, %d)" % (config["query_customers"] - 1)],
            ids={ids["customer_id"]: "(md5('bench-q-customer-' || :k)::uuid)"}, extra_variables=["k"])
        self.script_paths = {kind: script.write(os.path.join(self.workdir, "%s.pgbench.sql" % kind))
                             for kind, script in self.scripts.items()}

    def check_services(self):
        for service in self.services.values():
            service.check()

    def quiet(self, url):
        """Before each measured step: the services are up, and a fresh
        checkpoint makes a spontaneous one during the step unlikely on
        either side. The projector first finishes the previous step's
        events, so that no step pays for its predecessor's backlog (the raw
        side writes several times as many events as the HTTP side)."""
        self.check_services()
        session = getattr(self, "poll_session", None)
        if session is not None and getattr(self, "names", None):
            wait_caught_up(session, self.names, self.config["timeout"])
        pg.psql(url, "CHECKPOINT")

    def pgbench(self, url, kind, clients, label, extra=None):
        self.quiet(url)
        script = self.scripts[kind]

        def step():
            # The projector is paused while pgbench runs (it projects the
            # step's events afterwards, unmeasured): the raw side is the
            # captured SQL alone, not that SQL sharing two cores and the
            # server with the projector.
            with self.services["projector"].paused():
                return load.pgbench(url, self.script_paths[kind], script.define_args(extra), clients,
                                    self.config["seconds"], os.path.join(self.workdir, "pgbench_log"), label)
        return self.measured(step, appends=kind.startswith("post_"))

    def measured(self, step, appends):
        """Runs one load step (wrk or pgbench) and adds to its result the CPU
        each process spent per request served: the services', PostgreSQL's
        and the load generator's during the step, and the projector's until
        it has projected what the step appended (per event: each command
        appends one)."""
        before = self.meter.snapshot()
        result = step()
        spent = self.meter.since(before)
        if appends:
            wait_caught_up(self.poll_session, self.names, self.config["timeout"])
            spent["projector"] = self.meter.since(before)["projector"]
        served = result["requests"] - result.get("errors", 0)
        result["cpu_us"] = {label: cpu.per_unit_us(seconds, served) for label, seconds in spent.items()}
        return result

    def cpu_row(self, label, http, raw, service, target_kind=None):
        """One row of the CPU table: µs per request (per event for the
        projector) on the HTTP side, PostgreSQL's on both sides."""
        spent = http["cpu_us"]
        target = ""
        if target_kind in TARGETS["cpu_us"]:
            limit = TARGETS["cpu_us"][target_kind]
            target = report.verdict(spent[service] is not None and spent[service] <= limit,
                                    "%s ≤ %.0f µs" % (service, limit))
        projector = report.micros(spent["projector"]) if service == "command" else "—"
        self.cpu_rows.append((label, report.micros(spent[service]), projector, report.micros(spent["postgres"]),
                              report.micros(raw["cpu_us"]["postgres"]), report.micros(spent["load"]),
                              report.micros(raw["cpu_us"]["load"]), target))

    def command_path(self, url, command_url, customer_id, sets):
        config = self.config
        seconds = config["seconds"]
        self.figures["commands"] = {}
        for kind, title in (("post_orders", "POST /orders"), ("post_items", "POST /orders/{id}/items")):
            for clients in config["clients"]:
                label = "%s, %d conn" % (title, clients)
                self.quiet(url)
                log("%s: wrk %d s" % (label, seconds))
                if kind == "post_orders":
                    http = self.measured(lambda: load.wrk(command_url + "/orders", self.wrk_script("post_orders.lua"),
                                                          clients, seconds, {"CUSTOMER_ID": customer_id}, label),
                                         appends=True)
                    extra = None
                else:
                    prefix = sets[("http", clients)]
                    ids_file = self.write_ids("items-http-c%d.ids" % clients,
                                              [md5_uuid(prefix + str(k)) for k in range(config["item_orders"])])
                    http = self.measured(lambda: load.wrk(command_url, self.wrk_script("post_items.lua"), clients,
                                                          seconds, {"ORDER_IDS": ids_file}, label), appends=True)
                    extra = {"clients": clients, "per_client": config["item_orders"] // clients,
                             "items_prefix": sets[("raw", clients)]}
                log("%s: pgbench %d s" % (label, seconds))
                raw = self.pgbench(url, kind, clients, label, extra)
                self.figures["commands"][(kind, clients)] = (http, raw)
                headline = clients == config["headline"]
                self.cpu_row(label, http, raw, "command", kind if headline else None)
                self.sections["command"].append((label, report.load_cell(http), report.load_cell(raw, " tps"),
                                  report.ratio(http["rate"], raw["rate"]),
                                  report.verdict(http["rate"] >= TARGETS["command_ratio"] * raw["rate"],
                                                 "≥ %.1f×" % TARGETS["command_ratio"]) if headline else ""))
                log("  HTTP %.0f/s p99 %.2f ms; raw %.0f tps p99 %.2f ms" % (http["rate"], http["p99_ms"],
                                                                            raw["rate"], raw["p99_ms"]))

    def query_path(self, url, query_url):
        config = self.config
        clients = config["query_clients"]
        orders = self.write_ids("query-orders.ids", [md5_uuid("bench-q-order-%d" % k)
                                                     for k in range(config["query_orders"])])
        customers = self.write_ids("query-customers.ids", [md5_uuid("bench-q-customer-%d" % k)
                                                           for k in range(config["query_customers"])])
        self.figures["queries"] = {}
        for kind, title, script, env in (("get_order", "GET /orders/{id}", "get_order.lua", {"ORDER_IDS": orders}),
                                         ("list_orders", "GET /orders?customer_id=", "list_orders.lua",
                                          {"CUSTOMER_IDS": customers})):
            label = "%s, %d conn" % (title, clients)
            self.quiet(url)
            log("%s: wrk %d s" % (label, config["seconds"]))
            http = self.measured(lambda: load.wrk(query_url, self.wrk_script(script), clients, config["seconds"],
                                                  env, label), appends=False)
            log("%s: pgbench %d s" % (label, config["seconds"]))
            raw = self.pgbench(url, kind, clients, label)
            self.figures["queries"][kind] = (http, raw)
            self.cpu_row(label, http, raw, "query", kind)
            target = report.verdict(http["rate"] >= TARGETS["command_ratio"] * raw["rate"],
                                    "≥ %.1f×" % TARGETS["command_ratio"]) if kind == "get_order" else ""
            self.sections["query"].append((label, report.load_cell(http), report.load_cell(raw, " tps"),
                                           report.ratio(http["rate"], raw["rate"]), target))
            log("  HTTP %.0f/s p99 %.2f ms; raw %.0f tps p99 %.2f ms" % (http["rate"], http["p99_ms"],
                                                                        raw["rate"], raw["p99_ms"]))

    def lag_rates(self):
        """The fixed rate, and half the rate POST /orders reached at the
        headline connection count (the largest measured when the headline
        count is not among them): commands at a pace the service sustains
        with room to spare."""
        config = self.config
        clients = config["headline"] if config["headline"] in config["clients"] else max(config["clients"])
        http, _ = self.figures["commands"][("post_orders", clients)]
        return [(config["lag_rate"], "", False),
                (max(1, int(http["rate"] / 2)), "half the POST /orders rate at %d conn" % clients, True)]

    def lag_phase(self, url, command, query, customer_id):
        config = self.config
        self.figures["lag"] = []
        for rate, how, targeted in self.lag_rates():
            self.quiet(url)
            log("end-to-end lag: %d commands/s for %d s" % (rate, config["lag_seconds"]))
            probe = feed.LatencyProbe(query).start() if config["feed"] else None
            lag = load.lag(command, query, customer_id, rate, config["lag_seconds"])
            delivered = probe.stop() if probe else None
            self.figures["lag"].append(lag)
            cell = "p50 %s · p99 %s · max %s ms (%s commands/s achieved, %d of %d fresh" % (
                report.ms(lag["p50_ms"]), report.ms(lag["p99_ms"]), report.ms(lag["max_ms"]),
                report.number(lag["achieved_rate"]), lag["fresh"], lag["issued"])
            extra = []
            if lag["stale"]:
                extra.append("%d stale" % lag["stale"])
            if lag["command_errors"] or lag["query_errors"]:
                extra.append("%d command / %d query errors" % (lag["command_errors"], lag["query_errors"]))
            cell += (", " + ", ".join(extra) if extra else "") + ")"
            title = "command → `fresh` query at %s commands/s%s" % (report.number(rate), " (%s)" % how if how else "")
            target = report.verdict(lag["p99_ms"] <= TARGETS["lag_p99_ms"],
                                    "p99 ≤ %.0f ms" % TARGETS["lag_p99_ms"]) if targeted else ""
            self.sections["lag"].append((title, cell, "—", "—", target))
            if probe:
                self.sections["lag"].append(feed.latency_row(delivered, rate))
            log("  lag p50 %.2f p99 %.2f max %.2f ms, %.0f commands/s achieved, %d stale"
                % (lag["p50_ms"], lag["p99_ms"], lag["max_ms"], lag["achieved_rate"], lag["stale"]))

    def catchup_phase(self):
        config = self.config
        result = catchup(self.cluster, self.bin, REPO, self.workdir, self.log_dir, self.database("catchup"),
                         config["units"], self.names, config["timeout"])
        self.figures["catchup"] = result
        events = result["events"]
        projector_rate = events / result["projector_seconds"]
        raw_rate = events / result["raw_seconds"]
        self.sections["catchup"].append((
            "projector catch-up, %s events" % report.number(events),
            "%s events/s (%.1f s; projector CPU %s µs/event)" % (
                report.number(projector_rate), result["projector_seconds"],
                report.micros(cpu.per_unit_us(result["projector_cpu_seconds"], events))),
            "%s events/s (%.1f s)" % (report.number(raw_rate), result["raw_seconds"]),
            report.ratio(projector_rate, raw_rate),
            report.verdict(projector_rate >= TARGETS["catchup_ratio"] * raw_rate,
                           "≥ %.1f×" % TARGETS["catchup_ratio"])))
        # The target is for a log of a million events: a smaller run cannot
        # meet it, only show the rate.
        if events >= TARGETS["rebuild_events"]:
            rebuild_verdict = report.verdict(result["rebuild_seconds"] <= TARGETS["rebuild_seconds"],
                                             "≤ %.0f s" % TARGETS["rebuild_seconds"])
        else:
            rebuild_verdict = "≤ %.0f s for %s events: not measured here" % (
                TARGETS["rebuild_seconds"], report.number(TARGETS["rebuild_events"]))
        self.sections["catchup"].append((
            "`rebuild-projection --all`, %s events" % report.number(events),
            "%s events/s (%.1f s; chronicle-admin CPU %s µs/event)" % (
                report.number(events / result["rebuild_seconds"]), result["rebuild_seconds"],
                report.micros(cpu.per_unit_us(result["rebuild_cpu_seconds"], events))),
            "—", "—", rebuild_verdict))
        if not result["rebuild_matches"]:
            self.notes.append("rebuild-projection --all left other row counts than the projector: %s vs %s"
                              % (result["rebuild_fingerprint"], result["fingerprint"]))
        log("  projector %.0f events/s, direct SQL %.0f events/s, rebuild %.1f s"
            % (projector_rate, raw_rate, result["rebuild_seconds"]))

    # -- output ------------------------------------------------------------

    def memory_rows(self):
        rows = []
        limit = TARGETS["rss_rest_mib"]
        for label, executable in (("command", "command-service"), ("query", "query-service"),
                                  ("projector", "projector")):
            rest, end = self.rss_rest[label] / 1024, self.rss_end[label] / 1024
            rows.append(("RSS %s" % executable, "at rest %.1f MiB · end of load %.1f MiB" % (rest, end), "—", "—",
                         report.verdict(rest <= limit, "≤ %.0f MiB at rest" % limit)))
        catchup = self.figures["catchup"]
        rows.append(("RSS projector after the catch-up", "%.1f MiB" % (catchup["projector_rss_kib"] / 1024),
                     "—", "—", ""))
        return rows

    def write_report(self):
        config = self.config
        rows = [row for section in ("command", "catchup", "lag", "query") for row in self.sections[section]]
        rows += self.memory_rows()
        table = report.table(rows)
        cpu_table = report.table(self.cpu_rows, report.CPU_HEADER)
        print()
        print(table)
        print()
        print(cpu_table)
        print()
        for note in self.notes:
            print("note: " + note)
        text = self.results_markdown(table, cpu_table)
        if self.args.output:
            path = self.args.output
        elif self.args.smoke:
            path = os.path.join(self.workdir, "results.md")
        else:
            path = os.path.join(REPO, "bench", "results", "%s-%s.md" % (self.started_at.strftime("%Y-%m-%d"),
                                                                      self.git["commit"]))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        log("results written to %s" % os.path.relpath(path, REPO))
        return path

    def targets_text(self):
        return ("HTTP throughput ≥ %.1f× raw pgbench at %d clients (commands and GET /orders/{id}); service CPU "
                "per request %s; projector catch-up ≥ %.1f× the direct SQL loop; `rebuild-projection --all` of %s events ≤ %.0f s; "
                "end-to-end lag p99 ≤ %.0f ms at half the POST /orders rate; RSS ≤ %.0f MiB per process at rest"
                % (TARGETS["command_ratio"], self.config["headline"],
                   ", ".join("%s ≤ %.0f µs" % (k, v) for k, v in TARGETS["cpu_us"].items()),
                   TARGETS["catchup_ratio"], report.number(TARGETS["rebuild_events"]), TARGETS["rebuild_seconds"],
                   TARGETS["lag_p99_ms"],
                   TARGETS["rss_rest_mib"]))

    def results_markdown(self, table, cpu_table):
        config, git, settings = self.config, self.git, self.settings
        before, after = self.facts_before, self.facts_after
        catchup = self.figures["catchup"]
        tools = report.tool_versions()
        lines = [
            "# Chronicle benchmark%s — %s, commit %s" % (" (smoke)" if self.args.smoke else "",
                                                       self.started_at.strftime("%Y-%m-%d %H:%M UTC"), git["commit"]),
            "",
            "Produced by `%s` (bench/run.py). What the figures mean and how \"raw\" is derived: "
            "bench/README.md." % ("make bench-smoke" if self.args.smoke else "make bench"),
            "",
            table,
            "",
            "Targets: %s." % self.targets_text(),
            "",
            "## CPU time per request",
            "",
            "User + system time over each step (`/proc/<pid>/stat`, all threads) ÷ requests served; the projector's "
            "until it had projected the step's events, ÷ those events; PostgreSQL's summed over the postmaster and "
            "all its backends (the projector's included on the HTTP side; it is paused during pgbench); wrk's and pgbench's their own.",
            "",
            cpu_table,
            "",
        ]
        if self.notes:
            lines += ["## Notes", ""] + ["- " + n for n in self.notes] + [""]
        lines += [
            "## Machine",
            "",
            "| fact | value |", "|---|---|",
            "| cores | %s |" % before["cores"],
            "| CPU | %s |" % before["cpu"],
            "| memory | %s |" % before["memory"],
            "| load average (1, 5, 15 min) before | %s |" % before["load"],
            "| load average (1, 5, 15 min) after | %s |" % after["load"],
            "| kernel | %s |" % before["kernel"],
            "| run | %s → %s |" % (self.started_at.strftime("%H:%M:%S"), self.finished_at.strftime("%H:%M:%S UTC")),
            "| commit | `%s`%s |" % (git["full_commit"] or git["commit"],
                                   " with uncommitted changes in %d tracked file(s): %s" % (
                                       len(git["dirty"]), ", ".join("`%s`" % d for d in git["dirty"]))
                                   if git["dirty"] else " (clean tree)"),
            "| executables | `%s` |" % os.path.relpath(self.bin, REPO),
            "| tools | %s; %s; Python %s |" % (tools["wrk"], tools["pgbench"], before["python"]),
            "",
            "Everything runs on this one machine: PostgreSQL, the three processes, and the load generators "
            "(wrk and pgbench with `-t/-j` = min(clients, 2), the lag phase's Python client).",
            "",
            "## PostgreSQL",
            "",
            "Private cluster `%s` (`scripts/pg-cluster.sh start … durable`), csvlog enabled for the projector's "
            "statement capture (statements are logged only during that pass, in its database)." % config["cluster"],
            "",
            "| setting | value |", "|---|---|",
        ]
        lines += ["| %s | %s |" % (name, value) for name, value in settings.items()]
        lines += [
            "",
            "## Parameters",
            "",
            "| parameter | value |", "|---|---|",
            "| wrk / pgbench step | %d s each, command path at %s connections/clients, query path at %d |"
            % (config["seconds"], ", ".join(str(c) for c in config["clients"]), config["query_clients"]),
            "| orders per items step | %d (a fresh set per step and side; copies of one real order.placed) |"
            % config["item_orders"],
            "| query data | %d orders over %d customers |" % (config["query_orders"], config["query_customers"]),
            "| catch-up | %s events preloaded (bench/sql/preload_events.sql, %s units); preload took %.1f s; "
            "the logged capture pass took %.1f s and wrote %s MB of csvlog; replay scripts %s MB |"
            % (report.number(catchup["events"]), report.number(catchup["units"]), catchup["preload_seconds"],
               catchup["capture_seconds"], report.number(catchup["capture_log_bytes"] / 1e6, 1),
               report.number(catchup["raw_script_bytes"] / 1e6, 1)),
            "| replay | %s |" % catchup["replay_summary"],
        ]
        lines += ["| lag phase | %d commands/s for %d s (%d scheduled, issued over %.2f s, at most %d in flight); "
                  "Consistency-Wait 5000; command latency p50 %s / p99 %s ms; %d + %d HTTP connections (command + "
                  "query); the Python client used %.0f%% of one core |"
                  % (lag["target_rate"], lag["seconds"], lag["issued"], lag["issue_seconds"], lag["max_commands"],
                     report.ms(lag["command_p50_ms"]), report.ms(lag["command_p99_ms"]), lag["connections"][0],
                     lag["connections"][1], 100 * lag["client_cpu_share"]) for lag in self.figures["lag"]]
        lines += [
            "",
            "## Commands",
            "",
        ]
        steps = list(self.figures["commands"].values()) + list(self.figures["queries"].values())
        for http, raw in steps:
            lines.append("- `%s`  \n  `%s`" % (http["argv"].replace(REPO + "/", ""),
                                               raw["argv"].replace(REPO + "/", "")))
        lines += ["", "## The raw side: generated pgbench scripts", "",
                  "Captured on the wire while the services handled one request of each kind "
                  "(bench/harness/capture.py, wire.py): statements sent in one round trip are one "
                  "`\\startpipeline` block. `-D` values are the captured parameters (ids mapped to the "
                  "benchmark's); pgbench binds every `:variable` as a parameter (`-M prepared`).", ""]
        for kind, script in self.scripts.items():
            excluded = self.captured[kind].excluded
            lines += ["### %s" % kind, "", "```sql", script.text.rstrip(), "```", ""]
            if script.defines:
                lines += ["```", "\n".join("-D %s=%s" % (k, v) for k, v in script.defines.items()), "```", ""]
            if excluded:
                lines += ["Not replayed (sent outside the request's own statements): %s"
                          % "; ".join("`%s`" % e for e in sorted(set(excluded))), ""]
        return "\n".join(lines) + "\n"


def copy_order_sql(template_order, prefix, count, customer_prefix=None, customers=None):
    """`count` copies of the template's order.placed event under the ids
    md5(prefix || k); optionally spread over customers md5(customer_prefix || k % customers)."""
    data = "e.data"
    if customer_prefix:
        data = ("jsonb_set(e.data, '{customer_id}', to_jsonb(md5('%s' || (k %% %d))::uuid::text))"
                % (customer_prefix, customers))
    return ("INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, "
            "metadata) SELECT md5('%s' || k)::uuid, e.stream_type, 1, e.event_type, e.event_schema_version, %s, "
            "e.metadata FROM events e, generate_series(0, %d) AS k WHERE e.stream_id = '%s' AND e.stream_version = 1"
            % (prefix, data, count - 1, template_order))


def copy_customer_sql(template_customer, prefix, count):
    return ("INSERT INTO events (stream_id, stream_type, stream_version, event_type, event_schema_version, data, "
            "metadata) SELECT md5('%s' || k)::uuid, e.stream_type, 1, e.event_type, e.event_schema_version, "
            "jsonb_set(jsonb_set(e.data, '{name}', to_jsonb('Bench Customer ' || k)), '{email}', "
            "to_jsonb('bench-q-' || k || '@example.com')), e.metadata "
            "FROM events e, generate_series(0, %d) AS k WHERE e.stream_id = '%s' AND e.stream_version = 1"
            % (prefix, count - 1, template_customer))


def main():
    args, config = parse_args()

    def interrupted(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, interrupted)

    bench = Bench(args, config)
    status = 0
    try:
        log("%s run %s; work directory %s" % ("smoke" if args.smoke else "full", bench.run_id,
                                              os.path.relpath(bench.workdir, REPO)))
        bench.run()
    except HarnessError as error:
        log("HARNESS FAILED: %s" % error)
        status = 1
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    except Exception:
        import traceback
        traceback.print_exc()
        log("HARNESS FAILED (unexpected error)")
        status = 1
    finally:
        stop_all()
        if not args.keep and bench.cluster.url:
            for database in bench.databases:
                try:
                    pg.psql(bench.cluster.url, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
                except HarnessError as error:
                    log("could not drop %s: %s" % (database, error))
        if bench.cluster.url:
            bench.cluster.prune_logs()
        bench.cluster.stop_if_started_here()
    log("done (exit %d)" % status)
    return status


if __name__ == "__main__":
    sys.exit(main())
