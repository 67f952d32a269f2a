using System.Collections;
using System.Management.Automation;
using EtcdTools.Performance;

namespace EtcdTools.Framework;

/// <summary>
/// Reads -Baseline however the earlier result was kept: the objects themselves, deserialized ones
/// from Import-Clixml (property bags, DateTimeOffset as a bag of its parts), or PSCustomObjects from
/// ConvertFrom-Json or Import-Csv (numbers and times as text). Only the member reports' Member,
/// StartTime and compared numbers are read.
/// </summary>
internal static class BaselineReader
{
    private static readonly string[] Wanted =
        [nameof(EtcdMemberPerformance.Member), nameof(EtcdMemberPerformance.StartTime), .. EtcdPerformanceBaseline.Properties];

    public static EtcdPerformanceBaseline Read(IEnumerable<PSObject> items)
    {
        var reports = new List<IReadOnlyDictionary<string, object?>>();
        foreach (var item in Flatten(items))
        {
            var bag = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var name in Wanted)
                if (item.Properties[name] is { } property) bag[name] = Plain(property.Value);
            reports.Add(bag);
        }
        return EtcdPerformanceBaseline.FromReports(reports);
    }

    /// <summary>Arrays inside the array (a JSON file read whole, results of several runs) are opened.</summary>
    private static IEnumerable<PSObject> Flatten(IEnumerable<PSObject> items)
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

    private static object? Plain(object? value) => value switch
    {
        // Export-Clixml keeps a DateTimeOffset as a bag of its properties.
        PSObject { BaseObject: PSCustomObject } bag when bag.Properties["UtcDateTime"]?.Value is DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
        PSObject wrapped => wrapped.BaseObject,
        _ => value,
    };
}
