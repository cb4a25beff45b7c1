public import Wire

extension TextRule {
    public static let personName = TextRule(maxLength: 200)
    public static let addressField = TextRule(maxLength: 200)
    public static let cancellationReason = TextRule(maxLength: 500)
    /// A shipment's carrier and tracking number.
    public static let shipmentDetail = TextRule(maxLength: 200)
}
