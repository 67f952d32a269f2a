using System.Net;
using System.Security.Cryptography.X509Certificates;
using EtcdTools.Sandbox;

namespace EtcdTools.Core.Tests.Sandbox;

public sealed class CertificateAuthorityTests : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("ca-tests-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void WritesCaCertificateAndKeyAsPem()
    {
        using var ca = CertificateAuthority.Create("Test CA", _directory.FullName);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(ca.CertificatePath));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(ca.KeyPath));
        if (OperatingSystem.IsLinux())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ca.KeyPath));
        var basic = Assert.Single(ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(basic.CertificateAuthority);
        Assert.Equal("CN=Test CA", ca.Certificate.Subject);
    }

    [Fact]
    public void ServerCertificateCoversLoopbackAndServesBothSides()
    {
        using var ca = CertificateAuthority.Create("Test CA", _directory.FullName);
        var server = ca.IssueServerCertificate("member-0");

        var names = Assert.Single(server.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Contains(IPAddress.Loopback, names.EnumerateIPAddresses());
        Assert.Contains(IPAddress.IPv6Loopback, names.EnumerateIPAddresses());
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.Equal([ServerAuth, ClientAuth], ExtendedKeyUsages(server.Certificate));
        Assert.Equal("member-0", server.CommonName);
        Assert.True(ChainsTo(server.Certificate, ca.Certificate));
        AssertPemPair(server);
    }

    [Fact]
    public void ClientCertificateIsForClientAuthOnly()
    {
        using var ca = CertificateAuthority.Create("Test CA", _directory.FullName);
        var client = ca.IssueClientCertificate("alice");
        Assert.Equal([ClientAuth], ExtendedKeyUsages(client.Certificate));
        Assert.Empty(client.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(ca.CertificatePath, client.CaCertificatePath);
        Assert.True(ChainsTo(client.Certificate, ca.Certificate));
        AssertPemPair(client);
    }

    [Fact]
    public void IssuesExpiredCertificatesOnRequest()
    {
        using var ca = CertificateAuthority.Create("Test CA", _directory.FullName);
        var expired = ca.IssueClientCertificate("late", DateTimeOffset.UtcNow.AddDays(-3), DateTimeOffset.UtcNow.AddDays(-1));
        Assert.True(expired.NotAfter < DateTimeOffset.UtcNow);
        Assert.False(ChainsTo(expired.Certificate, ca.Certificate));
    }

    [Fact]
    public void CertificateOfAnotherCaDoesNotChainToThisOne()
    {
        using var ca = CertificateAuthority.Create("Test CA", Path.Combine(_directory.FullName, "one"));
        using var other = CertificateAuthority.Create("Other CA", Path.Combine(_directory.FullName, "two"));
        var stranger = other.IssueClientCertificate("stranger");
        Assert.False(ChainsTo(stranger.Certificate, ca.Certificate));
        Assert.True(ChainsTo(stranger.Certificate, other.Certificate));
    }

    [Fact]
    public void RefusesValidityOutsideTheCa()
    {
        using var ca = CertificateAuthority.Create("Test CA", _directory.FullName);
        Assert.Throws<ArgumentException>(() => ca.IssueClientCertificate("ancient", DateTimeOffset.UtcNow.AddYears(-5), DateTimeOffset.UtcNow));
        Assert.Throws<ArgumentException>(() => ca.IssueClientCertificate("backwards", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(-1)));
    }

    private static string[] ExtendedKeyUsages(X509Certificate2 certificate) =>
        Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>())
            .EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value!).ToArray();

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    private static void AssertPemPair(IssuedCertificate issued)
    {
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(issued.KeyPath));
        using var loaded = X509Certificate2.CreateFromPemFile(issued.CertificatePath, issued.KeyPath);
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(issued.Certificate.Thumbprint, loaded.Thumbprint);
    }
}
