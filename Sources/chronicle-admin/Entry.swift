import AdminCLI
import Accounts
import Catalog
import Shop

@main
struct Entry {
    static func main() async {
        await AdminCommand.main(contexts: [Shop.self, Catalog.self, Accounts.self])
    }
}
