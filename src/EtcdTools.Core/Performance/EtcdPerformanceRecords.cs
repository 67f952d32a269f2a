using System.Collections;
using System.Globalization;
using System.Reflection;

namespace EtcdTools.Performance;

/// <summary>Which output of Measure-EtcdPerformance or Watch-EtcdPerformance an object is.</summary>
public enum EtcdPerformanceRecordKind
{
    None,
    MemberReport,
    Summary,
    Sample,
}

/// <summary>
/// Reads the performance cmdlets' objects back however they were kept: deserialized by
/// Import-Clixml (property bags; a DateTimeOffset as a bag of its parts; beyond the serialization
/// depth, values as text), or from ConvertFrom-Json and Import-Csv (numbers, times and enums as
/// text, empty for null). Details that did not survive (Findings or Samples kept as one text cell)
/// are left empty.
/// </summary>
public static class EtcdPerformanceRecords
{
    private static readonly string[] Prefixes = ["Deserialized.", "CSV:", "CSV:Deserialized."];

    /// <summary>The kind of an object, by its type names (live, deserialized, or written by Export-Csv -IncludeTypeInformation), else by its properties.</summary>
    public static EtcdPerformanceRecordKind KindOf(IEnumerable<string> typeNames, IReadOnlyCollection<string> propertyNames)
    {
        foreach (var typeName in typeNames)
        {
            var name = Prefixes.Where(p => typeName.StartsWith(p, StringComparison.Ordinal)).Select(p => typeName[p.Length..]).DefaultIfEmpty(typeName).Last();
            if (name == typeof(EtcdMemberPerformance).FullName) return EtcdPerformanceRecordKind.MemberReport;
            if (name == typeof(EtcdPerformanceSummary).FullName) return EtcdPerformanceRecordKind.Summary;
            if (name == typeof(EtcdPerformanceSample).FullName) return EtcdPerformanceRecordKind.Sample;
        }
        var names = new HashSet<string>(propertyNames, StringComparer.OrdinalIgnoreCase);
        if (names.Contains(nameof(EtcdPerformanceSummary.Verdict)) && names.Contains(nameof(EtcdPerformanceSummary.VerdictReason))) return EtcdPerformanceRecordKind.Summary;
        if (names.Contains(nameof(EtcdMemberPerformance.Member)) && names.Contains(nameof(EtcdMemberPerformance.WalFsyncP50Ms))) return EtcdPerformanceRecordKind.MemberReport;
        if (names.Contains(nameof(EtcdPerformanceSample.Timestamp)) && names.Contains(nameof(EtcdPerformanceSample.Member)) && names.Contains(nameof(EtcdPerformanceSample.IntervalSeconds)))
            return EtcdPerformanceRecordKind.Sample;
        return EtcdPerformanceRecordKind.None;
    }

    /// <summary>A member report from its properties; text is read in <paramref name="culture"/> first, then the invariant culture.</summary>
    public static EtcdMemberPerformance MemberReport(IReadOnlyDictionary<string, object?> properties, CultureInfo culture) =>
        (EtcdMemberPerformance)Read(typeof(EtcdMemberPerformance), properties, culture);

    public static EtcdPerformanceSummary Summary(IReadOnlyDictionary<string, object?> properties, CultureInfo culture) =>
        (EtcdPerformanceSummary)Read(typeof(EtcdPerformanceSummary), properties, culture);

    public static EtcdPerformanceSample Sample(IReadOnlyDictionary<string, object?> properties, CultureInfo culture) =>
        (EtcdPerformanceSample)Read(typeof(EtcdPerformanceSample), properties, culture);

    private static object Read(Type type, IReadOnlyDictionary<string, object?> properties, CultureInfo culture)
    {
        var byName = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in properties) byName[name] = value;
        var record = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            if (!byName.TryGetValue(property.Name, out var value)) continue;
            // A fresh record of this method alone: setting its init-only properties here is safe.
            property.SetValue(record, Convert(value, property.PropertyType, property.Name, culture));
        }
        return record;
    }

    private static object? Convert(object? value, Type type, string name, CultureInfo culture)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var blank = value is null or DBNull || value is string { Length: 0 };
        if (type == typeof(string)) return blank ? "" : System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EtcdList<>)) return List(value, type, culture);
        if (blank) return underlying is not null ? null : Activator.CreateInstance(type);
        var target = underlying ?? type;
        try
        {
            if (target == typeof(double)) return Number(value!, culture);
            if (target == typeof(long)) return checked((long)Math.Round(Number(value!, culture)));
            if (target == typeof(int)) return checked((int)Math.Round(Number(value!, culture)));
            if (target == typeof(bool)) return Boolean(value!);
            if (target == typeof(DateTimeOffset)) return Time(value!, culture);
            if (target.IsEnum) return Enumeration(value!, target);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new FormatException($"{name} '{value}' is not {Describe(target)}.", e);
        }
        throw new InvalidOperationException($"{name} has a type ({target.Name}) the report does not read.");
    }

    private static double Number(object value, CultureInfo culture) => value switch
    {
        string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var invariant) => invariant,
        string text when double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, culture, out var local) => local,
        string => throw new FormatException(),
        bool => throw new FormatException(),
        IConvertible convertible => convertible.ToDouble(CultureInfo.InvariantCulture),
        _ => throw new FormatException(),
    };

    private static bool Boolean(object value) => value switch
    {
        bool b => b,
        string text when bool.TryParse(text, out var parsed) => parsed,
        string text when text is "1" or "0" => text == "1",
        IConvertible number and not string => number.ToInt64(CultureInfo.InvariantCulture) != 0,
        _ => throw new FormatException(),
    };

    private static object Enumeration(object value, Type type) => value switch
    {
        string text when Enum.TryParse(type, text, ignoreCase: true, out var parsed) && !text.All(char.IsAsciiDigit) => parsed!,
        string text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && Enum.IsDefined(type, number) => Enum.ToObject(type, number),
        Enum e when e.GetType() == type => e,
        IConvertible convertible and not string when Enum.IsDefined(type, convertible.ToInt32(CultureInfo.InvariantCulture)) => Enum.ToObject(type, convertible.ToInt32(CultureInfo.InvariantCulture)),
        _ => throw new FormatException(),
    };

    private static DateTimeOffset Time(object value, CultureInfo culture)
    {
        switch (value)
        {
            case DateTimeOffset offset:
                return offset;
            case DateTime time:
                return time.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Local)) : new DateTimeOffset(time);
            case string text:
                if (DateTimeOffset.TryParse(text, culture, DateTimeStyles.AssumeLocal, out var local)) return local;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var invariant)) return invariant;
                throw new FormatException();
            // Export-Clixml keeps a DateTimeOffset as a bag of its properties.
            case IReadOnlyDictionary<string, object?> bag when bag.TryGetValue(nameof(DateTimeOffset.UtcDateTime), out var utc) && utc is DateTime at:
                var offsetValue = bag.TryGetValue(nameof(DateTimeOffset.Offset), out var o) && o is TimeSpan span ? span : TimeSpan.Zero;
                return new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToOffset(offsetValue);
            default:
                throw new FormatException();
        }
    }

    /// <summary>The items of a kept list; a list kept as text (a CSV cell) cannot be read back and is empty.</summary>
    private static object List(object? value, Type listType, CultureInfo culture)
    {
        var itemType = listType.GetGenericArguments()[0];
        var items = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
        if (value is IEnumerable enumerable and not string)
        {
            foreach (var item in enumerable)
            {
                if (item is null) continue;
                if (itemType.IsInstanceOfType(item)) items.Add(item);
                else if (item is IReadOnlyDictionary<string, object?> bag) items.Add(Read(itemType, bag, culture));
            }
        }
        return Activator.CreateInstance(listType, items)!;
    }

    private static string Describe(Type type) =>
        type == typeof(DateTimeOffset) ? "a time"
        : type == typeof(bool) ? "True or False"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type))
        : "a number";
}
