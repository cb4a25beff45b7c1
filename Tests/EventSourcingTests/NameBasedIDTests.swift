import EventSourcing
import Foundation
import Testing

@Suite("Name-based stream ids (UUID version 5)")
struct NameBasedIDTests {
    static let url = UUID(uuidString: "6ba7b811-9dad-11d1-80b4-00c04fd430c8")!  // RFC 9562 NameSpace_URL
    static let dns = UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!  // RFC 9562 NameSpace_DNS

    /// Expected values from Python's `uuid.uuid5`; "www.example.com" in DNS
    /// is RFC 9562's own example (appendix A.4).
    @Test(arguments: [(dns, "www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2"),
                      (url, "https://chronicle.dev/catalog/items", "4728ea53-70ac-5ecf-b7b3-6cfd0c71aef5"),
                      (url, "", "1b4db7eb-4057-5ddf-91e0-36dec72071f5")])
    func matchesTheStandard(_ namespace: UUID, _ name: String, _ expected: String) {
        #expect(UUID(nameBased: name, in: namespace).uuidString.lowercased() == expected)
    }

    @Test func longNamesSpanSeveralBlocks() {
        // 1,000 bytes: 16 SHA-1 blocks, the length field in the last.
        #expect(UUID(nameBased: String(repeating: "a", count: 1000), in: Self.url).uuidString.lowercased()
            == "7f46a8f9-f8ba-5a67-983a-ffc2101475df")
    }
}
