import EventSourcing
import Prometheus

/// One projection's series in `/metrics`:
/// `chronicle_projection_checkpoint{projection}` (global position),
/// `chronicle_projection_lag_events`, `chronicle_projection_lag_seconds`,
/// `chronicle_projection_events_applied_total`,
/// `chronicle_projection_events_failed_total`,
/// `chronicle_projection_batches_retried_total` (batches that failed and were
/// retried one event at a time), `chronicle_projection_failed`
/// (1 while stopped at a poison event), `chronicle_projection_stalled` (1
/// while this copy holds the lease, lag is above zero and the checkpoint has
/// not moved for the stall threshold: the one to alert on) and
/// `chronicle_projection_stalled_seconds` (how long it has made no progress
/// with events waiting).
struct ProjectionMetrics: Sendable {
    let checkpointGauge: Gauge
    let lagEvents: Gauge
    let lagSeconds: Gauge
    let appliedTotal: Counter
    let failedTotal: Counter
    let retriedBatches: Counter
    let failedGauge: Gauge
    let stalledGauge: Gauge
    let noProgressSeconds: Gauge

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
        retriedBatches = registry.makeCounter(
            descriptor: descriptor("batches_retried", "total", "Batches that failed and were retried one event at a time"),
            labels: labels)
        failedGauge = registry.makeGauge(
            descriptor: descriptor("failed", "", "1 while the projection is stopped at an event it cannot apply"),
            labels: labels)
        stalledGauge = registry.makeGauge(
            descriptor: descriptor("stalled", "", "1 while events wait and the checkpoint has not moved for the stall threshold"),
            labels: labels)
        noProgressSeconds = registry.makeGauge(
            descriptor: descriptor("stalled", "seconds", "How long events have waited with the checkpoint not moving"),
            labels: labels)
    }

    func checkpoint(_ position: LogPosition) { checkpointGauge.set(Double(position.globalPosition)) }

    func applied(_ count: Int, checkpoint position: LogPosition) {
        appliedTotal.increment(by: Int64(count))
        checkpoint(position)
    }

    func failed() { failedTotal.increment() }

    func batchRetried() { retriedBatches.increment() }

    func phase(_ isFailed: Bool) { failedGauge.set(isFailed ? 1.0 : 0.0) }

    func progress(_ verdict: StallWatch.Verdict) {
        stalledGauge.set(verdict.stalled ? 1.0 : 0.0)
        noProgressSeconds.set(verdict.secondsWithoutProgress)
    }

    func lag(events: Int, seconds: Double) {
        lagEvents.set(Double(events))
        lagSeconds.set(seconds)
    }
}
