using System.Diagnostics;
using EtcdTools.Client;

namespace EtcdTools.Core.Tests.Fixtures;

/// <summary>The outcome of one etcdctl run.</summary>
public sealed record EtcdctlResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {StandardOutput}\nstderr: {StandardError}";
}

/// <summary>
/// Runs the real etcdctl (v3 API) as an independent witness of what our code claims. Its environment
/// has no ETCDCTL_* or ETCD_* variables: etcdctl 3.4 refuses to run when a variable and a flag both set
/// the same option, and a developer's own settings must not leak into tests.
/// </summary>
public static class Etcdctl
{
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromSeconds(30);

    /// <summary>--endpoints and, with TLS, --cacert/--cert/--key for <paramref name="settings"/>.</summary>
    public static List<string> ConnectionArguments(EtcdConnectionSettings settings)
    {
        var arguments = new List<string> { "--endpoints=" + string.Join(',', settings.Endpoints) };
        if (settings.CaCertificatePath is not null)
            arguments.Add("--cacert=" + settings.CaCertificatePath);
        if (settings.CertificatePath is not null)
            arguments.Add("--cert=" + settings.CertificatePath);
        if (settings.KeyPath is not null)
            arguments.Add("--key=" + settings.KeyPath);
        return arguments;
    }

    /// <summary>Runs etcdctl with the connection arguments of <paramref name="settings"/> followed by <paramref name="arguments"/>.</summary>
    public static Task<EtcdctlResult> RunAsync(EtcdConnectionSettings settings, params string[] arguments) =>
        RunAsync([.. ConnectionArguments(settings), .. arguments]);

    public static async Task<EtcdctlResult> RunAsync(IEnumerable<string> arguments, string? standardInput = null)
    {
        var startInfo = new ProcessStartInfo("etcdctl")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        foreach (var key in startInfo.Environment.Keys.ToArray())
            if (key.StartsWith("ETCDCTL_", StringComparison.Ordinal) || key.StartsWith("ETCD_", StringComparison.Ordinal))
                startInfo.Environment.Remove(key);

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("etcdctl did not start.");
        if (standardInput is not null)
            await process.StandardInput.WriteAsync(standardInput);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(ProcessLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"etcdctl {string.Join(' ', startInfo.ArgumentList)} ran longer than {ProcessLimit}.");
        }
        return new EtcdctlResult(process.ExitCode, (await output).Trim(), (await error).Trim());
    }
}
