"""Projector catch-up over a preloaded log, the same batches replayed
directly with psql, and chronicle-admin rebuild-projection --all."""
import os
import shutil
import subprocess
import sys
import time

from . import pg
from .cpu import children_seconds, process_seconds
from .capture import migrate
from .services import Service
from .util import HarnessError, log, run, tail

WRITE_SIDE = ("events", "projection_checkpoints", "schema_migrations", "unique_claims", "idempotency_keys")


def head_condition(names):
    quoted = ", ".join("'%s'" % n for n in names)
    return """
        SELECT count(*) FILTER (WHERE (c.transaction_id, c.global_position) >= (h.transaction_id, h.global_position)),
               count(*) FILTER (WHERE c.state = 'failed'), coalesce(string_agg(c.last_error, '; '), '')
        FROM projection_checkpoints c
        LEFT JOIN (SELECT transaction_id, global_position FROM events
                   ORDER BY transaction_id DESC, global_position DESC LIMIT 1) h ON true
        WHERE c.name IN (%s)""" % quoted


def wait_caught_up(session, names, timeout, poll=0.05, alive=None):
    """Polls until every projection in `names` is at the head of the log;
    returns the time it took."""
    query = head_condition(names)
    started = time.monotonic()
    while True:
        done, failed, errors = session.query(query)[0].split("|", 2)
        if int(failed):
            raise HarnessError("a projection failed: %s" % errors)
        if int(done) == len(names):
            return time.monotonic() - started
        if alive is not None and not alive():
            raise HarnessError("the projector exited before catching up")
        if time.monotonic() - started > timeout:
            raise HarnessError("projections not caught up after %d s" % timeout)
        time.sleep(poll)


def read_tables(url):
    out = pg.psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN (%s) "
                       "ORDER BY tablename" % ", ".join("'%s'" % t for t in WRITE_SIDE))
    return out.split()


def fingerprint(url):
    """Row counts of the read tables: the replay must reproduce them."""
    tables = read_tables(url)
    out = pg.psql(url, "SELECT " + ", ".join('(SELECT count(*) FROM public."%s")' % t for t in tables))
    return dict(zip(tables, (int(v) for v in out.split("|"))))


def reset(repo, url, names):
    """Empties the read tables and checkpoints (bench/tools/reset_projections.sh),
    then creates the checkpoint rows at the start of the log as the
    projector's start-up does."""
    run([os.path.join(repo, "bench", "tools", "reset_projections.sh"), url], timeout=600,
        what="reset_projections.sh")
    pg.psql(url, "INSERT INTO projection_checkpoints (name) VALUES %s ON CONFLICT (name) DO NOTHING"
            % ", ".join("('%s')" % n for n in names))
    pg.psql(url, "CHECKPOINT")


def run_projector(bin_dir, url, log_dir, label, repo, names, session, timeout):
    """Starts a projector and times it from its start until every projection
    is at the head of the log; returns (seconds, RSS KiB at the end, CPU
    seconds the projector used from its start)."""
    projector = Service("projector", bin_dir, url, log_dir, label, repo)
    started = time.monotonic()
    projector.start(timeout=timeout)
    wait_caught_up(session, names, timeout, alive=projector.alive)
    seconds = time.monotonic() - started
    cpu_seconds = process_seconds(projector.pid)
    rss = projector.rss_kib()
    status = projector.stop()
    if status != 0:
        raise HarnessError("%s exited %s after SIGTERM; its log:\n%s" % (label, status, tail(projector.log_text())))
    return seconds, rss, cpu_seconds


def catchup(cluster, bin_dir, repo, workdir, log_dir, database, units, names, timeout):
    result = {"units": units}
    cluster.create_database(database)
    url = cluster.url_for(database)
    migrate(bin_dir, url, repo)
    log("preloading %s events (%s units × 8)" % ("{:,}".format(units * 8), "{:,}".format(units)))
    started = time.monotonic()
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "units=%d" % units, "-d", url,
         "-f", os.path.join(repo, "bench", "sql", "preload_events.sql")], timeout=3600, what="preload_events.sql")
    pg.psql(url, "VACUUM (ANALYZE) events")
    pg.psql(url, "CHECKPOINT")
    result["preload_seconds"] = time.monotonic() - started
    result["events"] = int(pg.psql(url, "SELECT count(*) FROM events"))
    session = pg.Psql(cluster.url_for(database, "bench-poll"))
    try:
        # 1. The projector from empty checkpoints.
        log("projector catch-up (timed)")
        result["projector_seconds"], result["projector_rss_kib"], result["projector_cpu_seconds"] = run_projector(
            bin_dir, cluster.url_for(database, "cbench-proj-catchup"), log_dir, "catchup-projector", repo,
            names, session, timeout)
        expected = fingerprint(url)
        result["fingerprint"] = expected

        # 2. The same again with every statement logged, for the replay.
        log("projector catch-up with statement logging (capture for the direct SQL loop)")
        reset(repo, url, names)
        pg.psql(cluster.url, 'ALTER DATABASE "%s" SET log_statement = \'all\'' % database)
        pg.psql(cluster.url, 'ALTER DATABASE "%s" SET log_parameter_max_length = -1' % database)
        path, offset = cluster.csvlog()
        try:
            result["capture_seconds"], _, _ = run_projector(
                bin_dir, cluster.url_for(database, "cbench-proj-capture"), log_dir, "capture-projector", repo,
                names, session, timeout)
        finally:
            pg.psql(cluster.url, 'ALTER DATABASE "%s" RESET ALL' % database)
        replay_dir = os.path.join(workdir, "replay")
        out, _ = run([sys.executable, os.path.join(repo, "bench", "tools", "replay_from_csvlog.py"), path, replay_dir,
                      "--database", database, "--offset", str(offset), "--skip-app", "bench-poll"],
                     timeout=3600, what="replay_from_csvlog.py")
        result["replay_summary"] = out.strip()
        result["capture_log_bytes"] = os.path.getsize(path) - offset
        cluster.prune_logs()
        scripts = sorted(os.path.join(replay_dir, n + ".sql") for n in names)
        missing = [s for s in scripts if not os.path.exists(s)]
        if missing:
            raise HarnessError("the capture gave no replay script for %s (%s)" % (missing, out.strip()))

        # 3. The captured batches run directly, one psql per projection, concurrently.
        log("direct SQL loop (psql replays of the projector's batches, concurrently)")
        reset(repo, url, names)
        started = time.monotonic()
        processes = [subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-o", "/dev/null", "-d", url, "-f", script],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                     for script in scripts]
        failures = []
        for script, process in zip(scripts, processes):
            try:
                _, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                for other in processes:
                    other.kill()
                raise HarnessError("the direct SQL replay took longer than %d s" % timeout)
            if process.returncode != 0:
                failures.append("%s: %s" % (os.path.basename(script), tail(err, 5)))
        result["raw_seconds"] = time.monotonic() - started
        if failures:
            raise HarnessError("the direct SQL replay failed:\n" + "\n".join(failures))
        wait_caught_up(session, names, 5)
        replayed = fingerprint(url)
        if replayed != expected:
            raise HarnessError("the direct SQL replay did not reproduce the projector's tables:\n%s\n%s"
                               % (expected, replayed))
        result["raw_script_bytes"] = sum(os.path.getsize(s) for s in scripts)
        shutil.rmtree(replay_dir, ignore_errors=True)

        # 4. chronicle-admin rebuild-projection --all on the caught-up database.
        log("chronicle-admin rebuild-projection --all (timed)")
        pg.psql(url, "CHECKPOINT")
        started, cpu_before = time.monotonic(), children_seconds()
        run([os.path.join(bin_dir, "chronicle-admin"), "rebuild-projection", "--all"], timeout=timeout,
            what="chronicle-admin rebuild-projection --all",
            env=dict(os.environ, DATABASE_URL=cluster.url_for(database, "bench-rebuild"), LOG_LEVEL="warning",
                     CHRONICLE_MIGRATIONS=os.path.join(repo, "migrations")), cwd=repo)
        result["rebuild_seconds"] = time.monotonic() - started
        result["rebuild_cpu_seconds"] = children_seconds() - cpu_before
        rebuilt = fingerprint(url)
        result["rebuild_matches"] = rebuilt == expected
        if not result["rebuild_matches"]:
            result["rebuild_fingerprint"] = rebuilt
    finally:
        session.close()
    return result
