-- Shared by the scripts in this directory (loaded with dofile): done()
-- prints one line that bench/run.py parses. Latencies in microseconds.
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d "
        .. "timeouts=%d p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
        summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
