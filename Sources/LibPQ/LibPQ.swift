import CLibPQ

/// A small, safe Swift wrapper over libpq, and the only module that touches
/// `CLibPQ`.
///
/// ## Where blocking calls run
///
/// libpq's synchronous calls (`PQexecParams`, `PQconnectdb`, …) block the
/// calling thread until PostgreSQL answers. Swift's cooperative thread pool has
/// one thread per core (two on our machines), so a single slow query running
/// there would stall every other task in the process, HTTP handlers included.
///
/// We therefore give **every connection its own OS thread**
/// (`ConnectionThread`). All libpq calls for a connection run on that thread
/// and nowhere else; async callers only suspend on a continuation until the
/// thread hands back the result. We chose this over driving libpq's
/// non-blocking API from socket readiness because:
/// - it keeps libpq's simple blocking calls (pipelines and prepared statements
///   work unchanged), with far less code to get wrong;
/// - one thread per connection is libpq's threading rule ("a connection is
///   never used by two threads at once") made structural;
/// - the pool bounds the number of connections, hence of threads; an idle
///   thread costs a parked stack and no CPU.
/// The cost is one thread hand-off per call (microseconds), small next to a
/// PostgreSQL round trip.
///
/// Values never enter SQL text: `SQL` string interpolation turns every
/// interpolated value into a `$n` parameter.
public enum LibPQ {
    /// libpq's own version number (e.g. 150018).
    public static var libraryVersion: Int { Int(PQlibVersion()) }
}
