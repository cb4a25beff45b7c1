import AdminCLI

@main
struct Entry {
    static func main() async {
        await AdminCommand.main()
    }
}
