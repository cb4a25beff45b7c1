/// How the sessions that apply projections (the projector's, a rebuild's)
/// talk to PostgreSQL.
public enum ProjectionSessions {
    /// The projector's commits do not wait for the WAL flush: a batch's rows
    /// and its checkpoint commit together or not at all, also after a crash,
    /// so a commit lost in a crash is only applied again from the older
    /// checkpoint, exactly once. Everything the projector writes derives from
    /// the log, which the command service still commits durably. Saves a
    /// disk flush per batch per projection, and the flush queue the command
    /// service's commits wait in.
    ///
    /// (Plans are the batch's own business: `ProjectionCheckpoints.inBatch`
    /// has every batch planned for its rows, whatever the session says.)
    public static let settings = ["synchronous_commit": "off"]
}
