import Foundation
public import Hummingbird
public import Prometheus
import Wire

/// `/health/live`, `/health/ready` and `/metrics`, served by all three
/// processes.
public struct OperationsRoutes: Sendable {
    public let readiness: @Sendable () async -> ReadinessReport
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry, readiness: @escaping @Sendable () async -> ReadinessReport) {
        self.registry = registry
        self.readiness = readiness
    }

    public func add(to router: Router<AppRequestContext>) {
        router.get("/health/live") { _, _ in
            JSONResponse(ReadinessReport(ready: true, checks: ["process": "up"]))
        }
        router.get("/health/ready") { _, _ in
            let report = await readiness()
            return JSONResponse(report, status: report.ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

/// A JSON body with our coders and an explicit status.
public struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    public var value: Value
    public var status: HTTPResponse.Status
    public var headers: HTTPFields

    public init(_ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.value = value
        self.status = status
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let body = try JSONBytesEncoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
