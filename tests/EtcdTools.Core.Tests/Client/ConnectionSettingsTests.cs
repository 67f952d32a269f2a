using System.Collections;
using EtcdTools.Client;
using EtcdTools.Protocol;

namespace EtcdTools.Core.Tests.Client;

public sealed class ConnectionSettingsTests
{
    [Fact]
    public void EnvironmentVariablesAreReadAsEtcdctlReadsThem()
    {
        var settings = EtcdConnectionSettings.FromEnvironment(new Hashtable
        {
            ["ETCDCTL_ENDPOINTS"] = "https://10.0.0.1:2379, https://10.0.0.2:2379",
            ["ETCDCTL_CACERT"] = "/etc/kubernetes/pki/etcd/ca.crt",
            ["ETCDCTL_CERT"] = "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
            ["ETCDCTL_KEY"] = "/etc/kubernetes/pki/etcd/healthcheck-client.key",
            ["ETCDCTL_USER"] = "root:pa:ss",
            ["ETCDCTL_DIAL_TIMEOUT"] = "3s",
            ["ETCDCTL_COMMAND_TIMEOUT"] = "1m30s",
        })!;

        Assert.Equal(["https://10.0.0.1:2379", "https://10.0.0.2:2379"], settings.Endpoints);
        Assert.Equal("/etc/kubernetes/pki/etcd/ca.crt", settings.CaCertificatePath);
        Assert.Equal("/etc/kubernetes/pki/etcd/healthcheck-client.key", settings.KeyPath);
        Assert.Equal("root", settings.Username);
        Assert.Equal("pa:ss", settings.Password);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.DialTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.CommandTimeout);
        Assert.DoesNotContain("pa:ss", settings.ToString());
    }

    [Fact]
    public void NoEtcdctlVariablesMeansNoSettingsAndABadDurationIsNamed()
    {
        Assert.Null(EtcdConnectionSettings.FromEnvironment(new Hashtable { ["PATH"] = "/usr/bin", ["ETCDCTL_CACERT"] = "" }));
        var error = Assert.Throws<FormatException>(() => EtcdConnectionSettings.FromEnvironment(new Hashtable { ["ETCDCTL_DIAL_TIMEOUT"] = "soon" }));
        Assert.Contains("ETCDCTL_DIAL_TIMEOUT", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:2379", false, "http://127.0.0.1:2379/")]
    [InlineData("127.0.0.1:2379", true, "https://127.0.0.1:2379/")]
    [InlineData("https://etcd-0.example:2379", false, "https://etcd-0.example:2379/")]
    [InlineData("http://10.0.0.1", false, "http://10.0.0.1:2379/")]
    [InlineData("http://10.0.0.1:80", false, "http://10.0.0.1/")]
    [InlineData("https://[::1]:2379/", false, "https://[::1]:2379/")]
    public void EndpointsAreNormalised(string endpoint, bool tls, string expected) =>
        Assert.Equal(expected, EtcdConnectionSettings.ParseEndpoint(endpoint, tls).ToString());

    [Theory]
    [InlineData("0.5", 500)]
    [InlineData("3", 3000)]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5000)]
    [InlineData("15m", 900_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("00:00:02", 2000)]
    public void DurationsParseLikeEtcdctl(string text, double milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("5 seconds")]
    [InlineData("s")]
    public void BadDurationsAreRefused(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void DurationsFormatLikeEtcdctl()
    {
        Assert.Equal("500ms", Duration.Format(TimeSpan.FromMilliseconds(500)));
        Assert.Equal("5s", Duration.Format(TimeSpan.FromSeconds(5)));
        Assert.Equal("1m30s", Duration.Format(TimeSpan.FromSeconds(90)));
        Assert.Equal("2h", Duration.Format(TimeSpan.FromHours(2)));
    }

    [Fact]
    public void MemberIdsAreHexAsEtcdctlPrintsThem()
    {
        Assert.Equal("8e9e05c52164694d", MemberId.Format(0x8e9e05c52164694d));
        Assert.Equal(0x8e9e05c52164694dUL, MemberId.Parse("8E9E05C52164694D"));
        Assert.Equal(0x1UL, MemberId.Parse("0x1"));
        Assert.False(MemberId.TryParse("member-1", out _));
        Assert.False(MemberId.TryParse("12345678901234567", out _));
    }

    [Fact]
    public void GrpcTimeoutsFitEightDigits()
    {
        Assert.Equal("5000m", Http2GrpcTransport.FormatGrpcTimeout(TimeSpan.FromSeconds(5)));
        Assert.Equal("1m", Http2GrpcTransport.FormatGrpcTimeout(TimeSpan.Zero));
        Assert.Equal("200000S", Http2GrpcTransport.FormatGrpcTimeout(TimeSpan.FromSeconds(200_000)));
    }
}
