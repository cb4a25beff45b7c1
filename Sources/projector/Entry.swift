import Accounts
import Catalog
import ProjectorService
import Shop

@main
struct Entry {
    static func main() async {
        await ProjectorCommand.main(contexts: [Shop.self, Catalog.self, Accounts.self])
    }
}
