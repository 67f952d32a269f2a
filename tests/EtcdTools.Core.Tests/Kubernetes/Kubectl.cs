using System.Diagnostics;
using EtcdTools.Core.Tests.Fixtures;

namespace EtcdTools.Core.Tests.Kubernetes;

/// <summary>Runs the real kubectl against the fake API server: a second client that keeps the fake honest.</summary>
public static class Kubectl
{
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromSeconds(60);

    public static async Task<EtcdctlResult> RunAsync(string kubeconfig, params string[] arguments)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("--kubeconfig=" + kubeconfig);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // A developer's own proxy or cache must not take part.
        foreach (var key in new[] { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "KUBECONFIG" }) start.Environment.Remove(key);
        start.Environment["KUBECACHEDIR"] = Path.Combine(Path.GetDirectoryName(kubeconfig)!, "kube-cache");
        using var process = Process.Start(start)!;
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
            throw new TimeoutException($"kubectl {string.Join(' ', arguments)} ran longer than {ProcessLimit}.");
        }
        return new EtcdctlResult(process.ExitCode, (await output).Trim(), (await error).Trim());
    }
}
