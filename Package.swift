// swift-tools-version:6.0
import PackageDescription

// Layers (see README "Layout"): executables → contexts → services → adapters →
// domains → core. Each target imports only targets below it; the generic
// services name no context: the executables list the contexts they serve.
// Every import is internal unless written `public import`: a module's public
// API names another module's types only deliberately.
let strictImports: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "Chronicle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "command-service", targets: ["command-service"]),
        .executable(name: "query-service", targets: ["query-service"]),
        .executable(name: "projector", targets: ["projector"]),
        .executable(name: "chronicle-admin", targets: ["chronicle-admin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // core
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "UUIDKit", swiftSettings: strictImports),
        .target(name: "LibPQ", dependencies: [
            "CLibPQ", "UUIDKit",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strictImports),
        .target(name: "EventSourcing", dependencies: ["UUIDKit"], swiftSettings: strictImports),
        // wire values, pure: JSON, field reading, timestamps, text rules, event payloads
        .target(name: "Wire", dependencies: ["EventSourcing"], swiftSettings: strictImports),
        // domains, pure: each context's deciders, events and values
        .target(name: "ShopDomain", dependencies: ["EventSourcing", "Wire"], swiftSettings: strictImports),
        .target(name: "CatalogDomain", dependencies: ["EventSourcing", "Wire"], swiftSettings: strictImports),
        .target(name: "AccountsDomain", dependencies: ["EventSourcing", "Wire"], swiftSettings: strictImports),
        // adapters
        .target(name: "PostgresEventStore", dependencies: ["EventSourcing", "Wire", "LibPQ"], swiftSettings: strictImports),
        .target(name: "ReadModel", dependencies: ["EventSourcing", "Wire", "LibPQ"], swiftSettings: strictImports),
        // the event feed's reading, live following and wire form, for the
        // query service's GET /events and chronicle-admin tail (no HTTP)
        .target(name: "EventFeed", dependencies: ["EventSourcing", "Wire", "PostgresEventStore", "LibPQ"],
                swiftSettings: strictImports),
        // services
        .target(name: "HTTPCommon", dependencies: [
            "LibPQ", "PostgresEventStore", "Wire",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strictImports),
        .target(name: "CommandService", dependencies: [
            "HTTPCommon", "EventSourcing", "Wire", "PostgresEventStore", "LibPQ",
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: strictImports),
        .target(name: "QueryService", dependencies: [
            "HTTPCommon", "EventSourcing", "EventFeed", "Wire", "ReadModel", "PostgresEventStore", "LibPQ",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strictImports),
        .target(name: "ProjectorService", dependencies: [
            "HTTPCommon", "EventSourcing", "Wire", "ReadModel", "PostgresEventStore", "LibPQ",
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: strictImports),
        .target(name: "AdminCLI", dependencies: [
            "EventSourcing", "EventFeed", "PostgresEventStore", "ReadModel", "LibPQ",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strictImports),
        // contexts' service sides: routes, commands, projections, queries
        .target(name: "Shop", dependencies: [
            "ShopDomain", "EventSourcing", "Wire", "LibPQ", "ReadModel", "HTTPCommon", "CommandService", "QueryService",
        ], swiftSettings: strictImports),
        .target(name: "Catalog", dependencies: [
            "CatalogDomain", "EventSourcing", "Wire", "LibPQ", "ReadModel", "HTTPCommon", "CommandService", "QueryService",
        ], swiftSettings: strictImports),
        .target(name: "Accounts", dependencies: [
            "AccountsDomain", "EventSourcing", "Wire", "LibPQ", "ReadModel", "HTTPCommon", "CommandService", "QueryService",
        ], swiftSettings: strictImports),
        // executables: parse arguments, build, run
        .executableTarget(name: "command-service", dependencies: [
            "CommandService", "Shop", "Catalog", "Accounts", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: strictImports),
        .executableTarget(name: "query-service", dependencies: [
            "QueryService", "Shop", "Catalog", "Accounts", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: strictImports),
        .executableTarget(name: "projector", dependencies: ["ProjectorService", "Shop", "Catalog", "Accounts"], swiftSettings: strictImports),
        .executableTarget(name: "chronicle-admin", dependencies: ["AdminCLI", "Shop", "Catalog", "Accounts"], swiftSettings: strictImports),
        // tests
        .target(name: "TestSupport", dependencies: ["EventSourcing", "LibPQ", "PostgresEventStore", "ReadModel", "ShopDomain", "Wire"], path: "Tests/TestSupport", swiftSettings: strictImports),
        .testTarget(name: "LibPQTests", dependencies: ["LibPQ", "UUIDKit", "TestSupport"], swiftSettings: strictImports),
        .testTarget(name: "EventSourcingTests", dependencies: ["EventSourcing", "PostgresEventStore", "TestSupport"], swiftSettings: strictImports),
        .testTarget(name: "CatalogDomainTests", dependencies: ["CatalogDomain", "EventSourcing", "Wire", "TestSupport"],
                    swiftSettings: strictImports),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "CatalogDomain", "EventSourcing", "LibPQ", "ReadModel", "Wire", "TestSupport"],
                    swiftSettings: strictImports),
        .testTarget(name: "AccountsDomainTests", dependencies: ["AccountsDomain", "EventSourcing", "Wire", "TestSupport"],
                    swiftSettings: strictImports),
        .testTarget(name: "ShopDomainTests", dependencies: ["ShopDomain", "Shop", "Wire", "EventSourcing", "TestSupport"], swiftSettings: strictImports),
        .testTarget(name: "ReadModelTests", dependencies: ["ReadModel", "Shop", "ShopDomain", "Wire", "EventSourcing", "LibPQ", "TestSupport"], swiftSettings: strictImports),
        .testTarget(name: "AccountsTests", dependencies: [
            "ReadModel", "Accounts", "AccountsDomain", "Wire", "EventSourcing", "LibPQ", "TestSupport",
            // The routes, driven in-process through the real services' routers.
            "HTTPCommon", "CommandService", "QueryService", "PostgresEventStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strictImports),
        .testTarget(name: "ServiceTests", dependencies: [
            "HTTPCommon", "CommandService", "QueryService", "ProjectorService", "AdminCLI", "EventFeed", "Shop", "Catalog", "Accounts", "Wire", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: strictImports),
    ]
)
