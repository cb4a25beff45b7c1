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
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: descriptor(name, unit, help), labels: labels)
        }
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: descriptor(name, "total", help), labels: labels)
        }
        checkpointGauge = gauge("checkpoint", "position", "Global position of the last applied event")
        lagEvents = gauge("lag", "events", "Committed events not yet applied")
        lagSeconds = gauge("lag", "seconds", "Age of the oldest event not yet applied")
        appliedTotal = counter("events_applied", "Events applied")
        failedTotal = counter("events_failed", "Events the projection could not apply (poison)")
        retriedBatches = counter("batches_retried", "Batches that failed and were retried one event at a time")
        failedGauge = gauge("failed", "", "1 while the projection is stopped at an event it cannot apply")
        stalledGauge = gauge("stalled", "", "1 while events wait and the checkpoint has not moved for the stall threshold")
        noProgressSeconds = gauge("stalled", "seconds", "How long events have waited with the checkpoint not moving")
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
