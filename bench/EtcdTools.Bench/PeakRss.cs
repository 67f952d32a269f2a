using System.Globalization;

namespace EtcdTools.Bench;

/// <summary>This process's peak resident set (VmHWM) on Linux, in MB, for the memory the benchmarks report.</summary>
internal static class PeakRss
{
    /// <summary>Resets the peak to the current RSS and returns that, in MB.</summary>
    public static double ResetMb()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return StatusMb("VmRSS");
    }

    /// <summary>The peak since the last reset, in MB.</summary>
    public static double Mb() => StatusMb("VmHWM");

    private static double StatusMb(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
