"""The "raw" side: the SQL the services really send, captured on the wire.

A command service and a query service (and a projector, so the reads find
their rows) run against a capture database through a recording proxy
(wire.py); one request of each benchmarked kind is sent while the proxy
records what the services send: statement texts, bound parameters, and which
statements went together in one round trip (a libpq pipeline). Those become
pgbench scripts: the statement texts unchanged except that `$n` placeholders
become pgbench variables (so pgbench binds them as parameters, as the services
do), the ids that must differ per transaction become expressions of pgbench
variables, and statements sent in one round trip are wrapped in
`\\startpipeline`/`\\endpipeline`.
"""
import os
import re
import time
import urllib.parse
import uuid

from .services import ALIASES, Service, call
from .util import HarnessError, run
from .wire import Recorder

ADDRESS = {"line1": "1 Main St", "city": "Berlin", "postal_code": "10117", "country": "DE"}
ITEM = {"sku": "MUG-1", "quantity": 1, "unit_price": "4.50"}


def order_body(customer_id):
    return {"customer_id": customer_id, "items": [{"sku": "MUG-1", "quantity": 2, "unit_price": "4.50"}],
            "shipping_address": ADDRESS}


def customer_body(tag):
    return {"name": "Bench Customer", "email": "bench-%s-%s@example.com" % (tag, uuid.uuid4().hex[:12])}


# Statements a request does not send itself: the command service's notifier
# (one NOTIFY from its own connection per burst of commits, coalesced), the
# LISTEN sessions, and the session set-up of a newly opened pool connection.
EXCLUDED = re.compile(r"^\s*(NOTIFY|LISTEN|UNLISTEN|SET )", re.I)


class Captured:
    """What one request sent, in order."""

    def __init__(self, kind):
        self.kind = kind
        self.statements = []
        self.excluded = []


def through(url, port):
    """The URL with its host and port replaced by the proxy's, and without
    TLS or GSS encryption, so that the proxy can read the messages."""
    parts = urllib.parse.urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    query = dict(urllib.parse.parse_qsl(parts.query), sslmode="disable", gssencmode="disable")
    return urllib.parse.urlunsplit((parts.scheme, "%s127.0.0.1:%d" % (user, port), parts.path,
                                    urllib.parse.urlencode(query), ""))


def capture(cluster, bin_dir, log_dir, repo, database):
    """Captures post_orders, post_items, get_order and list_orders; returns
    ({kind: Captured}, ids) where ids holds the capture's customer and order."""
    cluster.create_database(database)
    migrate(bin_dir, cluster.url_for(database), repo)
    upstream = urllib.parse.urlsplit(cluster.url)
    recorder = Recorder(upstream.hostname, upstream.port)
    services = {}
    captured = {}
    try:
        for label, executable in (("command", "command-service"), ("query", "query-service"),
                                  ("projector", "projector")):
            url = cluster.url_for(database, ALIASES[executable] + "-capture")
            if label != "projector":
                url = through(url, recorder.port)
            services[label] = Service(executable, bin_dir, url, log_dir, "capture-%s" % executable, repo).start()
        command, query = services["command"].port, services["query"].port

        def window(kind, action):
            start = recorder.mark()
            result = action()
            end = recorder.mark()
            captured[kind] = Captured(kind)
            for statement in recorder.between(start, end):
                if EXCLUDED.match(statement.sql):
                    captured[kind].excluded.append(statement.sql.strip())
                else:
                    captured[kind].statements.append(statement)
            return result

        def one_round(record):
            step = window if record else (lambda kind, action: action())
            customer, _ = call(command, "POST", "/customers", customer_body("capture"))
            order, _ = step("post_orders", lambda: call(command, "POST", "/orders",
                                                       order_body(customer["customer_id"])))
            item, _ = step("post_items", lambda: call(command, "POST", "/orders/%s/items" % order["order_id"], ITEM))
            # The order is projected before the reads are captured.
            call(query, "GET", "/orders/%s" % order["order_id"],
                 headers={"Consistency-Token": item["consistency_token"], "Consistency-Wait": "10000"})
            time.sleep(0.2)
            step("get_order", lambda: call(query, "GET", "/orders/%s" % order["order_id"]))
            step("list_orders", lambda: call(query, "GET", "/orders?customer_id=%s" % customer["customer_id"]))
            return {"customer_id": customer["customer_id"], "order_id": order["order_id"]}

        one_round(False)  # warm-up: pools open their connections, statements get prepared
        ids = one_round(True)
    finally:
        for service in services.values():
            service.stop()
        recorder.close()
    for kind in ("post_orders", "post_items", "get_order", "list_orders"):
        if not captured.get(kind) or not captured[kind].statements:
            raise HarnessError("the capture saw no statements for %s" % kind)
    return captured, ids


def migrate(bin_dir, url, repo):
    run([os.path.join(bin_dir, "chronicle-admin"), "migrate"], timeout=120, what="chronicle-admin migrate",
        env=dict(os.environ, DATABASE_URL=url, LOG_LEVEL="warning",
                 CHRONICLE_MIGRATIONS=os.path.join(repo, "migrations")), cwd=repo)


# The expected-version parameter of an append (AppendStatements.swift): the
# insert's base version (its version check reads base.version). The first
# pattern is the append of builds before the append became one statement.
EXPECT_VERSION = re.compile(r"chronicle_expect_version\(\$\d+, \$(\d+)\)")
BASE_VERSION = re.compile(r"SELECT \$(\d+)::int AS version")
VARIABLE = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Script:
    """A pgbench script made from one captured request."""

    def __init__(self, kind, text, defines):
        self.kind = kind
        self.text = text
        self.defines = defines  # pgbench -D name=value (constants of the capture)

    def define_args(self, extra=None):
        args = []
        for name, value in sorted(self.defines.items()) + sorted((extra or {}).items()):
            args += ["-D", "%s=%s" % (name, value)]
        return args

    def write(self, path):
        with open(path, "w") as handle:
            handle.write(self.text)
        return path


def pgbench_script(captured, *, header, ids, texts=None, version_from_read_of=None, extra_variables=()):
    """Builds the pgbench script of one captured request.

    header: pgbench meta-commands run first (\\set …)
    ids: {captured value: SQL expression}; a parameter equal to the value is
        replaced by the expression (ids that must differ per transaction)
    texts: {captured value: benchmark value}, replaced inside every other
        parameter (the capture's customer id → the benchmark's)
    version_from_read_of: a stream id; its read gets `\\aset r_` and the
        append's expected-version parameters become :r_stream_version (the
        version the transaction just read, as the service does)
    """
    texts = texts or {}
    statements = captured.statements
    defines = {}
    lines = ["-- %s: the statements one request sent, captured on the wire (bench/harness/wire.py)." % captured.kind]
    lines += header
    # Statements sent in one round trip (up to one Sync) were one libpq
    # pipeline: an append under its savepoint, a query after its freshness check.
    groups = []
    for statement in statements:
        if groups and groups[-1][-1].round_trip == statement.round_trip:
            groups[-1].append(statement)
        else:
            groups.append([statement])
    aset_done = version_from_read_of is None
    versions_done = version_from_read_of is None
    for group in groups:
        pipelined = len(group) > 1
        if pipelined:
            lines.append("\\startpipeline")
        for statement in group:
            index = statements.index(statement) + 1
            version_params = set()
            if version_from_read_of is not None:
                version_params = {int(n) for n in EXPECT_VERSION.findall(statement.sql)}
                version_params |= {int(n) for n in BASE_VERSION.findall(statement.sql)}
                if version_params:
                    versions_done = True
            sql = statement.sql.rstrip().rstrip(";")
            for n in sorted(statement.params, reverse=True):
                value = statement.params[n]
                if n in version_params:
                    replacement = ":r_stream_version"
                elif value in ids:
                    replacement = ids[value]
                elif value is None:
                    replacement = "NULL"
                else:
                    for old, new in texts.items():
                        value = value.replace(old, new)
                    for captured_id in ids:
                        if captured_id in value:
                            raise HarnessError("%s: statement %d embeds the id %s inside a parameter; the harness "
                                               "cannot vary it per transaction" % (captured.kind, index, captured_id))
                    name = "s%dp%d" % (index, n)
                    defines[name] = value
                    replacement = ":" + name
                sql = re.sub(r"\$%d(?!\d)" % n, lambda _: replacement, sql)
            terminator = ";"
            if (not aset_done and not pipelined and sql.lstrip().upper().startswith("SELECT")
                    and version_from_read_of in statement.params.values()):
                terminator = " \\aset r_"
                aset_done = True
            lines.append(sql + terminator)
        if pipelined:
            lines.append("\\endpipeline")
    if not aset_done:
        raise HarnessError("%s: no read of the stream was captured to take the expected version from"
                           % captured.kind)
    if not versions_done:
        raise HarnessError("%s: no expected-version parameter found in the append (AppendStatements changed?)"
                           % captured.kind)
    text = "\n".join(lines) + "\n"
    allowed = set(defines) | {"client_id", "r_stream_version"} | set(extra_variables)
    for line in lines:
        if line.startswith("--"):
            continue
        for name in VARIABLE.findall(line):
            if name not in allowed:
                raise HarnessError("%s: the statement text contains ':%s', which pgbench would take for a "
                                   "variable" % (captured.kind, name))
    ordered = dict(sorted(defines.items(), key=lambda item: [int(x) for x in item[0][1:].split("p")]))
    return Script(captured.kind, text, ordered)
