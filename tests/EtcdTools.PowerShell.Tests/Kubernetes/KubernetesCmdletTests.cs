using System.Diagnostics;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Kubernetes;

/// <summary>The Kubernetes cmdlets, and the existing ones over a Kubernetes connection, in hosted PowerShell against the fake API server and real etcd.</summary>
[Collection(KubernetesGroup.Name)]
public sealed class KubernetesCmdletTests(KubernetesFixture fixture)
{
    [Fact]
    public void GetEtcdPodListsTheMembersPodsWithTheirView()
    {
        using var session = fixture.NewSession();
        var pods = session.Invoke("Get-EtcdPod -Kubeconfig $kubeconfig").ThrowOnError();
        Assert.Equal(["etcd-master-0", "etcd-master-1", "etcd-master-2"], pods.Output.Select(p => p.Get<string>("Name")));
        Assert.All(pods.Output, p => Assert.Contains("EtcdTools.Kubernetes.EtcdPod", p.TypeNames));
        Assert.Equal("OpenShift", pods.Output[0].Get("Flavor")!.ToString());
        var table = session.Invoke("Get-EtcdPod -Kubeconfig $kubeconfig | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("LastTermination", table, StringComparison.Ordinal);
        Assert.Contains("OOMKilled", table, StringComparison.Ordinal);
        Assert.Contains("master-2", table, StringComparison.Ordinal);
    }

    [Fact]
    public void ExistingCmdletsWorkOverTheKubernetesConnectionWithTheCertificateFromTheSecret()
    {
        using var session = fixture.NewSession();
        session.Invoke("Connect-EtcdCluster -Kubernetes -Kubeconfig $kubeconfig").ThrowOnError();
        var connection = Assert.Single(session.Invoke("Get-EtcdConnection").ThrowOnError().Output);
        Assert.Equal("Kubernetes", connection.Get<string>("Source"));
        Assert.Null(connection.Get("CertificatePath"));

        var members = session.Invoke("Get-EtcdMember").ThrowOnError();
        Assert.Equal(3, members.Output.Count);
        var health = session.Invoke("Get-EtcdHealth").ThrowOnError();
        Assert.Equal(3, health.Output.Count);
        Assert.All(health.Output, h => Assert.True(h.Get<bool>("Healthy"), h.ToString()));
        var checks = session.Invoke("Test-EtcdCluster -Detailed").ThrowOnError();
        Assert.NotEmpty(checks.Output);
        Assert.DoesNotContain(checks.Output, c => c.Get<string>("Status") == "Fail");
        // The pods' own checks: all Ready, master-1 recorded with a restart after an OOM kill, and the logs read.
        Assert.Equal(3, checks.Output.Count(c => c.Get<string>("Check") == "PodReady" && c.Get<string>("Status") == "Pass"));
        var restarts = checks.Output.Single(c => c.Get<string>("Check") == "PodRestarts" && c.Get<string>("Member") == "master-1");
        Assert.Equal("Warn", restarts.Get<string>("Status"));
        Assert.Contains("OOMKilled", restarts.Get<string>("Message"), StringComparison.Ordinal);
        Assert.Equal(3, checks.Output.Count(c => c.Get<string>("Check") == "LogWarnings" && c.Get<string>("Value") != "unknown"));
        session.Invoke("Set-EtcdKey -Key /hosted/k8s -Value 'through the API server'").ThrowOnError();
        var key = Assert.Single(session.Invoke("Get-EtcdKey -Key /hosted/k8s").ThrowOnError().Output);
        Assert.Equal("through the API server", key.Get<string>("Value"));
        Assert.Contains(fixture.Server.Requests, r => r.Contains("/pods/etcd-master-1/portforward", StringComparison.Ordinal));

        // A backup through the port-forwards: streamed from a follower, verified and renamed into place as on a bare cluster.
        var path = Path.Combine(Path.GetTempPath(), $"k8s-snapshot-{Guid.NewGuid():N}.db");
        try
        {
            var saved = Assert.Single(session.Invoke("Save-EtcdSnapshot -Path $args[0]", path).ThrowOnError().Output);
            Assert.Equal(new FileInfo(path).Length, saved.Get<long>("SizeBytes"));
            Assert.True((bool)session.Invoke("Test-EtcdSnapshot -Path $args[0]", path).ThrowOnError().SingleValue()!);
            Assert.Equal(1, session.Invoke("@(Get-EtcdKey -Key /hosted/k8s -Revision $args[0]).Count", saved.Get<long>("Revision")).ThrowOnError().SingleValue());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GetEtcdHealthAndTestEtcdClusterReportThePodsOfAPassThruConnectionNotOnlyOfTheSessions()
    {
        using var session = fixture.NewSession();
        // The session holds a plain connection to the sandbox; the Kubernetes one is only in $k8s.
        session.Invoke("""
            $k8s = Connect-EtcdCluster -Kubernetes -Kubeconfig $kubeconfig -PassThru
            Connect-EtcdCluster -Endpoint ($sandbox.GetClientEndpoints() -join ',') -CaCertificatePath $sandbox.CaCertificatePath -CertificatePath $sandbox.CertificatePath -KeyPath $sandbox.KeyPath
            """).ThrowOnError();

        var health = session.Invoke("Get-EtcdHealth -Connection $k8s").ThrowOnError().Output;
        Assert.Equal(3, health.Count);
        Assert.All(health, h => Assert.True(h.Get<bool>("Healthy"), h.ToString()));
        Assert.All(health, h => Assert.Equal($"openshift-etcd/etcd-{h.Get<string>("Name")}", h.Get<string>("Pod")));
        Assert.All(health, h => Assert.True(h.Get<bool?>("PodReady")));
        Assert.All(health, h => Assert.NotNull(h.Get<int?>("LogWarnings")));
        // master-1 is recorded with a restart after an OOM kill.
        Assert.Equal(1, health.Single(h => h.Get<string>("Name") == "master-1").Get<int?>("PodRestarts"));
        var table = session.Invoke("Get-EtcdHealth -Connection $k8s | Format-Table -View Pod | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("openshift-etcd/etcd-master-0", table, StringComparison.Ordinal);
        Assert.Contains("LogWarnings", table, StringComparison.Ordinal);

        // The session's own (direct) connection has no pods: the fields stay empty.
        var direct = session.Invoke("Get-EtcdHealth").ThrowOnError().Output;
        Assert.All(direct, h => Assert.Equal("", h.Get<string>("Pod")));
        Assert.All(direct, h => Assert.Null(h.Get<bool?>("PodReady")));

        var checks = session.Invoke("Test-EtcdCluster -Detailed -Connection $k8s").ThrowOnError().Output;
        Assert.Equal(3, checks.Count(c => c.Get<string>("Check") == "PodReady"));
        Assert.DoesNotContain(session.Invoke("Test-EtcdCluster -Detailed").ThrowOnError().Output, c => c.Get<string>("Check") == "PodReady");
    }

    [Fact]
    public void PodLogsAreClassifiedForGroupObject()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("Get-EtcdPod -Kubeconfig $kubeconfig | Get-EtcdPodLog -Kubeconfig $kubeconfig -IncludeOther -Tail 50").ThrowOnError();
        Assert.NotEmpty(result.Output);
        Assert.All(result.Output, e => Assert.StartsWith("master-", e.Get<string>("MemberName"), StringComparison.Ordinal));
        Assert.Contains(result.Output, e => e.Get("Category")!.ToString() == "LeaderElected");
        var groups = session.Invoke("Get-EtcdPod -Kubeconfig $kubeconfig | Get-EtcdPodLog -Kubeconfig $kubeconfig | Group-Object Category").ThrowOnError();
        Assert.DoesNotContain(groups.Output, g => g.Get<string>("Name") == "Other");
        var view = session.Invoke("Get-EtcdPod -Kubeconfig $kubeconfig | Select-Object -First 1 | Get-EtcdPodLog -Kubeconfig $kubeconfig | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("Category", view, StringComparison.Ordinal);
    }

    [Fact]
    public void AForbiddenSecretAndAForbiddenPortForwardGiveClearErrors()
    {
        using var session = fixture.NewSession();
        var secret = session.Invoke("Connect-EtcdCluster -Kubernetes -Kubeconfig $kubeconfig -Context fake-limited");
        var error = Assert.Single(secret.Errors);
        Assert.StartsWith("EtcdKubernetesForbidden", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("Secret openshift-etcd/etcd-client", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-CertificatePath", error.Exception.Message, StringComparison.Ordinal);

        var forward = session.Invoke("Connect-EtcdCluster -Kubernetes -Kubeconfig $kubeconfig -Context fake-limited -CaCertificatePath $sandbox.CaCertificatePath -CertificatePath $sandbox.CertificatePath -KeyPath $sandbox.KeyPath");
        var denied = Assert.Single(forward.Errors);
        Assert.StartsWith("EtcdPermissionDenied", denied.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("create pods/portforward in namespace openshift-etcd", denied.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortForwardsServeEtcdctlUntilStopped()
    {
        using var session = fixture.NewSession();
        session.Invoke("Connect-EtcdCluster -Kubernetes -Kubeconfig $kubeconfig").ThrowOnError();
        var forwards = session.Invoke("Start-EtcdPortForward").ThrowOnError();
        Assert.Equal(3, forwards.Output.Count);
        var endpoints = string.Join(',', forwards.Output.Select(f => f.Get<string>("Endpoint")));
        var etcdctl = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--endpoints=" + endpoints, "--cacert=" + fixture.Sandbox.Get<string>("CaCertificatePath"),
            "--cert=" + fixture.Sandbox.Get<string>("CertificatePath"), "--key=" + fixture.Sandbox.Get<string>("KeyPath"), "endpoint", "health" })
            etcdctl.ArgumentList.Add(argument);
        foreach (var variable in etcdctl.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToArray()) etcdctl.Environment.Remove(variable);
        using (var process = Process.Start(etcdctl)!)
        {
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, output);
            Assert.Equal(3, output.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)));
        }
        var stopped = session.Invoke("Stop-EtcdPortForward -PassThru -Confirm:$false").ThrowOnError();
        Assert.Equal(3, stopped.Output.Count);
        Assert.All(stopped.Output, f => Assert.False(f.Get<bool>("IsRunning")));
    }

    [Fact]
    public void TheViewsOfPodsLogLinesAndPortForwardsRenderRealObjects()
    {
        using var session = fixture.NewSession();
        session.Invoke("Connect-EtcdCluster -Kubernetes -Kubeconfig $kubeconfig").ThrowOnError();
        var samples = session.Invoke("""
            $pods = Get-EtcdPod -Kubeconfig $kubeconfig
            $pods
            $pods | Get-EtcdPodLog -Kubeconfig $kubeconfig -Tail 20 -IncludeOther
            Start-EtcdPortForward -Member master-0
            """).ThrowOnError().Output;
        foreach (var group in samples.GroupBy(s => s.BaseObject.GetType().FullName))
        {
            session.SetVariable("objects", group.ToArray());
            foreach (var format in new[] { "Format-Table -ShowError", "Format-List -ShowError", "Format-Custom" })
            {
                var shown = session.Invoke($"$objects | {format} -DisplayError | Out-String -Width 250").ThrowOnError().Text;
                Assert.DoesNotContain("#ERR", shown, StringComparison.Ordinal);
                Assert.False(string.IsNullOrWhiteSpace(shown), $"{format} of {group.Key} shows nothing");
            }
        }
        Assert.Equal(3, samples.Select(s => s.BaseObject.GetType().FullName).Distinct().Count());
        session.Invoke("Stop-EtcdPortForward -Confirm:$false").ThrowOnError();
    }

    [Fact]
    public void AnotherModulesOlderYamlDotNetLoadedFirstDoesNotBreakKubeconfigParsing()
    {
        // The test process holds YamlDotNet 13 in the default load context, as another module would.
        var other = typeof(YamlDotNet.Serialization.Deserializer).Assembly;
        Assert.Equal(13, other.GetName().Version!.Major);
        using var session = fixture.NewSession();
        var pods = session.Invoke("Get-EtcdPod -Kubeconfig $kubeconfig").ThrowOnError();
        Assert.Equal(3, pods.Output.Count);
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "YamlDotNet").Select(a => a.GetName().Version!.Major).Order().ToList();
        Assert.Equal([13, 18], loaded);
    }
}
