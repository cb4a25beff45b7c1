/// The shop bounded context: customers and their orders (API.md "Command
/// service" and "Query service"). Its domain is `ShopDomain`; this target
/// is its service side, which the executables list among their contexts.
public enum Shop {}
