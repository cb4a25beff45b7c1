import Foundation
import Testing
import UUIDKit

/// UUIDKit's ids, text and parsing agree with Foundation's.
@Suite("UUIDKit")
struct UUIDKitTests {
    @Test func textIsFoundationsInLowerCaseAndParsesBack() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(UUID(canonical: id.lowercasedString) == id)
            #expect(UUID(canonical: id.uuidString) == id)
            #expect(UUID(canonical: Substring(id.uuidString)) == UUID(uuidString: id.uuidString))
            #expect(Array(id.lowercasedString.utf8).withUnsafeBytes { UUID(canonicalUTF8: $0) } == id)
        }
    }

    @Test(arguments: [
        "", "4728ea53-70ac-5ecf-b7b3-6cfd0c71aef", "4728ea53-70ac-5ecf-b7b3-6cfd0c71aef5a",
        "4728ea5370ac-5ecf-b7b3-6cfd0c71aef5a", "4728ea53-70ac-5ecf-b7b3+6cfd0c71aef5",
        "{4728ea53-70ac-5ecf-b7b3-6cfd0c71aef5}", "4728ea53-70ac-5ecf-b7b3-6cfd0c71aeg5", "4728ea53-70ac-5ecf-b7b3-6cfd0c71aé5",
    ])
    func anythingButTheCanonicalFormIsRefusedAsFoundationRefusesIt(_ text: String) {
        #expect(UUID(canonical: text) == nil)
        #expect(UUID(canonical: Substring(text)) == nil)
        #expect(Array(text.utf8).withUnsafeBytes { UUID(canonicalUTF8: $0) } == nil)
        #expect(UUID(uuidString: text) == nil)
    }

    @Test func randomIdsAreVersionFourAndDistinctAcrossPoolRefills() {
        // 4,096 bytes of pool are 256 ids: this crosses many refills.
        let ids = (0..<5_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let text = id.lowercasedString
            #expect(Array(text)[14] == "4", "version nibble of \(text)")
            #expect("89ab".contains(Array(text)[19]), "variant of \(text)")
        }
        // Not stuck at a value: every hex digit turns up in every free position.
        let free = (0..<36).filter { ![8, 13, 14, 18, 19, 23].contains($0) }
        for position in free {
            #expect(Set(ids.map { Array($0.lowercasedString)[position] }).count == 16, "position \(position)")
        }
    }
}
