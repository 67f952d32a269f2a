using System.Management.Automation;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Pipelines;

/// <summary>
/// Invoke-EtcdDefrag, Invoke-EtcdCompaction and the member cmdlets in hosted PowerShell on the
/// shared TLS sandbox: pipeline binding, confirmation, -WhatIf, results that render and export,
/// refusals with $? and ErrorIds. Nothing here leaves the sandbox changed: defragmentation keeps
/// the data, a stopped member is started again, and compaction and membership are changed only in
/// the Pester suite's own sandboxes.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed class MaintenanceCmdletTests(SandboxFixture fixture)
{
    [Fact]
    public void PipedMembersAreDefragmentedTogetherFollowersFirstAndTheResultsRenderAndExport()
    {
        using var session = fixture.NewSession();
        var run = session.Invoke("Get-EtcdMember | Invoke-EtcdDefrag -Force -WaitBetween 0 -Confirm:$false -Verbose").ThrowOnError();

        Assert.Equal(3, run.Output.Count);
        Assert.All(run.Output, r => Assert.Equal("EtcdTools.Maintenance.EtcdDefragResult", r.BaseObject.GetType().FullName));
        Assert.All(run.Output, r => Assert.Equal("Defragmented", r.Get("Action")!.ToString()));
        Assert.Equal([false, false, true], run.Output.Select(r => r.Get<bool>("IsLeader")));
        Assert.All(run.Output, r => Assert.True(r.Get<long?>("DbSizeAfterBytes") is > 0));
        // The plan as ShouldProcess shows it under -Verbose, then one line per member.
        Assert.Contains(run.Verbose, v => v.StartsWith("Performing the operation", StringComparison.Ordinal) || v.StartsWith("Defragment 3 of 3 members of cluster ", StringComparison.Ordinal));
        Assert.Contains(run.Verbose, v => v.Contains("1. ", StringComparison.Ordinal) && v.Contains(", follower: database ", StringComparison.Ordinal));
        Assert.Contains(run.Progress, p => p.Activity.StartsWith("Defragmenting 3 member(s) of cluster ", StringComparison.Ordinal) && p.StatusDescription.Contains(": Defragmenting", StringComparison.Ordinal));
        Assert.Contains(run.Progress, p => p.RecordType == ProgressRecordType.Completed);

        session.SetVariable("results", run.Output.ToArray());
        var table = session.Invoke("$results | Out-String -Width 200").ThrowOnError().Text;
        Assert.Contains("Reclaimed", table, StringComparison.Ordinal);
        Assert.Contains("leader", table, StringComparison.Ordinal);
        var csv = session.Invoke("$results | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv | ForEach-Object { $_.Action + '/' + $_.MemberId }").ThrowOnError();
        Assert.Equal(run.Output.Select(r => $"Defragmented/{r.Get("MemberId")}"), csv.Output.Select(o => o.ToString()));

        // Nothing piped in: nothing done (not every member).
        Assert.Empty(session.Invoke("Get-EtcdMember | Where-Object { $false } | Invoke-EtcdDefrag -Force -Confirm:$false").ThrowOnError().Output);

        // One member piped in: just that one.
        var one = session.Invoke("Get-EtcdMember | Where-Object { -not $_.IsLeader } | Select-Object -First 1 | Invoke-EtcdDefrag -Force -WaitBetween 0 -Confirm:$false").ThrowOnError();
        Assert.Equal("Defragmented", Assert.Single(one.Output).Get("Action")!.ToString());
    }

    [Fact]
    public void DefragmentationAsksFirstAndWhatIfChangesNothing()
    {
        using var session = fixture.NewSession();
        Assert.Equal("High", session.Invoke("(Get-Command Invoke-EtcdDefrag).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact.ToString()").ThrowOnError().SingleValue());
        Assert.Equal("High", session.Invoke("(Get-Command Repair-EtcdQuota).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact.ToString()").ThrowOnError().SingleValue());
        Assert.Equal("High", session.Invoke("(Get-Command Remove-EtcdMember).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact.ToString()").ThrowOnError().SingleValue());

        // $ConfirmPreference is High: it must ask, and a host that cannot ask gets an error, not a defragmentation.
        var unconfirmed = session.Invoke("Invoke-EtcdDefrag -Force -WaitBetween 0");
        Assert.True(unconfirmed.HadErrors);
        Assert.Empty(unconfirmed.Output);
        var whatIf = session.Invoke("Invoke-EtcdDefrag -Force -WhatIf; $?").ThrowOnError();
        Assert.Equal(true, whatIf.SingleValue());
    }

    [Fact]
    public void WithAMemberDownEveryMemberIsNotStartedAndOneErrorSaysWhy()
    {
        using var session = fixture.NewSession();
        var stopped = (string)session.Invoke("$sandbox.Members[2].Name").SingleValue()!;
        session.Invoke("$sandbox | Stop-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        try
        {
            var result = session.Invoke("""
                $results = Invoke-EtcdDefrag -Force -Confirm:$false -CommandTimeout 2 -ErrorVariable failures -ErrorAction SilentlyContinue
                $succeeded = $?
                [pscustomobject]@{
                    Actions = @($results.Action | ForEach-Object ToString)
                    Succeeded = $succeeded
                    Ids = @($failures.FullyQualifiedErrorId)
                    Category = "$($failures[0].CategoryInfo.Category)"
                    Message = $failures[0].Exception.Message
                    Target = $failures[0].TargetObject.Member
                }
                try { Invoke-EtcdDefrag -Force -Confirm:$false -CommandTimeout 2 -ErrorAction Stop | Out-Null; 'not stopped' } catch { $_.FullyQualifiedErrorId }
                """).ThrowOnError();
            var summary = result.Output[0];
            Assert.Equal(["NotStarted", "NotStarted", "NotStarted"], ((object[])summary.Get("Actions")!).Select(a => a.ToString()));
            Assert.False((bool)summary.Get("Succeeded")!);
            Assert.Equal("EtcdDefragRefused,EtcdTools.Commands.InvokeEtcdDefragCommand", Assert.Single((object[])summary.Get("Ids")!));
            Assert.Equal("ResourceUnavailable", summary.Get("Category"));
            var message = (string)summary.Get("Message")!;
            Assert.Contains("fault tolerance 0", message, StringComparison.Ordinal);
            Assert.Contains(stopped, message, StringComparison.Ordinal);
            Assert.Contains("Done: none. Not started: ", message, StringComparison.Ordinal);
            Assert.NotNull(summary.Get("Target"));
            Assert.Equal("EtcdDefragRefused,EtcdTools.Commands.InvokeEtcdDefragCommand", result.Output[1].ToString());
        }
        finally
        {
            session.Invoke("$sandbox | Start-EtcdSandboxMember -Index 2 -Confirm:$false").ThrowOnError();
        }
    }

    [Fact]
    public void CompactionRefusesAFutureRevisionWithEtcdsErrorAndHasNothingToDoBeyondTheHistory()
    {
        using var session = fixture.NewSession();
        var future = session.Invoke("Invoke-EtcdCompaction -Revision 999999999 -Confirm:$false");
        var error = Assert.Single(future.Errors);
        Assert.Equal("EtcdInvalidArgument,EtcdTools.Commands.InvokeEtcdCompactionCommand", error.FullyQualifiedErrorId);
        Assert.Contains("Revision 999999999 is in the future", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("etcdserver: mvcc: required revision is a future revision", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(future.Output);

        var nothing = session.Invoke("Invoke-EtcdCompaction -KeepRevisions 999999999 -Confirm:$false").ThrowOnError();
        Assert.Empty(nothing.Output);
        Assert.Contains("nothing is compacted", Assert.Single(nothing.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void MemberCmdletsRefuseWhatEtcdWouldRefuseWithTheirErrorIds()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("""
            $member = Get-EtcdMember | Select-Object -First 1
            Add-EtcdMember -Name newcomer -PeerUrl 10.0.0.9:2380 -Learner -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable e1; $e1[0].FullyQualifiedErrorId
            Add-EtcdMember -Name newcomer -PeerUrl ($member.PeerUrls -split ',')[0] -Learner -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable e2; $e2[0].FullyQualifiedErrorId
            $member | Update-EtcdMember -Promote -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable e3; $e3[0].FullyQualifiedErrorId
            Remove-EtcdMember -MemberId no-such-member -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable e4; $e4[0].FullyQualifiedErrorId
            Remove-EtcdMember -MemberId $member.MemberId -WhatIf; (Get-EtcdMember).Count
            """).ThrowOnError();
        Assert.Equal([
            "InvalidArgument,EtcdTools.Commands.AddEtcdMemberCommand",
            "EtcdAlreadyExists,EtcdTools.Commands.AddEtcdMemberCommand",
            "EtcdMemberNotLearner,EtcdTools.Commands.UpdateEtcdMemberCommand",
            "EtcdMemberNotFound,EtcdTools.Commands.RemoveEtcdMemberCommand",
            "3",
        ], result.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void RemovingAHealthyMemberOfThreeAsksAgainAndAHostThatCannotAskRemovesNothing()
    {
        using var session = fixture.NewSession();
        var result = session.Invoke("""
            $member = Get-EtcdMember | Where-Object { -not $_.IsLeader } | Select-Object -First 1
            try { $member | Remove-EtcdMember -Confirm:$false -ErrorAction Stop; 'removed' } catch { 'refused: ' + $_.Exception.Message }
            (Get-EtcdMember).Count
            """);
        Assert.StartsWith("refused: ", result.Output[0].ToString(), StringComparison.Ordinal);
        Assert.Equal("3", result.Output[1].ToString());
    }

    [Fact]
    public void PromoteCompletesOnlyLearners()
    {
        using var session = fixture.NewSession();
        List<string> Complete(string input) =>
            session.Invoke("(TabExpansion2 -inputScript $args[0] -cursorColumn $args[0].Length).CompletionMatches | Where-Object ResultType -EQ ParameterValue | ForEach-Object CompletionText", input)
                .ThrowOnError().Output.Select(o => o.ToString()).ToList();
        Assert.Equal(3, Complete("Update-EtcdMember -MemberId ").Count);
        Assert.Equal(3, Complete("Remove-EtcdMember -MemberId ").Count);
        Assert.Equal(3, Complete("Invoke-EtcdDefrag -MemberId ").Count);
        // The sandbox has no learner.
        Assert.Empty(Complete("Update-EtcdMember -Promote -MemberId "));
    }
}
