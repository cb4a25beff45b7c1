public import EventSourcing
import CatalogDomain

/// The catalog bounded context: items named by their sku (API.md
/// "Catalog: items"). Its domain is `CatalogDomain`; this target is its
/// service side — command routes, the items projection and its queries —
/// which the executables list among their contexts.
public enum Catalog {}

/// The streams the context writes, for the event feed's filters.
extension Catalog: StreamDeclaring {
    public static let declaredStreams = [Item.declaredStream]
}
