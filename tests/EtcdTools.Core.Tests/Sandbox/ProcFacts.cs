using System.Globalization;
namespace EtcdTools.Core.Tests.Sandbox;

/// <summary>What /proc says about a process: read directly, not through the sandbox's own helpers.</summary>
internal static class ProcFacts
{
    /// <summary>True while the PID exists, zombies included: a reaped process has no /proc entry.</summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    public static string CommandName(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();

    /// <summary>State letter, parent PID and session id from /proc/PID/stat.</summary>
    public static (char State, int ParentId, int SessionId) Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture));
    }

    /// <summary>Waits briefly for a killed process to disappear (reaping is asynchronous in .NET).</summary>
    public static async Task<bool> IsGoneSoonAsync(int pid)
    {
        for (var i = 0; i < 100 && Exists(pid); i++)
            await Task.Delay(20);
        return !Exists(pid);
    }
}
