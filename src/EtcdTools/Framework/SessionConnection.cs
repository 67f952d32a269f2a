using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using EtcdTools.Client;

namespace EtcdTools.Framework;

/// <summary>
/// The connection Connect-EtcdCluster made, one per runspace, so ForEach-Object -Parallel and
/// jobs do not share (or clobber) each other's connection.
/// </summary>
/// <remarks>
/// Use it on the pipeline thread only (ProcessRecord and friends, never inside Run's work or a
/// Task.Run): the runspace is <see cref="Runspace.DefaultRunspace"/>, which PowerShell sets per
/// thread ([ThreadStatic]); on a thread-pool thread it is null and every call would silently use
/// one shared slot that no cmdlet reads. The contract tests check the call sites.
/// </remarks>
internal static class SessionConnection
{
    private static readonly ConcurrentDictionary<Guid, EtcdConnection> Connections = new();

    private static Guid Key => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;

    public static EtcdConnection? Current => Connections.TryGetValue(Key, out var connection) ? connection : null;

    public static void Set(EtcdConnection connection) => Connections[Key] = connection;

    public static EtcdConnection? Clear() => Connections.TryRemove(Key, out var old) ? old : null;

    /// <summary>When the module is removed, drop every runspace's connection.</summary>
    public static void ClearAll() => Connections.Clear();
}
