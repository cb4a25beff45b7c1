public import EventSourcing
import AccountsDomain

/// The accounts bounded context: companies and their users (API.md
/// "Accounts: companies and their users"). Its domain is `AccountsDomain`;
/// this target is its service side, which the executables list among their
/// contexts.
public enum Accounts {}

/// The streams the context writes, for the event feed's filters.
extension Accounts: StreamDeclaring {
    public static let declaredStreams = [Company.declaredStream, User.declaredStream]
}
