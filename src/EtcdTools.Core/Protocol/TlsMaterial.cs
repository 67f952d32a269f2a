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

    public static TlsMaterial Load(string? caPath, string? certificatePath, string? keyPath, bool skipCheck)
    {
        X509Certificate2Collection? ca = null;
        if (caPath is not null)
        {
            RequireFile(caPath, "CA certificate");
            ca = new X509Certificate2Collection();
            try { ca.ImportFromPemFile(caPath); }
            catch (CryptographicException e) { throw Config($"The CA certificate file '{caPath}' could not be read as PEM: {e.Message}", e); }
            if (ca.Count == 0) throw Config($"The CA certificate file '{caPath}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        X509Certificate2? client = null;
        if (certificatePath is not null || keyPath is not null)
        {
            if (certificatePath is null) throw Config("A client key was given without its certificate: pass both the certificate and the key.");
            if (keyPath is null) throw Config("A client certificate was given without its key: pass both the certificate and the key.");
            RequireFile(certificatePath, "client certificate");
            RequireFile(keyPath, "client key");
            try { client = X509Certificate2.CreateFromPemFile(certificatePath, keyPath); }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw Config($"The client certificate '{certificatePath}' and key '{keyPath}' could not be loaded (is the key unencrypted PEM and does it belong to the certificate?): {e.Message}", e);
            }
        }
        return new TlsMaterial(ca, caPath, client, skipCheck);
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
                ? $"it is issued by '{leaf.Issuer}', which does not chain to the CA bundle '{CaPath}'"
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
