/// The accounts bounded context: companies and their users (API.md
/// "Accounts: companies and their users"). Its domain is `AccountsDomain`;
/// this target is its service side, which the executables list among their
/// contexts.
public enum Accounts {}
