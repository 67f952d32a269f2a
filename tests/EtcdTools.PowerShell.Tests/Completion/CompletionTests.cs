using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Completion;

/// <summary>Tab completion as PowerShell's own engine (TabExpansion2) asks the module's completers.</summary>
[Collection(SandboxGroup.Name)]
public sealed class CompletionTests(SandboxFixture fixture)
{
    /// <summary>
    /// What the module's completer offered. When a completer offers nothing, PowerShell falls back to
    /// its own completion (file names), which is left out here.
    /// </summary>
    private static List<string> CompleteOnce(PowerShellSession session, string input) =>
        session.Invoke("(TabExpansion2 -inputScript $args[0] -cursorColumn $args[0].Length).CompletionMatches | Where-Object ResultType -EQ ParameterValue | ForEach-Object CompletionText", input)
            .ThrowOnError().Output.Select(o => o.ToString()).ToList();

    /// <summary>
    /// What the module's completer offered for a word it has answers for. A completer that misses its
    /// one-second budget offers nothing, by design; on a loaded test machine that is no failure of
    /// the completer, so an empty answer is asked again, twice at most.
    /// </summary>
    private static List<string> Complete(PowerShellSession session, string input)
    {
        var offered = CompleteOnce(session, input);
        for (var attempt = 1; offered.Count == 0 && attempt < 3; attempt++) offered = CompleteOnce(session, input);
        return offered;
    }

    [Fact]
    public void MemberIdCompletesToTheConnectedClustersMemberNames()
    {
        using var session = fixture.NewSession();
        var names = session.Invoke("$sandbox.Members.Name").Output.Select(o => o.ToString()).Order().ToList();
        Assert.Equal(names, Complete(session, "Get-EtcdMember -MemberId ").Order());
        Assert.Equal([names[1]], Complete(session, $"Get-EtcdHealth -MemberId {names[1]}"));
    }

    [Fact]
    public void MemberIdCompletesAHexPrefixToTheMembersId()
    {
        using var session = fixture.NewSession();
        var id = (string)session.Invoke("(Get-EtcdMember | Select-Object -First 1).MemberId").ThrowOnError().SingleValue()!;
        Assert.Contains(id, Complete(session, $"Move-EtcdLeader -MemberId {id[..4]}"));
    }

    [Fact]
    public void KeyCompletesOnePathSegmentAtATime()
    {
        using var session = fixture.NewSession();
        var root = $"/completion{Guid.NewGuid():N}"[..20];
        session.Invoke("""
            foreach ($key in 'pods/ns1/a', 'pods/ns1/b', 'pods/ns2/c', 'services/x', 'single') { Set-EtcdKey -Key "$($args[0])/$key" -Value v -Confirm:$false }
            """, root).ThrowOnError();
        Assert.Equal([$"{root}/pods/", $"{root}/services/", $"{root}/single"], Complete(session, $"Get-EtcdKey -Key {root}/"));
        Assert.Equal([$"{root}/pods/ns1/", $"{root}/pods/ns2/"], Complete(session, $"Get-EtcdKey -Prefix {root}/pods/"));
        Assert.Equal([$"{root}/pods/ns1/a", $"{root}/pods/ns1/b"], Complete(session, $"Remove-EtcdKey -Key {root}/pods/ns1/"));
        session.Invoke("Remove-EtcdKey -Key $args[0] -Prefix -Confirm:$false", root + "/").ThrowOnError();
    }

    [Fact]
    public void SandboxNamesComplete()
    {
        using var session = fixture.NewSession(connect: false);
        var name = (string)session.Invoke("$sandbox.Name").SingleValue()!;
        Assert.Contains(name, Complete(session, $"Get-EtcdSandbox -Name {name[..6]}"));
        Assert.Contains(name, Complete(session, $"Stop-EtcdSandbox -Name {name[..6]}"));
        Assert.Contains($"{name}-1", Complete(session, $"Suspend-EtcdSandboxMember -Sandbox $sandbox -MemberName {name}"));
    }

    [Fact]
    public void ACompleterThatGetsNoAnswerOffersNothingWithinItsBudget()
    {
        // A port that accepts connections and never answers: the TLS handshake hangs.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var session = new PowerShellSession();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var watch = Stopwatch.StartNew();
            var completions = CompleteOnce(session, $"Get-EtcdMember -Endpoint https://127.0.0.1:{port} -MemberId ");
            watch.Stop();
            Assert.Empty(completions);
            // The completer's budget is a second; allow for a loaded machine, but far below the 5 s default timeout.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"Completion took {watch.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            listener.Stop();
        }
    }
}
