using System.Collections;
using System.Management.Automation;
using EtcdTools.Completion;
using EtcdTools.Framework;
using EtcdTools.Metrics;

namespace EtcdTools.Commands;

/// <summary>
/// Reads every member's Prometheus metrics at once and writes one flat object per sample: member,
/// name, labels, value, type. -Name filters by metric or sample name, with wildcards. A member
/// whose metrics cannot be read is a non-terminating error; the others still report.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdMetric")]
[OutputType(typeof(EtcdMetricSample))]
public sealed class GetEtcdMetricCommand : EtcdCmdlet
{
    private readonly List<WildcardPattern> _patterns = [];
    private IReadOnlyDictionary<string, Uri>? _metricsUrls;

    /// <summary>Metric (family) or sample names, wildcards allowed; all metrics without it.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Only these members, by hex ID or name; binds from Get-EtcdMember's output.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? MemberId { get; set; }

    /// <summary>Where members serve /metrics when not on their client URL: a hashtable of member name (or hex ID) to URL, or one URL for one member.</summary>
    [Parameter]
    [ValidateNotNull]
    [MetricsUrlTransformation]
    public Hashtable? MetricsUrl { get; set; }

    /// <summary>How long each member may take; by default the command timeout (5 s).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Timeout { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        foreach (var name in Name ?? [])
            _patterns.Add(WildcardPattern.Get(name, WildcardOptions.IgnoreCase));
        try
        {
            _metricsUrls = HashtableParameters.MetricsUrls(MetricsUrl);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(e, "InvalidArgument", ErrorCategory.InvalidArgument, MetricsUrl));
        }
    }

    protected override void ProcessRecord()
    {
        var cluster = GetCluster();
        var limit = Timeout ?? cluster.Settings.CommandTimeout;
        var wanted = MemberId;
        var patterns = _patterns;
        var names = Name ?? [];
        var urls = _metricsUrls;
        Run(async (output, ct) =>
        {
            var (header, members) = await cluster.SelectMembersAsync(wanted, ct).ConfigureAwait(false);
            var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var read = 0;
            bool Wanted(string sample, string family)
            {
                if (patterns.Count == 0) return true;
                foreach (var pattern in patterns)
                {
                    if (pattern.IsMatch(family)) { found.Add(family); return true; }
                    if (pattern.IsMatch(sample)) { found.Add(sample); return true; }
                }
                return false;
            }
            await foreach (var result in EtcdMetricSample.ReadAsync(cluster, members, urls, limit, ct).ConfigureAwait(false))
            {
                var member = result.Member.Name.Length > 0 ? result.Member.Name : Client.MemberId.Format(result.Member.ID);
                if (result.Error is not null)
                {
                    await output.WriteErrorAsync(result.Error, member);
                    continue;
                }
                read++;
                var page = result.Value!;
                await output.WriteVerboseAsync($"{member}: {page.Url} ({page.Bytes / 1024.0:F0} KiB in {page.Took.TotalMilliseconds:F0} ms, {page.Metrics.Families.Count} metrics).");
                if (page.Metrics.Problems.Count > 0)
                    await output.WriteWarningAsync($"{member}: {page.Metrics.Problems.Count} line(s) of {page.Url} could not be read and were skipped: "
                        + string.Join("; ", page.Metrics.Problems.Take(3)) + (page.Metrics.Problems.Count > 3 ? "; ..." : "") + ".");
                foreach (var sample in EtcdMetricSample.From(page, result.Member, header.ClusterId, Wanted))
                    await output.WriteObjectAsync(sample);
            }
            // A name without wildcards that no member has is an error, as Get-Process -Name says of a process.
            if (read == 0) return;
            foreach (var name in names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !found.Contains(n)))
            {
                await output.WriteErrorAsync(EtcdErrorRecords.Create(
                    new ItemNotFoundException($"No member has a metric named '{name}'. Get-EtcdMetric -Name 'etcd_*' lists what there is; some metrics exist only in newer etcd versions or with --metrics=extensive."),
                    "EtcdMetricNotFound", ErrorCategory.ObjectNotFound, name));
            }
        }, string.Join(",", cluster.Settings.Endpoints));
    }
}
