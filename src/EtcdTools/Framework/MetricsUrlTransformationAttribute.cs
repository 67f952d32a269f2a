using System.Collections;
using System.Management.Automation;
using EtcdTools.Metrics;

namespace EtcdTools.Framework;

/// <summary>
/// Lets -MetricsUrl take a hashtable of member name (or hex ID) to URL, or one URL for the one
/// member asked for: a single 'http://127.0.0.1:2381' becomes @{ '*' = 'http://127.0.0.1:2381' }.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class MetricsUrlTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            string or Uri => new Hashtable { [EtcdMetricsScraper.OnlyMember] = value.ToString() },
            _ => value,
        };
    }
}

/// <summary>Hashtable parameters (-Thresholds, -MetricsUrl) as Core takes them.</summary>
internal static class HashtableParameters
{
    /// <summary>-MetricsUrl as URLs by member name or hex ID; a value that is no absolute http(s) URL throws <see cref="ArgumentException"/>.</summary>
    public static IReadOnlyDictionary<string, Uri>? MetricsUrls(Hashtable? given)
    {
        if (given is null) return null;
        var urls = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in given)
        {
            var key = Plain(entry.Key)?.ToString() ?? "";
            var text = Plain(entry.Value)?.ToString() ?? "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new ArgumentException($"-MetricsUrl for '{key}' is '{text}', not a URL: give the member's metrics address such as http://127.0.0.1:2381 (kubeadm) or https://10.0.0.1:2379.");
            urls[key] = url;
        }
        return urls;
    }

    /// <summary>A hashtable typed at the prompt, with the PSObject wrappers of its keys and values removed.</summary>
    public static Hashtable? Plain(Hashtable? given)
    {
        if (given is null) return null;
        var plain = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in given) plain[Plain(entry.Key)!] = Plain(entry.Value);
        return plain;
    }

    private static object? Plain(object? value) => value is PSObject pso ? pso.BaseObject : value;
}
