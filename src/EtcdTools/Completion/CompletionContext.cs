using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EtcdTools.Client;
using EtcdTools.Framework;

namespace EtcdTools.Completion;

/// <summary>
/// What a completer needs to ask etcd while the user presses Tab: the settings the command would
/// use (its -Connection or -Endpoint if already typed, else the session's connection, else
/// ETCDCTL_*), with short timeouts, and the rule that a completer never fails or waits: no answer
/// within <see cref="Budget"/> means no completions.
/// </summary>
internal static class CompletionContext
{
    /// <summary>How long one Tab press may wait for etcd.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    public static EtcdConnectionSettings Settings(IDictionary fakeBoundParameters)
    {
        EtcdConnectionSettings? settings = null;
        if (Unwrap(fakeBoundParameters["Connection"]) is EtcdConnection connection) settings = connection.GetSettings();
        settings ??= SessionConnection()?.GetSettings() ?? EtcdConnectionSettings.FromEnvironment() ?? new EtcdConnectionSettings();
        var endpoints = Unwrap(fakeBoundParameters["Endpoint"]) switch
        {
            string text => [text],
            object[] many => many.Select(Unwrap).OfType<string>().ToArray(),
            _ => Array.Empty<string>(),
        };
        if (endpoints.Length > 0) settings = settings with { Endpoints = EtcdCmdlet.SplitEndpoints(endpoints), ExpectedClusterId = null };
        return settings with { DialTimeout = Budget, CommandTimeout = Budget };
    }

    /// <summary>Runs <paramref name="ask"/> within the budget; any failure or timeout gives nothing.</summary>
    public static IReadOnlyList<T> Ask<T>(EtcdConnectionSettings settings, Func<EtcdCluster, CancellationToken, Task<IReadOnlyList<T>>> ask)
    {
        try
        {
            using var deadline = new CancellationTokenSource(Budget);
            using var cluster = new EtcdCluster(settings);
            var work = Task.Run(() => ask(cluster, deadline.Token), deadline.Token);
            return work.Wait(Budget + TimeSpan.FromMilliseconds(200)) ? work.Result : [];
        }
        catch (Exception e) when (e is AggregateException or EtcdException or ArgumentException or OperationCanceledException)
        {
            return [];
        }
    }

    /// <summary>The text of a completion, quoted when PowerShell would not read it as one word.</summary>
    public static string Quote(string text) =>
        text.Length > 0 && text.All(c => char.IsLetterOrDigit(c) || c is '/' or '-' or '_' or '.' or ':')
            ? text
            : "'" + CodeGeneration.EscapeSingleQuotedStringContent(text) + "'";

    /// <summary>What the user typed, without the quotes they may have opened.</summary>
    public static string Unquote(string word) => word.Trim('\'', '"');

    private static EtcdConnection? SessionConnection()
    {
        // Completers run on the pipeline thread of the runspace they complete in.
        using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
        var module = powerShell.AddCommand("Get-Module").AddParameter("Name", "EtcdTools").Invoke<PSModuleInfo>().FirstOrDefault();
        return module?.SessionState is { } state ? EtcdSession.Of(state).Connection : null;
    }

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;
}
