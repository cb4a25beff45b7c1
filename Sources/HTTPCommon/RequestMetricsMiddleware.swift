public import Hummingbird
public import Prometheus
import Synchronization

/// Counts requests and records their latency per route, method and status,
/// straight into a Prometheus registry (so each app, and each test, has its
/// own numbers).
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let registry: PrometheusCollectorRegistry
    private let instruments = InstrumentCache()

    /// Latency buckets from 0.5 ms to 10 s.
    static var buckets: [Duration] {
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
            .map { Duration.nanoseconds(Int64($0 * 1e9)) }
    }

    static var requestsTotal: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered")
    }

    static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "http_request_duration", unitName: "seconds",
                             helpText: "Time to produce the response")
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: started)
            return response
        } catch {
            let status = ProblemMiddleware<Context>.problem(for: error, logger: nil).statusCode
            record(request, context, status: status, since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let labels = [
            ("route", context.endpointPath ?? "unmatched"),
            ("method", request.method.rawValue),
            ("status", String(status)),
        ]
        let key = labels.map(\.1).joined(separator: " ")
        let (counter, histogram) = instruments.get(key) {
            (registry.makeCounter(descriptor: Self.requestsTotal, labels: labels),
             registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: labels, buckets: Self.buckets))
        }
        counter.increment()
        histogram.record(ContinuousClock.now - started)
    }
}

private final class InstrumentCache: Sendable {
    private let cache = Mutex<[String: (Counter, DurationHistogram)]>([:])

    func get(_ key: String, make: () -> (Counter, DurationHistogram)) -> (Counter, DurationHistogram) {
        cache.withLock { cache in
            if let found = cache[key] { return found }
            let made = make()
            cache[key] = made
            return made
        }
    }
}
