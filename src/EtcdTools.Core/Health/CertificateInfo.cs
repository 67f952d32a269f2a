using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EtcdTools.Client;
using EtcdTools.Protocol;

namespace EtcdTools.Health;

/// <summary>The validity of one certificate, and where it was read from.</summary>
public sealed record CertificateInfo(string Subject, string Thumbprint, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Source)
{
    public static CertificateInfo From(X509Certificate2 certificate, string source) =>
        new(certificate.Subject, certificate.Thumbprint,
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), source);

    /// <summary>The first certificate of a PEM file, such as the client certificate in use.</summary>
    public static CertificateInfo FromPemFile(string path)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            if (certificates.Count == 0)
                throw new CryptographicException("the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            try { return From(certificates[0], path); }
            finally { foreach (var certificate in certificates) certificate.Dispose(); }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new EtcdException(EtcdErrorKind.TlsConfiguration, GrpcStatusCode.InvalidArgument,
                $"The certificate file '{path}' could not be read: {e.Message}", innerException: e);
        }
    }
}

/// <summary>
/// Reads the certificate a member serves on its client URL from a TLS handshake, the way an
/// operator would with <c>openssl s_client</c>. The certificate is read whether or not it is
/// trusted: this probe judges expiry, the gRPC calls judge trust.
/// </summary>
public static class ServerCertificateProbe
{
    /// <summary>The server certificate at <paramref name="clientUrl"/> (https only); throws <see cref="EtcdException"/> when no handshake happens.</summary>
    public static async Task<CertificateInfo> GetAsync(Uri clientUrl, EtcdConnectionSettings settings, CancellationToken cancellationToken)
    {
        if (clientUrl.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"{clientUrl} is not an https URL: it serves no certificate.", nameof(clientUrl));
        var where = clientUrl.GetLeftPart(UriPartial.Authority);
        X509Certificate2? presented = null;
        using var tcp = new TcpClient();
        try
        {
            Stream transport;
            using (var dial = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                dial.CancelAfter(settings.DialTimeout);
                // Through the connection's connector when it has one (a Kubernetes port-forward), as the gRPC calls go.
                if (settings.Connector is { } connector)
                {
                    transport = await connector.ConnectAsync(new Uri(where), dial.Token).ConfigureAwait(false);
                }
                else
                {
                    await tcp.ConnectAsync(clientUrl.IdnHost, clientUrl.Port, dial.Token).ConfigureAwait(false);
                    transport = tcp.GetStream();
                }
            }
            await using var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
            // The client certificate is offered because a member with --client-cert-auth may end the
            // handshake without it before this side has looked at the server's certificate.
            var client = (settings.CertificatePath ?? settings.CertificatePem) is not null && (settings.KeyPath ?? settings.KeyPem) is not null
                ? TlsMaterial.Load(new TlsSources(null, null, settings.CertificatePath, settings.CertificatePem, settings.KeyPath, settings.KeyPem), skipCheck: true).ClientCertificate
                : null;
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = settings.ServerName ?? clientUrl.IdnHost,
                ClientCertificates = client is null ? null : [client],
                // Only reads the certificate to report its dates; nothing is sent over this stream.
#pragma warning disable CA5359
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is not null) presented ??= new X509Certificate2(certificate);
                    return true;
                },
#pragma warning restore CA5359
            };
            try
            {
                await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
                if (presented is null && ssl.RemoteCertificate is { } remote) presented = new X509Certificate2(remote);
            }
            catch (Exception e) when (presented is not null && e is AuthenticationException or IOException or OperationCanceledException)
            {
                // The member refused our client certificate after showing its own: enough for this probe.
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdException(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
                $"Could not connect to {where} within the dial timeout of {Duration.Format(settings.DialTimeout)} to read its certificate.", endpoint: clientUrl);
        }
        catch (OperationCanceledException) when (presented is null)
        {
            throw new EtcdException(EtcdErrorKind.Timeout, GrpcStatusCode.DeadlineExceeded,
                $"{where} did not complete a TLS handshake in time to show its certificate: the member may be hung.", endpoint: clientUrl);
        }
        catch (Exception e) when (presented is null && e is SocketException or IOException or AuthenticationException)
        {
            throw new EtcdException(EtcdErrorKind.Unavailable, GrpcStatusCode.Unavailable,
                $"Could not read the certificate of {where}: {e.Message}", endpoint: clientUrl, innerException: e);
        }
        using (presented)
        {
            if (presented is null)
                throw new EtcdException(EtcdErrorKind.Protocol, GrpcStatusCode.Unavailable, $"{where} completed a TLS handshake without a certificate.", endpoint: clientUrl);
            return CertificateInfo.From(presented, where);
        }
    }
}
