using System.Net;
using System.Net.Security;

namespace EtcdTools.Protocol;

/// <summary>
/// The one way to build an HTTP handler for a member endpoint, shared by the gRPC transport and
/// the /metrics readers: the dial timeout, no proxy, the TLS material of the connection (a client
/// URL with --client-cert-auth wants the client certificate on /metrics too) and the connector.
/// </summary>
public static class EndpointHttpHandler
{
    /// <summary>
    /// A handler for requests to member endpoints; <paramref name="tls"/> is the TLS material it
    /// uses (null without TLS), which records why a server certificate was refused. With
    /// <paramref name="useTls"/>, https:// requests present the client certificate and check the
    /// server's against the CA bundle, under <see cref="GrpcTransportOptions.ServerName"/> or else
    /// the request's host. Throws <see cref="EtcdException"/> (TlsConfiguration) when the TLS files are unusable.
    /// </summary>
    internal static SocketsHttpHandler Create(GrpcTransportOptions options, bool useTls, out TlsMaterial? tls)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.DialTimeout,
            // A proxy from the environment would capture loopback and cluster traffic.
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        if (options.Connector is { } connector)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var endpoint = new Uri(context.InitialRequestMessage.RequestUri!.GetLeftPart(UriPartial.Authority));
                return await connector.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            };
        }
        tls = null;
        if (useTls)
        {
            TlsMaterial material;
            try
            {
                material = TlsMaterial.Load(new TlsSources(options.CaCertificatePath, options.CaCertificatePem, options.CertificatePath, options.CertificatePem, options.KeyPath, options.KeyPem)
                {
                    CaOrigin = options.PemSource is { } source ? $"from {source}" : null,
                    CertificateOrigin = options.PemSource is { } origin ? $"from {origin}" : null,
                }, options.SkipCertificateCheck);
            }
            catch
            {
                handler.Dispose();
                throw;
            }
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = options.ServerName,
                ClientCertificates = material.ClientCertificate is null ? null : [material.ClientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => material.ValidateServerCertificate(certificate, chain, errors),
            };
            tls = material;
        }
        return handler;
    }

    /// <summary>
    /// A client for plain HTTP/1.1 requests to members (/metrics, /health) with the connection's TLS
    /// material when <paramref name="useTls"/>, and no overall timeout: callers cancel.
    /// </summary>
    public static HttpClient CreateClient(GrpcTransportOptions options, bool useTls)
    {
        var handler = Create(options, useTls, out _);
        handler.AutomaticDecompression = DecompressionMethods.GZip;
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
