namespace EtcdTools.Sandbox;

/// <summary>
/// A TLS sandbox's certificates, in its pki/ directory: its own CA, one server certificate per member
/// (used for both the client and the peer port) and one client certificate.
/// </summary>
internal sealed class SandboxCertificates : IDisposable
{
    private readonly List<IssuedCertificate> _serverCertificates;

    private SandboxCertificates(CertificateAuthority authority, List<IssuedCertificate> serverCertificates, IssuedCertificate client)
    {
        Authority = authority;
        _serverCertificates = serverCertificates;
        Client = client;
    }

    public CertificateAuthority Authority { get; }

    /// <summary>The client certificate, CN <see cref="EtcdSandbox.ClientCommonName"/>.</summary>
    public IssuedCertificate Client { get; }

    /// <summary>
    /// Issues everything for a cluster named <paramref name="clusterName"/> with the given member names;
    /// a member's server certificate also names the host of its advertised client URL, when it has one.
    /// </summary>
    public static SandboxCertificates Create(string clusterName, string sandboxDirectory, IReadOnlyList<string> memberNames, IReadOnlyList<string>? advertisedClientUrls = null)
    {
        var authority = CertificateAuthority.Create($"{clusterName} CA", Path.Combine(sandboxDirectory, "pki"));
        try
        {
            var servers = memberNames.Select((n, i) => advertisedClientUrls?[i] is { } url
                ? System.Net.IPAddress.TryParse(new Uri(url).IdnHost, out var ip)
                    ? authority.IssueServerCertificate(n, ipAddresses: [ip])
                    : authority.IssueServerCertificate(n, dnsNames: [new Uri(url).IdnHost])
                : authority.IssueServerCertificate(n)).ToList();
            var client = authority.IssueClientCertificate(EtcdSandbox.ClientCommonName, fileName: "client");
            return new SandboxCertificates(authority, servers, client);
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }

    /// <summary>The server certificate of the member at <paramref name="memberIndex"/>.</summary>
    public IssuedCertificate ServerCertificate(int memberIndex) => _serverCertificates[memberIndex];

    /// <summary>Issues the server certificate of one more member, which gets the next index.</summary>
    public void AddServerCertificate(string memberName) => _serverCertificates.Add(Authority.IssueServerCertificate(memberName));

    public void Dispose() => Authority.Dispose();
}
