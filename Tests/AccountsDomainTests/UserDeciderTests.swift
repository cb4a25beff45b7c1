import AccountsDomain
import EventSourcing
import TestSupport
import Testing

@Suite("Accounts: the user decider")
struct UserDeciderTests {
    let spec = DeciderSpec(User.self)
    let inAcme: [User.Event] = [.created(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: Fixture.acme,
                                         at: Time.t0)]
    let inNone: [User.Event] = [.created(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: nil, at: Time.t0)]

    @Test func createsAUserInACompany() {
        spec.given([])
            .when(.create(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: Fixture.acme, at: Time.t0))
            .then([.created(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: Fixture.acme, at: Time.t0)])
    }

    @Test func createsAUserInNoCompany() {
        spec.given([])
            .when(.create(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: nil, at: Time.t0))
            .then([.created(name: name("Ada Lovelace"), email: Fixture.adasEmail, company: nil, at: Time.t0)])
    }

    @Test func refusesToCreateTwice() {
        spec.given(inNone)
            .when(.create(name: name("Ada King"), email: "ada@example.org", company: nil, at: Time.t1))
            .thenRejects(.alreadyExists)
    }

    @Test func renamesAUser() {
        spec.given(inAcme).when(.rename(name: name("Ada King"), at: Time.t1)).then([.renamed(name: name("Ada King"), at: Time.t1)])
    }

    @Test func renamingToTheSameNameStillRecordsIt() {
        spec.given(inAcme)
            .when(.rename(name: name("Ada Lovelace"), at: Time.t1))
            .then([.renamed(name: name("Ada Lovelace"), at: Time.t1)])
    }

    @Test func joinsACompanyFromNone() {
        spec.given(inNone).when(.moveToCompany(Fixture.acme, at: Time.t1)).then([.companyChanged(Fixture.acme, at: Time.t1)])
    }

    @Test func movesFromOneCompanyToAnother() {
        spec.given(inAcme)
            .when(.moveToCompany(Fixture.globex, at: Time.t1))
            .then([.companyChanged(Fixture.globex, at: Time.t1)])
    }

    @Test func leavesItsCompany() {
        spec.given(inAcme).when(.moveToCompany(nil, at: Time.t1)).then([.companyChanged(nil, at: Time.t1)])
    }

    @Test func refusesToMoveToTheCompanyItIsIn() {
        spec.given(inAcme).when(.moveToCompany(Fixture.acme, at: Time.t1)).thenRejects(.alreadyInThatCompany)
    }

    @Test func refusesToMoveBackToTheCompanyItMovedTo() {
        spec.given(inNone + [.companyChanged(Fixture.globex, at: Time.t1)])
            .when(.moveToCompany(Fixture.globex, at: Time.t2))
            .thenRejects(.alreadyInThatCompany)
    }

    @Test func refusesToLeaveWhenInNone() {
        spec.given(inNone).when(.moveToCompany(nil, at: Time.t1)).thenRejects(.notInACompany)
    }

    @Test func refusesToLeaveAgainAfterLeaving() {
        spec.given(inAcme + [.companyChanged(nil, at: Time.t1)])
            .when(.moveToCompany(nil, at: Time.t2))
            .thenRejects(.notInACompany)
    }

    @Test(arguments: [User.Command.rename(name: name("Ada King"), at: Time.t1), .moveToCompany(Fixture.acme, at: Time.t1),
                      .moveToCompany(nil, at: Time.t1)])
    func everyCommandButCreateNeedsAnExistingUser(_ command: User.Command) {
        spec.given([]).when(command).thenRejects(.notFound)
    }

    @Test func stateFollowsTheEvents() {
        let new = User.fold(inAcme)
        #expect(new.exists && new.company == Fixture.acme)
        #expect(new.name == name("Ada Lovelace") && new.email == Fixture.adasEmail)
        #expect(new.createdAt == Time.t0 && new.updatedAt == Time.t0)
        let later = User.fold(inAcme + [.renamed(name: name("Ada King"), at: Time.t1), .companyChanged(nil, at: Time.t2)])
        #expect(later.name == name("Ada King") && later.company == nil)
        #expect(later.createdAt == Time.t0 && later.updatedAt == Time.t2)
        #expect(User.fold(inNone + [.companyChanged(Fixture.globex, at: Time.t1)]).company == Fixture.globex)
        #expect(!User.initialState.exists && User.initialState.company == nil)
    }

    @Test func aCreationClaimsItsEmailInTheUsersOwnScopeCaseInsensitively() {
        #expect(User.emailClaimScope == "user-email")
        #expect(User.claims(for: inAcme) == [UniqueClaim(scope: "user-email", value: "ada@example.org")])
    }

    @Test func renamesAndMovesClaimNothing() {
        #expect(User.claims(for: [.renamed(name: name("Ada King"), at: Time.t1), .companyChanged(Fixture.acme, at: Time.t1),
                                  .companyChanged(nil, at: Time.t2)]).isEmpty)
    }

    @Test(arguments: [(User.Rejection.alreadyExists, RejectionKind.conflict, "already exists"),
                      (.notFound, .notFound, "No such user"),
                      (.alreadyInThatCompany, .conflict, "already in that company"),
                      (.notInACompany, .conflict, "not in a company")])
    func rejectionsSayWhatKindTheyAreAndExplainThemselves(_ rejection: User.Rejection, kind: RejectionKind,
                                                           phrase: String) {
        #expect(rejection.kind == kind)
        #expect(rejection.description.contains(phrase))
    }

    @Test func streamsAreNamedByTypeAndID() {
        #expect(User.stream(Fixture.ada).description == "user-0b7f3a52-6c1e-4b8e-9a3d-2f1c5e7d9a01")
    }
}
