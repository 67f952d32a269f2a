namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>PowerShell 7's approved verbs (Get-Verb), by group.</summary>
public static class ApprovedVerbs
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ByGroup = new Dictionary<string, IReadOnlyList<string>>
    {
        ["Common"] =
        [
            "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move",
            "New", "Open", "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select",
            "Set", "Show", "Skip", "Split", "Step", "Switch", "Undo", "Unlock", "Watch",
        ],
        ["Communications"] = ["Connect", "Disconnect", "Read", "Receive", "Send", "Write"],
        ["Data"] =
        [
            "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit",
            "Expand", "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore",
            "Save", "Sync", "Unpublish", "Update",
        ],
        ["Diagnostic"] = ["Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace"],
        ["Lifecycle"] =
        [
            "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install",
            "Invoke", "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall",
            "Unregister", "Wait",
        ],
        ["Security"] = ["Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect"],
        ["Other"] = ["Use"],
    };

    public static readonly IReadOnlySet<string> All =
        ByGroup.Values.SelectMany(v => v).ToHashSet(StringComparer.Ordinal);

    /// <summary>Approved, but kept for PowerShell's own pipeline cmdlets (ForEach-Object, Format-Table, Group-Object, ...).</summary>
    public static readonly IReadOnlySet<string> Reserved =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "ForEach", "Format", "Group", "Sort", "Tee", "Where" };
}
