import CommandService

@main
struct Entry {
    static func main() async {
        await CommandServiceCommand.main()
    }
}
