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
    /// Statements stay prepared (parsed once) but are planned for each
    /// batch's rows: a plan cached for "some JSON" joins the read tables by
    /// scanning them whole, which costs more with every row they gain (a
    /// million-event catch-up ran 65 % longer).
    public static let settings = ["synchronous_commit": "off", "plan_cache_mode": "force_custom_plan"]
}
