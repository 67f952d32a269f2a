using System.Collections;
using System.Globalization;
using System.Management.Automation;
using EtcdTools.Performance;

namespace EtcdTools.Framework;

/// <summary>
/// Turns piped objects into the performance cmdlets' records: the live objects as they are, and
/// those kept as files (deserialized by Import-Clixml, PSCustomObjects from ConvertFrom-Json or
/// Import-Csv) as property bags for <see cref="EtcdPerformanceRecords"/> to read.
/// </summary>
internal static class PerformanceRecordReader
{
    /// <summary>How deep nested bags are opened: a report's Samples, a sample's Timestamp bag.</summary>
    private const int MaxDepth = 4;

    /// <summary>Arrays inside the input (a JSON file read whole, several runs at once) are opened.</summary>
    public static IEnumerable<PSObject> Flatten(IEnumerable<PSObject?> items)
    {
        foreach (var item in items)
        {
            if (item?.BaseObject is IEnumerable nested and not string and not IDictionary)
            {
                foreach (var inner in nested)
                    if (inner is not null) yield return PSObject.AsPSObject(inner);
            }
            else if (item is not null) yield return item;
        }
    }

    /// <summary>The record an object is, or null when it is none of them. Values that cannot be read throw <see cref="FormatException"/>.</summary>
    public static object? Read(PSObject item, CultureInfo culture)
    {
        switch (item.BaseObject)
        {
            case EtcdMemberPerformance or EtcdPerformanceSummary or EtcdPerformanceSample:
                return item.BaseObject;
            case string or ValueType:
                return null;
        }
        var names = item.Properties.Select(p => p.Name).ToList();
        var kind = EtcdPerformanceRecords.KindOf(item.TypeNames, names);
        if (kind == EtcdPerformanceRecordKind.None) return null;
        var bag = Bag(item, 0);
        return kind switch
        {
            EtcdPerformanceRecordKind.MemberReport => EtcdPerformanceRecords.MemberReport(bag, culture),
            EtcdPerformanceRecordKind.Summary => EtcdPerformanceRecords.Summary(bag, culture),
            _ => EtcdPerformanceRecords.Sample(bag, culture),
        };
    }

    private static Dictionary<string, object?> Bag(PSObject item, int depth)
    {
        var bag = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in item.Properties)
        {
            object? value;
            try
            {
                value = property.Value;
            }
            catch (GetValueException)
            {
                // A script property that fails is not data.
                continue;
            }
            bag[property.Name] = Plain(value, depth + 1);
        }
        return bag;
    }

    private static object? Plain(object? value, int depth) => value switch
    {
        null => null,
        PSObject { BaseObject: PSCustomObject } bag => depth < MaxDepth ? Bag(bag, depth) : bag.ToString(),
        PSObject wrapped => Plain(wrapped.BaseObject, depth),
        string text => text,
        IEnumerable list and not IDictionary when depth < MaxDepth => list.Cast<object?>().Select(v => Plain(v, depth + 1)).ToList(),
        _ => value,
    };
}
