public import Prometheus

/// What the connection machinery counts: connections open, connections the
/// server closed (by reason), and requests answered before routing (by
/// status), which `http_requests_total` never sees.
public struct ConnectionMetrics: Sendable {
    public enum CloseReason: String, Sendable, CaseIterable {
        /// Over the cap: closed to make room for a new connection.
        case evicted
        /// Over the cap with every connection busy: answered 503.
        case refused
        /// Over the cap and the refusal allowance: closed unanswered.
        case dropped
        case idleTimeout = "idle_timeout"
        case headerTimeout = "header_timeout"
        case readTimeout = "read_timeout"
        case writeTimeout = "write_timeout"
    }

    private let open: Gauge
    private let closedTotal: [CloseReason: Counter]
    private let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        open = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "http_connections", unitName: "open", helpText: "HTTP connections being served"), labels: [])
        let closed = MetricNameDescriptor(metricName: "http_connections_closed", unitName: "total",
                                          helpText: "HTTP connections the server closed or refused, by reason")
        closedTotal = Dictionary(uniqueKeysWithValues: CloseReason.allCases.map { reason in
            (reason, registry.makeCounter(descriptor: closed, labels: [("reason", reason.rawValue)]))
        })
    }

    private static var rejectedTotal: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "http_requests_rejected", unitName: "total",
                             helpText: "Requests answered before routing (malformed, too large, too slow, over capacity)")
    }

    func opened() { open.increment() }
    func released() { open.decrement() }
    func closed(_ reason: CloseReason) { closedTotal[reason]?.increment() }

    func rejected(status: Int) {
        registry.makeCounter(descriptor: Self.rejectedTotal, labels: [("status", String(status))]).increment()
    }
}
