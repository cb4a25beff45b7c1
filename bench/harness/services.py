"""Chronicle's processes as children of the harness: start on free ports,
wait until ready, read their memory, stop them with SIGTERM."""
import contextlib
import http.client
import json
import os
import signal
import subprocess
import time

from .util import HarnessError, free_port, log, rss_kib, tail

RUNNING = []  # every child still to be stopped, for cleanup on any failure

# The harness runs the executables through symlinks with names of their own
# (process name and command line), so that someone stopping their own
# `command-service` by name on the same machine (pkill, killall) does not stop
# the benchmark's. The database URLs' application_names avoid those words too.
ALIASES = {"command-service": "cbench-write", "query-service": "cbench-read", "projector": "cbench-proj"}


def aliased(bin_dir, executable, alias_dir):
    target = os.path.realpath(os.path.join(bin_dir, executable))
    if not os.access(target, os.X_OK):
        raise HarnessError("%s not found" % target)
    os.makedirs(alias_dir, exist_ok=True)
    link = os.path.join(alias_dir, ALIASES.get(executable, executable))
    if os.path.islink(link) or os.path.exists(link):
        os.remove(link)
    os.symlink(target, link)
    return link


class Service:
    def __init__(self, executable, bin_dir, database_url, log_dir, label, repo, extra=()):
        self.executable = executable
        self.path = aliased(bin_dir, executable, os.path.join(log_dir, "bin"))
        self.database_url = database_url
        self.label = label
        self.log_path = os.path.join(log_dir, "%s.log" % label)
        self.repo = repo
        self.extra = list(extra)
        self.process = None
        self.port = None

    def start(self, timeout=60):
        """Starts on a free port and waits for /health/ready; retries on
        another port if the chosen one was taken meanwhile."""
        for attempt in range(3):
            self.port = free_port()
            env = dict(os.environ, LOG_LEVEL="warning", CHRONICLE_MIGRATIONS=os.path.join(self.repo, "migrations"))
            env.pop("DATABASE_URL", None)
            env.pop("PORT", None)
            logfile = open(self.log_path, "a")
            self.process = subprocess.Popen(
                [self.path, "--database-url", self.database_url, "--port", str(self.port),
                 "--log-level", "warning"] + self.extra,
                cwd=self.repo, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
            logfile.close()
            RUNNING.append(self)
            if self.wait_ready(timeout):
                return self
            self.stop()
            if "Address already in use" not in self.log_text():
                break
        raise HarnessError("%s did not become ready; its log (%s):\n%s"
                           % (self.label, self.log_path, tail(self.log_text())))

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                status, _, _ = request("127.0.0.1", self.port, "GET", "/health/ready", timeout=2)
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    @property
    def pid(self):
        return self.process.pid

    @contextlib.contextmanager
    def paused(self):
        """SIGSTOP for the block, SIGCONT after it, however it ends: the raw
        side's pgbench steps measure the captured SQL alone, without the
        projector projecting their events on the same cores and server."""
        self.check()
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def rss_kib(self):
        self.check()
        return rss_kib(self.process.pid)

    def check(self):
        """Raises when the process has exited although the harness did not stop it."""
        if self.process is None or self.process.poll() is not None:
            status = self.process and self.process.returncode
            raise HarnessError(
                "%s (pid %s) exited with status %s although the harness had not stopped it%s; its log (%s):\n%s"
                % (self.label, self.process and self.process.pid, status,
                   " (a graceful exit: something sent it SIGTERM/SIGINT, or it shut down by itself)"
                   if status == 0 else "", self.log_path, tail(self.log_text())))

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log("%s did not exit %d s after SIGTERM; killing it" % (self.label, timeout))
                self.process.kill()
                self.process.wait()
        if self in RUNNING:
            RUNNING.remove(self)
        return self.process.returncode


def stop_all():
    for service in list(RUNNING):
        if service.process is not None and service.process.poll() is not None:
            log("%s had exited with status %s before the end; its log (%s):\n%s"
                % (service.label, service.process.returncode, service.log_path, tail(service.log_text())))
        try:
            service.stop(timeout=15)
        except Exception as error:  # cleanup goes on
            log("stopping %s: %s" % (service.label, error))


def request(host, port, method, path, body=None, headers=None, timeout=30):
    """One HTTP request on a fresh connection: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        payload = json.dumps(body) if body is not None else None
        all_headers = dict(headers or {})
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, payload, all_headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def call(port, method, path, body=None, headers=None, expect=(200, 201)):
    """A request whose success the harness depends on: the JSON answer."""
    status, answer_headers, data = request("127.0.0.1", port, method, path, body, headers)
    if status not in expect:
        raise HarnessError("%s %s answered %d: %s" % (method, path, status, data[:500]))
    return json.loads(data) if data else None, answer_headers
