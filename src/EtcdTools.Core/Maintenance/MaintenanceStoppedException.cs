namespace EtcdTools.Maintenance;

/// <summary>
/// A multi-step maintenance (a rolling defragmentation, a NOSPACE repair) stopped before its end:
/// which step, why, and what was done and what remains, so a runbook knows where it stands.
/// </summary>
public sealed class MaintenanceStoppedException : Exception
{
    public MaintenanceStoppedException(string message, bool refused, IReadOnlyList<string> done, IReadOnlyList<string> remaining, EtcdException? cause = null)
        : base(message, cause)
    {
        Refused = refused;
        Done = done;
        Remaining = remaining;
    }

    /// <summary>
    /// True when the work was refused because the cluster was not healthy enough to go on safely
    /// (nothing failed); false when a step failed.
    /// </summary>
    public bool Refused { get; }

    /// <summary>The steps (members) completed before the stop.</summary>
    public IReadOnlyList<string> Done { get; }

    /// <summary>The steps (members) still to do, the one that failed first.</summary>
    public IReadOnlyList<string> Remaining { get; }

    /// <summary>The etcd failure behind the stop, when there was one.</summary>
    public EtcdException? Cause => InnerException as EtcdException;
}
