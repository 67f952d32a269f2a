using System.Collections.Concurrent;

namespace EtcdTools.Sandbox;

/// <summary>Every sandbox not yet disposed, killed when the process exits so no etcd outlives its host.</summary>
internal static class LiveSandboxes
{
    private static readonly ConcurrentDictionary<EtcdSandbox, byte> Sandboxes = new();

    static LiveSandboxes() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();

    public static void Add(EtcdSandbox sandbox) => Sandboxes.TryAdd(sandbox, 0);

    public static void Remove(EtcdSandbox sandbox) => Sandboxes.TryRemove(sandbox, out _);

    public static IReadOnlyList<EtcdSandbox> All => Sandboxes.Keys.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    private static void DisposeAll()
    {
        foreach (var sandbox in Sandboxes.Keys)
        {
            try { sandbox.Dispose(); }
            catch (Exception) { } // keep killing the others
        }
    }
}
