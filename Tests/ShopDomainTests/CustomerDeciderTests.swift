import EventSourcing
import Foundation
import ShopDomain
import TestSupport
import Testing

@Suite("Customer decider")
struct CustomerDeciderTests {
    let spec = DeciderSpec(Customer.self)
    let registered: [Customer.Event] = [.registered(name: "Ada Lovelace", email: "Ada@Example.org", at: Time.t0)]

    @Test func registersANewCustomer() {
        spec.given([])
            .when(.register(name: "Ada Lovelace", email: "Ada@Example.org", at: Time.t0))
            .then([.registered(name: "Ada Lovelace", email: "Ada@Example.org", at: Time.t0)])
    }

    @Test func refusesToRegisterTwice() {
        spec.given(registered)
            .when(.register(name: "Ada King", email: "ada@example.org", at: Time.t1))
            .thenRejects(.alreadyRegistered)
    }

    @Test func renamesARegisteredCustomer() {
        spec.given(registered)
            .when(.rename(name: "Ada King", at: Time.t1))
            .then([.renamed(name: "Ada King", at: Time.t1)])
    }

    @Test func renamingToTheSameNameStillRecordsIt() {
        spec.given(registered)
            .when(.rename(name: "Ada Lovelace", at: Time.t1))
            .then([.renamed(name: "Ada Lovelace", at: Time.t1)])
    }

    @Test func cannotRenameAnUnknownCustomer() {
        spec.given([]).when(.rename(name: "Ada King", at: Time.t1)).thenRejects(.notFound)
    }

    @Test func stateFollowsTheEvents() {
        let state = Customer.fold(registered + [.renamed(name: "Ada King", at: Time.t1)])
        #expect(state.isRegistered)
        #expect(state.name == "Ada King")
        #expect(state.email == "Ada@Example.org")
        #expect(state.registeredAt == Time.t0)
        #expect(state.updatedAt == Time.t1)
        #expect(!Customer.initialState.isRegistered)
    }

    @Test func aRegistrationClaimsItsEmailCaseInsensitively() {
        #expect(Customer.claims(for: registered) == [UniqueClaim(scope: "customer-email", value: "ada@example.org")])
        #expect(Customer.claims(for: [.renamed(name: "Ada King", at: Time.t1)]).isEmpty)
    }

    @Test(arguments: [(Customer.Rejection.alreadyRegistered, "already registered"), (.notFound, "No such customer")])
    func rejectionsExplainThemselves(_ rejection: Customer.Rejection, mentioning phrase: String) {
        #expect(rejection.description.contains(phrase))
    }

    @Test func streamsAreNamedByTypeAndID() {
        #expect(Customer.stream(Fixture.ada).description == "customer-0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")
    }
}
