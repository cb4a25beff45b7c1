public import EventSourcing
import ShopDomain

/// The shop bounded context: customers and their orders (API.md "Command
/// service" and "Query service"). Its domain is `ShopDomain`; this target
/// is its service side, which the executables list among their contexts.
public enum Shop {}

/// The streams the context writes, for the event feed's filters.
extension Shop: StreamDeclaring {
    public static let declaredStreams = [Customer.declaredStream, Order.declaredStream]
}
