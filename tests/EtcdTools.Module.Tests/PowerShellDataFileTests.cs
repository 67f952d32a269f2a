using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

public sealed class PowerShellDataFileTests
{
    [Fact]
    public void ReadsAManifestShapedHashtable()
    {
        const string text = """
            # comment
            @{
                RootModule = 'EtcdTools.dll'   # trailing comment
                <# block
                   comment #>
                CompatiblePSEditions = @('Core')
                CmdletsToExport = @(
                    'Get-EtcdMember',
                    'Invoke-EtcdDefrag'
                    'Test-EtcdHealth'
                )
                Empty = @()
                Quoted = 'it''s'
                Double = "plain"
                List = 'a', 'b'
                Number = 42; Flag = $true; Nothing = $null
                PrivateData = @{ PSData = @{ Tags = @('etcd') } }
            }
            """;

        var data = PowerShellDataFile.Parse(text);

        Assert.Equal("EtcdTools.dll", data["rootmodule"]);
        Assert.Equal(["Core"], PowerShellDataFile.StringList(data["CompatiblePSEditions"]));
        Assert.Equal(["Get-EtcdMember", "Invoke-EtcdDefrag", "Test-EtcdHealth"], PowerShellDataFile.StringList(data["CmdletsToExport"]));
        Assert.Empty(PowerShellDataFile.StringList(data["Empty"]));
        Assert.Equal("it's", data["Quoted"]);
        Assert.Equal("plain", data["Double"]);
        Assert.Equal(["a", "b"], PowerShellDataFile.StringList(data["List"]));
        Assert.Equal(42L, data["Number"]);
        Assert.Equal(true, data["Flag"]);
        Assert.Null(data["Nothing"]);
        var psData = (Dictionary<string, object?>)((Dictionary<string, object?>)data["PrivateData"]!)["PSData"]!;
        Assert.Equal(["etcd"], PowerShellDataFile.StringList(psData["Tags"]));
    }

    [Theory]
    [InlineData("@{ A = Get-Date }")]
    [InlineData("@{ A = \"$env:HOME\" }")]
    [InlineData("@{ A = $PSScriptRoot }")]
    [InlineData("@{ A = 'x' ")]
    [InlineData("@{ A = 'x'; A = 'y' }")]
    [InlineData("@{ A = 'x' } trailing")]
    public void RejectsWhatIsNotPlainData(string text)
    {
        Assert.Throws<FormatException>(() => PowerShellDataFile.Parse(text));
    }
}
