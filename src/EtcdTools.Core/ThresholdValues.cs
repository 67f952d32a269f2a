using System.Globalization;

namespace EtcdTools;

/// <summary>
/// Reading threshold overrides (-Thresholds @{ Name = value }) the same way for every set of
/// thresholds: numbers or numeric strings, zero or more, with errors that name the threshold.
/// </summary>
internal static class ThresholdValues
{
    /// <summary>
    /// The value as a number. A TimeSpan is taken when <paramref name="fromTimeSpan"/> says in which
    /// unit (days, milliseconds); anything else that is not a number throws <see cref="ArgumentException"/>.
    /// </summary>
    public static double ToNumber(string name, object? value, Func<TimeSpan, double>? fromTimeSpan = null)
    {
        double number;
        switch (value)
        {
            case TimeSpan span when fromTimeSpan is not null:
                number = fromTimeSpan(span);
                break;
            case string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                number = parsed;
                break;
            case IConvertible convertible and not string and not bool and not char and not DateTime:
                number = convertible.ToDouble(CultureInfo.InvariantCulture);
                break;
            default:
                throw new ArgumentException($"The threshold {name} must be a number, not '{value ?? "null"}'.");
        }
        if (double.IsNaN(number) || double.IsInfinity(number) || number < 0)
            throw new ArgumentException($"The threshold {name} must be a number of zero or more, not {number.ToString(CultureInfo.InvariantCulture)}.");
        return number;
    }

    public static long ToWhole(string name, double value) =>
        value <= long.MaxValue ? (long)Math.Round(value) : throw new ArgumentException($"The threshold {name} is too large.");

    public static double Percent(string name, double value) =>
        value <= 100 ? value : throw new ArgumentException($"The threshold {name} is a percentage: at most 100, not {value.ToString(CultureInfo.InvariantCulture)}.");

    /// <summary>The key as the thresholds spell it (case-insensitive match), or an error listing the valid keys.</summary>
    public static string Key(object key, IReadOnlyList<string> keys)
    {
        var text = Convert.ToString(key, CultureInfo.InvariantCulture)?.Trim() ?? "";
        return keys.FirstOrDefault(k => k.Equals(text, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"'{text}' is not a threshold. The valid keys are: {string.Join(", ", keys)}.");
    }
}
