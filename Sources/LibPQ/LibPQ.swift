import CLibPQ

/// A small, safe Swift wrapper over libpq, and the only module that touches
/// `CLibPQ`.
///
/// ## Where libpq waits
///
/// libpq's synchronous calls (`PQexecParams`, `PQconnectdb`, …) block the
/// calling thread until PostgreSQL answers. Swift's cooperative pool and the
/// HTTP event loops have one thread per core (two on our machines), so no
/// libpq call may block there.
///
/// Every connection therefore runs in libpq's non-blocking mode
/// (`PQsetnonblocking`, `PQconnectStart`/`PQconnectPoll`): the task the pool
/// lent it to sends (`PQsendQueryPrepared`, pipelines, `PQflush`), then
/// suspends until its socket is readable, reads (`PQconsumeInput`) and takes
/// results only while `PQisBusy` says none would block. A few
/// `SocketReactor` lanes (one per core) wait on the sockets with `epoll`;
/// the pool runs lent code on its connection's lane, so a task resumes on
/// the thread that saw its answer arrive.
///
/// Before lanes, each connection had its own OS thread that ran libpq's
/// blocking calls, and lent code ran there. Simple, but each request then
/// crossed threads (event loop → connection thread → event loop) and each
/// of 16 threads slept and woke for every round trip: the kernel's task
/// switch was the largest single item in the services' profiles. Lanes
/// have no thread per connection and, under load, collect several sockets'
/// answers per wake-up.
///
/// libpq's threading rule still holds: a connection is used by one task at
/// a time (the pool lends it to one), one call after another; which thread
/// makes the call does not matter to libpq.
///
/// Values never enter SQL text: `SQL` string interpolation turns every
/// interpolated value into a `$n` parameter.
public enum LibPQ {
    /// libpq's own version number (e.g. 150018).
    public static var libraryVersion: Int { Int(PQlibVersion()) }
}
