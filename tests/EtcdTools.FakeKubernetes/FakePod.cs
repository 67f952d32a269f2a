using System.Text.Json.Nodes;
namespace EtcdTools.FakeKubernetes;

/// <summary>One pod of the fake: its recorded JSON and, when bound, the sandbox member it runs.</summary>
internal sealed class FakePod(JsonObject json)
{
    public JsonObject Json { get; } = json;
    public string Namespace => Json["metadata"]!["namespace"]!.GetValue<string>();
    public string Name => Json["metadata"]!["name"]!.GetValue<string>();
    public string Uid => Json["metadata"]?["uid"]?.GetValue<string>() ?? "";

    public IReadOnlyDictionary<string, string> Labels =>
        Json["metadata"]?["labels"]?.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "") ?? new Dictionary<string, string>();

    public IReadOnlyList<string> ContainerNames =>
        Json["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();

    public FakePodBinding? Binding { get; set; }
    public IReadOnlyDictionary<int, int> Ports => Binding?.Ports ?? new Dictionary<int, int>();
    public IReadOnlyDictionary<string, string> ExecEnvironment => Binding?.ExecEnvironment ?? new Dictionary<string, string>();

    /// <summary>Cancelled when the pod is deleted: its port-forwards and execs end.</summary>
    public CancellationTokenSource Deleted { get; } = new();

    /// <summary>The literal environment of a container (valueFrom entries are left out).</summary>
    public IEnumerable<(string Key, string Value)> ContainerEnvironment(string container)
    {
        var spec = Json["spec"]!["containers"]!.AsArray().FirstOrDefault(c => c!["name"]!.GetValue<string>() == container);
        foreach (var env in spec?["env"]?.AsArray() ?? [])
            if (env?["value"] is { } value) yield return (env["name"]!.GetValue<string>(), value.GetValue<string>());
    }

    /// <summary>
    /// The pod as the API returns it; a bound pod's etcd container reports the member's state: not
    /// ready while stopped or suspended, one restart more per restart of the member.
    /// </summary>
    public JsonObject Render()
    {
        var copy = Json.DeepClone().AsObject();
        if (Binding is not { } member) return copy;
        var running = member.IsRunning();
        var statuses = copy["status"]?["containerStatuses"]?.AsArray();
        var etcd = statuses?.FirstOrDefault(s => s?["name"]?.GetValue<string>() == "etcd")?.AsObject();
        if (etcd is not null)
        {
            etcd["ready"] = running;
            var recorded = etcd["restartCount"]?.GetValue<int>() ?? 0;
            etcd["restartCount"] = recorded + Math.Max(0, FakeLog.Instances(member.LogPath) - 1);
        }
        var ready = running && (statuses?.All(s => s?["ready"]?.GetValue<bool>() != false) ?? true);
        foreach (var condition in copy["status"]?["conditions"]?.AsArray() ?? [])
        {
            var type = condition?["type"]?.GetValue<string>();
            if (type is "Ready" or "ContainersReady") condition!["status"] = ready ? "True" : "False";
        }
        return copy;
    }
}

/// <summary>
/// What makes a pod run a real etcd member: its log file (container instances start at each
/// "=== etcd sandbox: starting" line), the pod's ports mapped to the member's loopback ports, the
/// environment exec gives etcdctl, and whether the member runs (neither stopped nor suspended).
/// </summary>
public sealed record FakePodBinding(string LogPath, IReadOnlyDictionary<int, int> Ports, IReadOnlyDictionary<string, string> ExecEnvironment, Func<bool> IsRunning);
