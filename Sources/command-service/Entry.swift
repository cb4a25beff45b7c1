import Accounts
import Catalog
import CommandService
import NIOCore
import NIOPosix
import Shop

@main
struct Entry {
    static func main() async {
        // Swift concurrency runs on NIO's event loop threads, the ones that
        // serve HTTP: a request no longer hops between the event loop and a
        // separate cooperative pool (a context switch each way). Safe because
        // nothing blocks there; libpq's blocking calls run on each
        // connection's own thread. Installed first thing, on the main
        // thread, before any task reaches the global executor.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await CommandServiceCommand.main(contexts: [Shop.self, Catalog.self, Accounts.self])
    }
}
