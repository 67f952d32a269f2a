using System.Globalization;

namespace EtcdTools.Performance;

/// <summary>Numbers as findings and texts spell them.</summary>
internal static class Format
{
    /// <summary>"0.42 ms", "4.4 ms", "48 ms", "1.2 s"; "n/a" for no value.</summary>
    public static string Milliseconds(double? ms) => ms switch
    {
        null => "n/a",
        double v when double.IsNaN(v) => "n/a",
        >= 1000 => (ms.Value / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " s",
        >= 10 => ms.Value.ToString("0", CultureInfo.InvariantCulture) + " ms",
        >= 1 => ms.Value.ToString("0.#", CultureInfo.InvariantCulture) + " ms",
        _ => ms.Value.ToString("0.##", CultureInfo.InvariantCulture) + " ms",
    };

    public static string Number(double value, string format = "0.#") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Seconds(double seconds) => seconds >= 120
        ? (seconds / 60).ToString("0.#", CultureInfo.InvariantCulture) + " min"
        : seconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";

    /// <summary>"512 B", "1.5 KiB", "200 MiB", "2 GiB".</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var value = Math.Abs(bytes);
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        var text = unit == 0 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.#", CultureInfo.InvariantCulture);
        return (bytes < 0 ? "-" : "") + text + " " + units[unit];
    }

    public static string Hours(double hours) => hours < 1
        ? (hours * 60).ToString("0", CultureInfo.InvariantCulture) + " min"
        : hours.ToString("0.#", CultureInfo.InvariantCulture) + " h";
}
