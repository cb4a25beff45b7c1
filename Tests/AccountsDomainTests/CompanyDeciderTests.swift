import AccountsDomain
import EventSourcing
import TestSupport
import Testing

@Suite("Accounts: the company decider")
struct CompanyDeciderTests {
    let spec = DeciderSpec(Company.self)
    let created: [Company.Event] = [.created(name: name("Acme"), at: Time.t0)]
    var active: [Company.Event] { created + [.activated(at: Time.t1)] }

    @Test func createsACompany() {
        spec.given([])
            .when(.create(name: name("Acme"), at: Time.t0))
            .then([.created(name: name("Acme"), at: Time.t0)])
    }

    @Test func refusesToCreateTwice() {
        spec.given(created).when(.create(name: name("Acme Two"), at: Time.t1)).thenRejects(.alreadyExists)
    }

    @Test func activatesANewCompany() {
        spec.given(created).when(.activate(at: Time.t1)).then([.activated(at: Time.t1)])
    }

    @Test func refusesToActivateAnActiveCompany() {
        spec.given(active).when(.activate(at: Time.t2)).thenRejects(.alreadyActive)
    }

    @Test func deactivatesAnActiveCompany() {
        spec.given(active).when(.deactivate(at: Time.t2)).then([.deactivated(at: Time.t2)])
    }

    @Test func aNewCompanyIsInactiveSoDeactivatingItIsRefused() {
        spec.given(created).when(.deactivate(at: Time.t1)).thenRejects(.alreadyInactive)
    }

    @Test func refusesToDeactivateADeactivatedCompany() {
        spec.given(active + [.deactivated(at: Time.t2)]).when(.deactivate(at: Time.t2)).thenRejects(.alreadyInactive)
    }

    @Test func reactivatesADeactivatedCompany() {
        spec.given(active + [.deactivated(at: Time.t2)])
            .when(.activate(at: Time.t2))
            .then([.activated(at: Time.t2)])
    }

    @Test func renamesACompany() {
        spec.given(active)
            .when(.rename(name: name("Acme Corporation"), at: Time.t2))
            .then([.renamed(name: name("Acme Corporation"), at: Time.t2)])
    }

    @Test func renamingToTheSameNameStillRecordsIt() {
        spec.given(created).when(.rename(name: name("Acme"), at: Time.t1)).then([.renamed(name: name("Acme"), at: Time.t1)])
    }

    @Test(arguments: [Company.Command.activate(at: Time.t1), .deactivate(at: Time.t1),
                      .rename(name: name("Acme"), at: Time.t1)])
    func everyCommandButCreateNeedsAnExistingCompany(_ command: Company.Command) {
        spec.given([]).when(command).thenRejects(.notFound)
    }

    @Test func stateFollowsTheEvents() {
        let new = Company.fold(created)
        #expect(new.exists && !new.active)
        #expect(new.name == name("Acme") && new.createdAt == Time.t0 && new.updatedAt == Time.t0)
        let later = Company.fold(active + [.renamed(name: name("Acme Corp"), at: Time.t2)])
        #expect(later.active && later.name == name("Acme Corp"))
        #expect(later.createdAt == Time.t0 && later.updatedAt == Time.t2)
        #expect(!Company.fold(active + [.deactivated(at: Time.t2)]).active)
        #expect(!Company.initialState.exists && Company.initialState.name == nil)
    }

    @Test(arguments: [(Company.Rejection.alreadyExists, RejectionKind.conflict, "already exists"),
                      (.notFound, .notFound, "No such company"),
                      (.alreadyActive, .conflict, "already active"),
                      (.alreadyInactive, .conflict, "already inactive")])
    func rejectionsSayWhatKindTheyAreAndExplainThemselves(_ rejection: Company.Rejection, kind: RejectionKind,
                                                           phrase: String) {
        #expect(rejection.kind == kind)
        #expect(rejection.description.contains(phrase))
    }

    @Test func streamsAreNamedByTypeAndID() {
        #expect(Company.stream(Fixture.acme).description == "company-3f2a1b0c-4d5e-4f60-8a7b-9c0d1e2f3a4b")
    }
}
