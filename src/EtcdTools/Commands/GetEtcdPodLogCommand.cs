using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Kubernetes;

namespace EtcdTools.Commands;

/// <summary>
/// Reads the etcd container's log of pods (from Get-EtcdPod) and classifies each line (slow apply,
/// slow fdatasync, late heartbeats, leader changes, NOSPACE, cluster ID mismatch, snapshots,
/// compaction, defragmentation), so Group-Object Category summarises recent trouble.
/// </summary>
[Cmdlet(VerbsCommon.Get, "EtcdPodLog")]
[OutputType(typeof(EtcdLogEntry))]
public sealed class GetEtcdPodLogCommand : EtcdToolsCmdlet
{
    private readonly Dictionary<string, EtcdKubernetesClient> _clients = new(StringComparer.Ordinal);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public EtcdPod[] Pod { get; set; } = [];

    /// <summary>The kubeconfig the pods were found through, when not the default one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    /// <summary>Only lines of this last span of time (30s, 15m, 1h).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidatePositiveDuration]
    public TimeSpan? Since { get; set; }

    /// <summary>Only the last N lines of each log, counted before classification.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? Tail { get; set; }

    /// <summary>The log of the container's previous instance (after a restart or crash).</summary>
    [Parameter]
    public SwitchParameter Previous { get; set; }

    /// <summary>Keep lines of no known category too (Category Other).</summary>
    [Parameter]
    public SwitchParameter IncludeOther { get; set; }

    protected override void ProcessRecord()
    {
        var query = new EtcdLogQuery { Since = Since, Tail = Tail, Previous = Previous.IsPresent, IncludeOther = IncludeOther.IsPresent };
        var kubeconfig = Kubeconfig is null ? null : ResolvePath(Kubeconfig);
        foreach (var pod in Pod)
        {
            var client = ClientFor(pod, kubeconfig);
            Run(async (output, ct) =>
            {
                await foreach (var entry in client.ReadLogAsync(pod, query, ct).ConfigureAwait(false))
                    await output.WriteObjectAsync(entry);
            }, pod);
        }
    }

    /// <summary>One client per context for the whole pipeline: pods piped from one Get-EtcdPod share it.</summary>
    private EtcdKubernetesClient ClientFor(EtcdPod pod, string? kubeconfig)
    {
        var key = $"{kubeconfig}|{pod.Context}";
        if (!_clients.TryGetValue(key, out var client))
        {
            try
            {
                client = EtcdKubernetesClient.Create(KubernetesFlavors.Target(kubeconfig, pod.Context, null, null, null));
            }
            catch (KubernetesException e)
            {
                ThrowTerminatingError(EtcdErrorRecords.From(e, pod));
                throw;
            }
            _clients[key] = client;
        }
        return client;
    }

    protected override void EndProcessing() => DisposeClients();

    private void DisposeClients()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _clients.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeClients();
        base.Dispose(disposing);
    }
}
