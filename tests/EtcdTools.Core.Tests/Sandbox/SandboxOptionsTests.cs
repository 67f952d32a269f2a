using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Sandbox;

public sealed class SandboxOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(-1)]
    public void RejectsMemberCountsOtherThanOneThreeOrFive(int members)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new EtcdSandboxOptions { Members = members });
        Assert.Contains("1, 3 or 5", error.Message);
        Assert.Equal("Members", error.ParamName);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("a,b")]
    [InlineData("x=y")]
    [InlineData("../escape")]
    [InlineData("")]
    public void RejectsNamesThatCannotBeAClusterTokenOrDirectory(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => new EtcdSandboxOptions { Name = name });

    [Fact]
    public async Task RejectsElectionTimeoutUnderFiveHeartbeats()
    {
        var options = new EtcdSandboxOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100), ElectionTimeout = TimeSpan.FromMilliseconds(400) };
        Assert.Throws<ArgumentException>(options.Validate);
        await Assert.ThrowsAsync<ArgumentException>(() => EtcdSandbox.StartAsync(options));
    }

    [Fact]
    public void RejectsNonPositiveQuotaAndReadyTimeout()
    {
        Assert.ThrowsAny<ArgumentException>(() => new EtcdSandboxOptions { QuotaBackendBytes = 0 });
        Assert.ThrowsAny<ArgumentException>(() => new EtcdSandboxOptions { ReadyTimeout = TimeSpan.Zero });
    }

    [Fact]
    public void DefaultsToOnePlaintextMemberWithThirtySecondsToGetReady()
    {
        var options = new EtcdSandboxOptions();
        Assert.Equal(1, options.Members);
        Assert.False(options.Tls);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReadyTimeout);
        Assert.Empty(options.ExtraArguments);
    }
}

public sealed class EtcdBinaryTests
{
    [Fact]
    public void MissingBinaryExplainsWhereToGetOne()
    {
        var error = Assert.Throws<EtcdBinaryNotFoundException>(() => EtcdBinary.Locate("/nonexistent/dir/etcd"));
        Assert.IsAssignableFrom<FileNotFoundException>(error);
        Assert.Equal("/nonexistent/dir/etcd", error.FileName);
        Assert.Contains("/nonexistent/dir/etcd", error.Message);
        Assert.Contains("apt-get install etcd-server", error.Message);
        Assert.Contains("https://github.com/etcd-io/etcd/releases", error.Message);
        Assert.Contains("-EtcdPath", error.Message);
    }

    [Fact]
    public void NoEtcdOnPathExplainsWhereToGetOne()
    {
        var error = Assert.Throws<EtcdBinaryNotFoundException>(() => EtcdBinary.Locate(null, "/nonexistent:/also-nonexistent"));
        Assert.Contains("PATH", error.Message);
        Assert.Contains("apt-get install etcd-server", error.Message);
    }

    [Fact]
    public async Task StartWithMissingBinaryFailsWithTheSameHelp()
    {
        var error = await Assert.ThrowsAsync<EtcdBinaryNotFoundException>(
            () => EtcdSandbox.StartAsync(new EtcdSandboxOptions { EtcdPath = "/nonexistent/etcd" }));
        Assert.Contains("https://github.com/etcd-io/etcd/releases", error.Message);
    }

    [Fact]
    public void NonExecutableFileIsRefused()
    {
        var file = Path.GetTempFileName();
        try
        {
            var error = Assert.Throws<EtcdBinaryNotFoundException>(() => EtcdBinary.Locate(file));
            Assert.Contains("not executable", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void FindsEtcdOnPathOrInAGivenDirectory()
    {
        Assert.Equal("/usr/bin/etcd", EtcdBinary.Locate(null, "/nonexistent:/usr/bin"));
        Assert.Equal("/usr/bin/etcd", EtcdBinary.Locate("/usr/bin"));
        Assert.Equal("/usr/bin/etcd", EtcdBinary.Locate("/usr/bin/etcd"));
    }
}
