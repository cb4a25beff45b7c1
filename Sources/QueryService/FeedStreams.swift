import Prometheus
import Synchronization

/// The live streams a query-service process serves: at most `limit` at
/// once, and the feed's metrics: `chronicle_feed_streams_open`,
/// `chronicle_feed_streams_refused_total` (503s at the limit),
/// `chronicle_feed_events_sent_total` and
/// `chronicle_feed_slow_consumers_closed_total` (streams closed after the
/// idle timeout with the client reading nothing).
final class FeedStreams: Sendable {
    let limit: Int
    private let open = Mutex(0)
    private let openGauge: Gauge
    private let refusedTotal: Counter
    private let eventsSentTotal: Counter
    private let slowClosedTotal: Counter

    init(limit: Int, registry: PrometheusCollectorRegistry) {
        self.limit = limit
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "chronicle", subsystem: "feed", metricName: name, unitName: unit, helpText: help)
        }
        openGauge = registry.makeGauge(descriptor: descriptor("streams", "open", "Live event streams being served"))
        refusedTotal = registry.makeCounter(descriptor: descriptor("streams_refused", "total",
                                                                   "Live streams refused at the limit (503)"))
        eventsSentTotal = registry.makeCounter(descriptor: descriptor("events_sent", "total",
                                                                      "Events written to live streams"))
        slowClosedTotal = registry.makeCounter(descriptor: descriptor(
            "slow_consumers_closed", "total", "Live streams closed because the client read nothing for the idle timeout"))
        openGauge.set(Double(0))
    }

    /// Takes a place for a new stream; false (and counted) at the limit.
    func admit() -> Bool {
        let admitted = open.withLock { open -> Int? in
            guard open < limit else { return nil }
            open += 1
            return open
        }
        guard let count = admitted else {
            refusedTotal.increment()
            return false
        }
        openGauge.set(Double(count))
        return true
    }

    func release() {
        openGauge.set(Double(open.withLock { open in
            open -= 1
            return open
        }))
    }

    func sent(_ events: Int) { eventsSentTotal.increment(by: Int64(events)) }

    func closedSlowConsumer() { slowClosedTotal.increment() }
}
