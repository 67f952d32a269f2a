using System.Globalization;
using System.Reflection;
using System.Text;

namespace EtcdTools.Performance.Html;

/// <summary>
/// Samples as CSV in Export-Csv's shape (a header of the property names, every value quoted, null
/// empty), with times in ISO 8601 and numbers in the invariant culture, so Import-Csv, spreadsheets
/// and Export-EtcdReport read them back the same anywhere.
/// </summary>
internal static class SampleCsv
{
    private static readonly PropertyInfo[] Columns = typeof(EtcdPerformanceSample).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    public static string Write(IEnumerable<EtcdPerformanceSample> samples)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', Columns.Select(c => Quote(c.Name))).Append('\n');
        foreach (var sample in samples)
            csv.AppendJoin(',', Columns.Select(c => Value(c.GetValue(sample)))).Append('\n');
        return csv.ToString();
    }

    private static string Value(object? value) => value switch
    {
        null => "",
        DateTimeOffset time => Quote(time.ToString("o", CultureInfo.InvariantCulture)),
        double number => Quote(number.ToString("R", CultureInfo.InvariantCulture)),
        IFormattable formattable => Quote(formattable.ToString(null, CultureInfo.InvariantCulture)),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
