using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EtcdTools.Sandbox;

/// <summary>
/// A throwaway certificate authority for sandbox clusters and TLS tests: ECDSA P-256 keys, PEM files
/// (certificate, unencrypted PKCS#8 key) in one directory. Not for production use.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private static readonly IPAddress[] LoopbackAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];
    private static readonly string[] LocalHostNames = ["localhost"];

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    // Backdated so callers can issue certificates that are already expired or not yet valid
    // within the CA's own validity (CertificateRequest refuses a leaf outliving or predating its issuer).
    private static readonly TimeSpan CaBackdating = TimeSpan.FromDays(30);
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafBackdating = TimeSpan.FromHours(1);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private readonly ECDsa _key;
    private readonly X509SignatureGenerator _signer;

    private CertificateAuthority(string directory, X509Certificate2 certificate, ECDsa key)
    {
        Directory = directory;
        Certificate = certificate;
        _key = key;
        _signer = X509SignatureGenerator.CreateForECDsa(key);
        CertificatePath = Path.Combine(directory, "ca.pem");
        KeyPath = Path.Combine(directory, "ca-key.pem");
    }

    /// <summary>The directory every PEM file of this CA goes to.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>PEM of the CA certificate: what servers and clients trust (etcd --trusted-ca-file, etcdctl --cacert).</summary>
    public string CertificatePath { get; }

    /// <summary>PEM of the CA's private key, kept so more certificates can be issued with other tools.</summary>
    public string KeyPath { get; }

    /// <summary>Makes a new self-signed CA and writes ca.pem and ca-key.pem into <paramref name="directory"/> (created if missing).</summary>
    public static CertificateAuthority Create(string commonName, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest(DistinguishedName(commonName), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            using var withKey = request.CreateSelfSigned(now - CaBackdating, now + CaLifetime);
            var certificate = X509CertificateLoader.LoadCertificate(withKey.RawData);

            var authority = new CertificateAuthority(directory, certificate, key);
            WritePem(authority.CertificatePath, certificate.ExportCertificatePem(), secret: false);
            WritePem(authority.KeyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
            return authority;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Issues a server certificate valid for 127.0.0.1, ::1 and localhost (plus <paramref name="dnsNames"/> and
    /// <paramref name="ipAddresses"/>), with serverAuth and clientAuth: etcd presents it to clients and,
    /// as a client, to its peers. Files: <c>{fileName}.pem</c> and <c>{fileName}-key.pem</c>; the file name
    /// defaults to the common name.
    /// </summary>
    public IssuedCertificate IssueServerCertificate(
        string commonName,
        IEnumerable<string>? dnsNames = null,
        IEnumerable<IPAddress>? ipAddresses = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        string? fileName = null)
    {
        var names = new SubjectAlternativeNameBuilder();
        foreach (var ip in LoopbackAddresses.Concat(ipAddresses ?? []).Distinct())
            names.AddIpAddress(ip);
        foreach (var dns in LocalHostNames.Concat(dnsNames ?? []).Distinct(StringComparer.OrdinalIgnoreCase))
            names.AddDnsName(dns);
        return Issue(commonName, [ServerAuth, ClientAuth], names.Build(), notBefore, notAfter, fileName);
    }

    /// <summary>
    /// Issues a client certificate (clientAuth only). etcd takes the common name as the user name when
    /// authentication is enabled. Give <paramref name="notAfter"/> in the past for an expired certificate.
    /// Files: <c>{fileName}.pem</c> and <c>{fileName}-key.pem</c>; the file name defaults to the common name.
    /// </summary>
    public IssuedCertificate IssueClientCertificate(
        string commonName,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        string? fileName = null) =>
        Issue(commonName, [ClientAuth], subjectAlternativeNames: null, notBefore, notAfter, fileName);

    private IssuedCertificate Issue(
        string commonName,
        Oid[] extendedKeyUsages,
        X509Extension? subjectAlternativeNames,
        DateTimeOffset? notBefore,
        DateTimeOffset? notAfter,
        string? fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var now = DateTimeOffset.UtcNow;
        var from = notBefore ?? Max(now - LeafBackdating, Certificate.NotBefore);
        var until = notAfter ?? Min(now + LeafLifetime, Certificate.NotAfter);
        if (until <= from)
            throw new ArgumentException($"The certificate's notAfter ({until:u}) must be later than its notBefore ({from:u}).", nameof(notAfter));
        if (from < Certificate.NotBefore || until > Certificate.NotAfter)
            throw new ArgumentException(
                $"The certificate's validity ({from:u} to {until:u}) must lie within the CA's ({Certificate.NotBefore.ToUniversalTime():u} to {Certificate.NotAfter.ToUniversalTime():u}).",
                nameof(notBefore));

        var stem = fileName ?? SafeFileName(commonName);
        if (stem.Length == 0 || stem.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || stem.Contains('/'))
            throw new ArgumentException($"'{stem}' is not a valid file name.", nameof(fileName));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(DistinguishedName(commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection();
        foreach (var usage in extendedKeyUsages)
            usages.Add(usage);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (subjectAlternativeNames is not null)
            request.CertificateExtensions.Add(subjectAlternativeNames);

        var certificate = request.Create(Certificate.SubjectName, _signer, from, until, NewSerialNumber());
        var issued = new IssuedCertificate(
            certificate,
            Path.Combine(Directory, stem + ".pem"),
            Path.Combine(Directory, stem + "-key.pem"),
            CertificatePath);
        WritePem(issued.CertificatePath, certificate.ExportCertificatePem(), secret: false);
        WritePem(issued.KeyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        return issued;
    }

    public void Dispose() => _key.Dispose();

    private static X500DistinguishedName DistinguishedName(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive DER integer
        serial[0] |= 0x01; // and no leading zero byte to strip
        return serial;
    }

    private static string SafeFileName(string commonName)
    {
        var builder = new StringBuilder(commonName.Length);
        foreach (var c in commonName)
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        return builder.ToString();
    }

    private static void WritePem(string path, string pem, bool secret)
    {
        if (secret && !OperatingSystem.IsWindows())
        {
            // Created owner-only from the start rather than narrowed after the key is on disk.
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(Encoding.ASCII.GetBytes(pem + "\n"));
            return;
        }
        File.WriteAllText(path, pem + "\n", Encoding.ASCII);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTime b) => a > b ? a : new DateTimeOffset(b.ToUniversalTime());
    private static DateTimeOffset Min(DateTimeOffset a, DateTime b) => a < b ? a : new DateTimeOffset(b.ToUniversalTime());
}

/// <summary>A certificate issued by a <see cref="CertificateAuthority"/> and the PEM files holding it.</summary>
public sealed class IssuedCertificate
{
    internal IssuedCertificate(X509Certificate2 certificate, string certificatePath, string keyPath, string caCertificatePath)
    {
        Certificate = certificate;
        CertificatePath = certificatePath;
        KeyPath = keyPath;
        CaCertificatePath = caCertificatePath;
    }

    /// <summary>The certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    public string CommonName => Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    public DateTimeOffset NotBefore => Certificate.NotBefore.ToUniversalTime();
    public DateTimeOffset NotAfter => Certificate.NotAfter.ToUniversalTime();

    /// <summary>PEM certificate (etcd --cert-file, etcdctl --cert).</summary>
    public string CertificatePath { get; }

    /// <summary>PEM unencrypted PKCS#8 private key, "BEGIN PRIVATE KEY" (etcd --key-file, etcdctl --key).</summary>
    public string KeyPath { get; }

    /// <summary>PEM of the issuing CA's certificate.</summary>
    public string CaCertificatePath { get; }
}
