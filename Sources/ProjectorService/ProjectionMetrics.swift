import EventSourcing
import Prometheus

/// One projection's series in `/metrics`:
/// `chronicle_projection_checkpoint{projection}` (global position),
/// `chronicle_projection_lag_events`, `chronicle_projection_lag_seconds`,
/// `chronicle_projection_events_applied_total`,
/// `chronicle_projection_events_failed_total`.
struct ProjectionMetrics: Sendable {
    let checkpointGauge: Gauge
    let lagEvents: Gauge
    let lagSeconds: Gauge
    let appliedTotal: Counter
    let failedTotal: Counter

    init(projection: String, registry: PrometheusCollectorRegistry) {
        let labels = [("projection", projection)]
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "chronicle", subsystem: "projection", metricName: name, unitName: unit,
                                 helpText: help)
        }
        checkpointGauge = registry.makeGauge(
            descriptor: descriptor("checkpoint", "position", "Global position of the last applied event"), labels: labels)
        lagEvents = registry.makeGauge(
            descriptor: descriptor("lag", "events", "Committed events not yet applied"), labels: labels)
        lagSeconds = registry.makeGauge(
            descriptor: descriptor("lag", "seconds", "Age of the oldest event not yet applied"), labels: labels)
        appliedTotal = registry.makeCounter(
            descriptor: descriptor("events_applied", "total", "Events applied"), labels: labels)
        failedTotal = registry.makeCounter(
            descriptor: descriptor("events_failed", "total", "Events the projection could not apply (poison)"),
            labels: labels)
    }

    func checkpoint(_ position: LogPosition) { checkpointGauge.set(Double(position.globalPosition)) }

    func applied(_ count: Int, checkpoint position: LogPosition) {
        appliedTotal.increment(by: Int64(count))
        checkpoint(position)
    }

    func failed() { failedTotal.increment() }

    func lag(events: Int, seconds: Double) {
        lagEvents.set(Double(events))
        lagSeconds.set(seconds)
    }
}
