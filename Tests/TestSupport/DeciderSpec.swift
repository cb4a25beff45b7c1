public import EventSourcing
public import Testing

/// Given-when-then for a decider, with no store: the given events are folded
/// into a state, the command is decided on it, and the outcome is compared
/// with literal expectations.
///
///     spec.given([.placed(…)]).when(.confirm(at: t1)).then([.confirmed(at: t1)])
public struct DeciderSpec<D: Decider> where D.Event: Equatable, D.Rejection: Equatable {
    public init(_: D.Type) {}

    public func given(_ events: [D.Event]) -> Given {
        Given(state: D.fold(events))
    }

    public struct Given {
        let state: D.State

        public func when(_ command: D.Command) -> When {
            When(outcome: Result { () throws(D.Rejection) in try D.decide(command, state) })
        }
    }

    public struct When {
        let outcome: Result<[D.Event], D.Rejection>

        public func then(_ expected: [D.Event], sourceLocation: SourceLocation = #_sourceLocation) {
            switch outcome {
            case .success(let events):
                #expect(events == expected, sourceLocation: sourceLocation)
            case .failure(let rejection):
                Issue.record("expected \(expected), the command was rejected: \(rejection)",
                             sourceLocation: sourceLocation)
            }
        }

        public func thenRejects(_ expected: D.Rejection, sourceLocation: SourceLocation = #_sourceLocation) {
            switch outcome {
            case .success(let events):
                Issue.record("expected the rejection \(expected), got \(events)", sourceLocation: sourceLocation)
            case .failure(let rejection):
                #expect(rejection == expected, sourceLocation: sourceLocation)
            }
        }

        public func thenNothingHappened(sourceLocation: SourceLocation = #_sourceLocation) {
            then([], sourceLocation: sourceLocation)
        }
    }
}
