"""The private PostgreSQL cluster and psql calls."""
import os
import subprocess
import time
import urllib.parse

from .util import HarnessError, log, run

# Settings the results file records.
SETTINGS = ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "wal_level",
            "wal_buffers", "wal_writer_delay", "commit_delay", "max_wal_size", "checkpoint_timeout",
            "shared_buffers", "effective_cache_size", "work_mem", "max_connections", "jit", "shared_preload_libraries",
            "logging_collector", "log_destination"]

# What the projector's statement capture needs (its batches are replayed from
# the log), set with ALTER SYSTEM (a restart when logging_collector changes).
# Statements are only logged in that pass (ALTER DATABASE … SET
# log_statement), so the measured runs log nothing extra.
CSVLOG = {"logging_collector": "on", "log_destination": "csvlog", "log_rotation_size": "0",
          "log_rotation_age": "0"}


def psql(url, sql, *, timeout=600, what="psql"):
    """Runs SQL (one or more statements) with psql; returns the unaligned,
    tuples-only output."""
    out, _ = run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                 timeout=timeout, what=what)
    return out.strip()


def with_database(url, database, application_name=None):
    """The cluster URL pointed at another database (and application_name)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    if application_name:
        query["application_name"] = application_name
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + database, urllib.parse.urlencode(query), ""))


class Cluster:
    """`scripts/pg-cluster.sh start DIR durable`, plus what the capture needs."""

    def __init__(self, repo, directory):
        self.repo = repo
        self.directory = directory
        self.script = os.path.join(repo, "scripts", "pg-cluster.sh")
        self.started_here = False
        self.url = None

    def start(self):
        already, _ = self._url_if_running()
        out, _ = run([self.script, "start", self.directory, "durable"], timeout=120, what="pg-cluster.sh start")
        self.url = out.strip().splitlines()[-1]
        self.started_here = not already
        log("PostgreSQL %s (%s, %s)" % (self.url, self.directory,
                                         "already running" if already else "started"))
        durable = self.show(["fsync", "synchronous_commit"])
        if durable != {"fsync": "on", "synchronous_commit": "on"}:
            raise HarnessError("the cluster in %s is not durable (%s); delete it so pg-cluster.sh creates a "
                               "durable one" % (self.directory, durable))
        current = self.show(list(CSVLOG))
        if current != CSVLOG:
            log("enabling csvlog for the statement capture (ALTER SYSTEM, restart)")
            for name, value in CSVLOG.items():
                psql(self.url, "ALTER SYSTEM SET %s = '%s'" % (name, value))
            run([self.script, "stop", self.directory], timeout=120, what="pg-cluster.sh stop")
            out, _ = run([self.script, "start", self.directory, "durable"], timeout=120,
                         what="pg-cluster.sh start")
            self.url = out.strip().splitlines()[-1]
            if self.show(list(CSVLOG)) != CSVLOG:
                raise HarnessError("csvlog settings did not take effect: %s" % self.show(list(CSVLOG)))
        self.data_directory = psql(self.url, "SHOW data_directory")

    def _url_if_running(self):
        done = subprocess.run([self.script, "url", self.directory], capture_output=True, text=True)
        return done.returncode == 0, done.stdout.strip()

    def stop_if_started_here(self):
        if self.started_here:
            subprocess.run([self.script, "stop", self.directory], capture_output=True, text=True, timeout=120)
            log("stopped the cluster in %s (this run started it)" % self.directory)

    def show(self, names):
        out = psql(self.url, "SELECT name, setting FROM pg_settings WHERE name IN (%s)"
                   % ", ".join("'%s'" % n for n in names))
        rows = dict(line.split("|", 1) for line in out.splitlines())
        # SHOW spells units (shared_buffers = 256MB); use it for the report.
        return {n: rows.get(n) for n in names}

    def settings_for_report(self):
        values = {}
        for name in SETTINGS:
            values[name] = psql(self.url, "SHOW %s" % name)
        return values

    def url_for(self, database, application_name=None):
        return with_database(self.url, database, application_name)

    def create_database(self, name):
        psql(self.url, 'CREATE DATABASE "%s"' % name)

    def drop_database(self, name):
        psql(self.url, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def prune_logs(self):
        """Starts a new log file and deletes the older ones (a logged
        catch-up writes hundreds of MB)."""
        try:
            before = psql(self.url, "SELECT pg_current_logfile('csvlog')")
            psql(self.url, "SELECT pg_rotate_logfile()")
            deadline = time.monotonic() + 5
            current = before
            while current == before and time.monotonic() < deadline:
                time.sleep(0.2)
                current = psql(self.url, "SELECT pg_current_logfile('csvlog')")
            if current == before:
                return
            log_dir = os.path.join(self.data_directory, os.path.dirname(current))
            keep = {os.path.basename(current), os.path.basename(current)[:-4] + ".log"}
            for name in os.listdir(log_dir):
                if name not in keep and name.startswith("postgresql-"):
                    os.remove(os.path.join(log_dir, name))
        except (HarnessError, OSError) as error:
            log("could not prune the server logs: %s" % error)

    def csvlog(self):
        """The current csvlog file and its size: where a capture starts."""
        relative = psql(self.url, "SELECT pg_current_logfile('csvlog')")
        if not relative:
            raise HarnessError("no csvlog file (log_destination lacks csvlog?)")
        path = relative if os.path.isabs(relative) else os.path.join(self.data_directory, relative)
        return path, os.path.getsize(path)


class Psql:
    """A psql session kept open for cheap repeated queries (polling, markers)."""

    END = "__bench_end__"

    def __init__(self, url):
        self.process = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-d", url], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

    def query(self, sql):
        self.process.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo %s\n" % self.END)
        self.process.stdin.flush()
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise HarnessError("psql session ended unexpectedly: %s" % "\n".join(lines))
            line = line.rstrip("\n")
            if line == self.END:
                break
            lines.append(line)
        errors = [l for l in lines if l.startswith(("ERROR:", "FATAL:", "psql:"))]
        if errors:
            raise HarnessError("psql: %s (for %s)" % ("; ".join(errors), sql[:200]))
        return lines

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
