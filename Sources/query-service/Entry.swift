import QueryService

@main
struct Entry {
    static func main() async {
        await QueryServiceCommand.main()
    }
}
