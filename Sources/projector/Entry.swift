import ProjectorService

@main
struct Entry {
    static func main() async {
        await ProjectorCommand.main()
    }
}
