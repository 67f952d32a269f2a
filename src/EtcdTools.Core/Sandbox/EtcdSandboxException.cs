namespace EtcdTools.Sandbox;

/// <summary>A sandbox member failed to start, exited, or did not become healthy in time. The message carries its log's tail.</summary>
public sealed class EtcdSandboxException : Exception
{
    public EtcdSandboxException(string message, Exception? innerException = null) : base(message, innerException) { }

    public EtcdSandboxException(string message, string? memberName, string? logTail, Exception? innerException = null)
        : base(logTail is null ? message : $"{message}\nLast lines of {memberName}'s log:\n{logTail}", innerException)
    {
        MemberName = memberName;
        LogTail = logTail;
    }

    /// <summary>The member concerned, when one is.</summary>
    public string? MemberName { get; }

    /// <summary>The last lines of that member's log.</summary>
    public string? LogTail { get; }
}
