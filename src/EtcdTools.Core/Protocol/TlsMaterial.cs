using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EtcdTools.Protocol;

/// <summary>
/// The TLS side of a connection: the CA bundle servers must chain to, the client certificate, and
/// the server-certificate check, which records why it refused so errors can name the problem.
/// </summary>
internal sealed class TlsMaterial
{
    private TlsMaterial(X509Certificate2Collection? caCertificates, string? caPath, X509Certificate2? clientCertificate, bool skipCheck)
    {
        CaCertificates = caCertificates;
        CaPath = caPath;
        ClientCertificate = clientCertificate;
        SkipCertificateCheck = skipCheck;
    }

    public X509Certificate2Collection? CaCertificates { get; }
    public string? CaPath { get; }
    public X509Certificate2? ClientCertificate { get; }
    public bool SkipCertificateCheck { get; }

    /// <summary>Why the last server certificate was refused; read when the handshake fails.</summary>
    public string? LastValidationFailure { get; private set; }

    public static TlsMaterial Load(string? caPath, string? certificatePath, string? keyPath, bool skipCheck) =>
        Load(new TlsSources(caPath, null, certificatePath, null, keyPath, null), skipCheck);

    /// <summary>
    /// Loads the CA bundle and client certificate from files or from PEM text held in memory (as read
    /// from a Kubernetes Secret: the key never touches the disk). Each item comes from one source.
    /// </summary>
    public static TlsMaterial Load(TlsSources sources, bool skipCheck)
    {
        if (sources.CaPath is not null && sources.CaPem is not null) throw Config("The CA certificate was given both as a file and as PEM text: give one.");
        if (sources.CertificatePath is not null && sources.CertificatePem is not null) throw Config("The client certificate was given both as a file and as PEM text: give one.");
        if (sources.KeyPath is not null && sources.KeyPem is not null) throw Config("The client key was given both as a file and as PEM text: give one.");

        X509Certificate2Collection? ca = null;
        var caName = sources.CaPath is not null ? $"file '{sources.CaPath}'" : sources.CaOrigin ?? "PEM text";
        if (sources.CaPath is not null || sources.CaPem is not null)
        {
            ca = new X509Certificate2Collection();
            if (sources.CaPath is not null)
            {
                RequireFile(sources.CaPath, "CA certificate");
                try { ca.ImportFromPemFile(sources.CaPath); }
                catch (CryptographicException e) { throw Config($"The CA certificate {caName} could not be read as PEM: {e.Message}", e); }
            }
            else
            {
                try { ca.ImportFromPem(sources.CaPem); }
                catch (CryptographicException e) { throw Config($"The CA certificate {caName} could not be read as PEM: {e.Message}", e); }
            }
            if (ca.Count == 0) throw Config($"The CA certificate {caName} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        X509Certificate2? client = null;
        var hasCertificate = sources.CertificatePath is not null || sources.CertificatePem is not null;
        var hasKey = sources.KeyPath is not null || sources.KeyPem is not null;
        if (hasCertificate || hasKey)
        {
            if (!hasCertificate) throw Config("A client key was given without its certificate: pass both the certificate and the key.");
            if (!hasKey) throw Config("A client certificate was given without its key: pass both the certificate and the key.");
            if (sources.CertificatePath is not null) RequireFile(sources.CertificatePath, "client certificate");
            if (sources.KeyPath is not null) RequireFile(sources.KeyPath, "client key");
            var what = sources.CertificatePath is not null
                ? $"The client certificate '{sources.CertificatePath}' and key '{sources.KeyPath ?? "(PEM text)"}'"
                : $"The client certificate and key {sources.CertificateOrigin ?? "given as PEM text"}";
            try
            {
                var certificatePem = sources.CertificatePem ?? File.ReadAllText(sources.CertificatePath!);
                var keyPem = sources.KeyPem ?? File.ReadAllText(sources.KeyPath!);
                client = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw Config($"{what} could not be loaded (is the key unencrypted PEM and does it belong to the certificate?): {e.Message}", e);
            }
        }
        return new TlsMaterial(ca, sources.CaPath ?? sources.CaOrigin, client, skipCheck);
    }

    public bool ValidateServerCertificate(X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        LastValidationFailure = null;
        if (SkipCertificateCheck) return true;
        if (certificate is null)
        {
            LastValidationFailure = "the server presented no certificate";
            return false;
        }
        using var leaf = new X509Certificate2(certificate);
        var subject = leaf.Subject;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            LastValidationFailure = $"the server certificate '{subject}' is not valid for this host name or address (its names: {DescribeNames(leaf)}); connect by a name it holds or set the server name";
            return false;
        }
        if (CaCertificates is null)
        {
            if (errors == SslPolicyErrors.None) return true;
            LastValidationFailure = $"the server certificate '{subject}' is not trusted by the system's CAs ({errors}); pass the cluster's CA bundle (etcdctl --cacert)";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(CaCertificates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
            foreach (var element in presentedChain.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(leaf)) return true;

        var statuses = chain.ChainStatus.Select(s => s.Status).Distinct().ToArray();
        var reason = statuses.Contains(X509ChainStatusFlags.NotTimeValid)
            ? leaf.NotAfter < DateTime.Now
                ? $"it expired on {leaf.NotAfter:u}"
                : $"it is not valid before {leaf.NotBefore:u}"
            : statuses.Contains(X509ChainStatusFlags.UntrustedRoot) || statuses.Contains(X509ChainStatusFlags.PartialChain)
                ? $"it is issued by '{leaf.Issuer}', which does not chain to the CA bundle '{CaPath ?? "given as PEM text"}'"
                : string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        LastValidationFailure = $"the server certificate '{subject}' is not trusted: {reason}";
        return false;
    }

    private static string DescribeNames(X509Certificate2 certificate)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null) return certificate.GetNameInfo(X509NameType.SimpleName, false);
        return string.Join(", ", san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(a => a.ToString())));
    }

    private static void RequireFile(string path, string what)
    {
        if (!File.Exists(path)) throw Config($"The {what} file '{path}' does not exist.");
    }

    private static EtcdException Config(string message, Exception? inner = null) =>
        new(EtcdErrorKind.TlsConfiguration, GrpcStatusCode.InvalidArgument, message, innerException: inner);
}

/// <summary>
/// Where the TLS items come from: a file path or PEM text for each (never both). The origins name
/// in-memory PEM in messages (e.g. "from Secret openshift-etcd/etcd-client").
/// </summary>
internal sealed record TlsSources(string? CaPath, string? CaPem, string? CertificatePath, string? CertificatePem, string? KeyPath, string? KeyPem)
{
    public string? CaOrigin { get; init; }
    public string? CertificateOrigin { get; init; }
}
