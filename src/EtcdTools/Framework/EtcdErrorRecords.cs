using System.Management.Automation;
using EtcdTools.Sandbox;

namespace EtcdTools.Framework;

/// <summary>
/// One stable ErrorId and the right ErrorCategory per kind of failure, so scripts can catch
/// (`$_.FullyQualifiedErrorId -like 'EtcdTimeout*'`) and operators read a message, not a stack.
/// </summary>
public static class EtcdErrorRecords
{
    public static ErrorRecord From(Exception exception, object? target)
    {
        var (id, category) = exception switch
        {
            EtcdException e => Classify(e.Kind),
            EtcdBinaryNotFoundException => ("EtcdBinaryNotFound", ErrorCategory.ObjectNotFound),
            EtcdSandboxException => ("EtcdSandboxFailed", ErrorCategory.ResourceUnavailable),
            OperationCanceledException => ("OperationStopped", ErrorCategory.OperationStopped),
            FormatException => ("InvalidArgument", ErrorCategory.InvalidArgument),
            ArgumentException => ("InvalidArgument", ErrorCategory.InvalidArgument),
            FileNotFoundException or DirectoryNotFoundException => ("PathNotFound", ErrorCategory.ObjectNotFound),
            UnauthorizedAccessException => ("AccessDenied", ErrorCategory.PermissionDenied),
            IOException => ("IOError", ErrorCategory.WriteError),
            // A sandbox already stopped, a member in the wrong state for the drill.
            InvalidOperationException => ("InvalidOperation", ErrorCategory.InvalidOperation),
            _ => ("UnexpectedError", ErrorCategory.NotSpecified),
        };
        return Create(exception, id, category, target);
    }

    public static ErrorRecord Create(Exception exception, string errorId, ErrorCategory category, object? target)
    {
        var record = new ErrorRecord(exception, errorId, category, target);
        if (exception is EtcdException { Kind: var kind } && Recommendation(kind) is { } advice)
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = advice };
        return record;
    }

    public static (string ErrorId, ErrorCategory Category) Classify(EtcdErrorKind kind) => kind switch
    {
        EtcdErrorKind.Unavailable => ("EtcdUnavailable", ErrorCategory.ConnectionError),
        EtcdErrorKind.Timeout => ("EtcdTimeout", ErrorCategory.OperationTimeout),
        EtcdErrorKind.ServerCertificate => ("EtcdServerCertificateUntrusted", ErrorCategory.SecurityError),
        EtcdErrorKind.ClientCertificateRequired => ("EtcdClientCertificateRequired", ErrorCategory.AuthenticationError),
        EtcdErrorKind.ClientCertificateRejected => ("EtcdClientCertificateRejected", ErrorCategory.AuthenticationError),
        EtcdErrorKind.TlsConfiguration => ("EtcdTlsConfigurationInvalid", ErrorCategory.InvalidArgument),
        EtcdErrorKind.AuthenticationFailed => ("EtcdAuthenticationFailed", ErrorCategory.AuthenticationError),
        EtcdErrorKind.PermissionDenied => ("EtcdPermissionDenied", ErrorCategory.PermissionDenied),
        EtcdErrorKind.InvalidArgument => ("EtcdInvalidArgument", ErrorCategory.InvalidArgument),
        EtcdErrorKind.Compacted => ("EtcdRevisionCompacted", ErrorCategory.InvalidArgument),
        EtcdErrorKind.NoSpace => ("EtcdNoSpace", ErrorCategory.LimitsExceeded),
        EtcdErrorKind.Protocol => ("EtcdProtocolError", ErrorCategory.ProtocolError),
        EtcdErrorKind.DataLoss => ("EtcdDataLoss", ErrorCategory.InvalidData),
        EtcdErrorKind.MemberNotFound => ("EtcdMemberNotFound", ErrorCategory.ObjectNotFound),
        _ => ("EtcdServerError", ErrorCategory.NotSpecified),
    };

    private static string? Recommendation(EtcdErrorKind kind) => kind switch
    {
        EtcdErrorKind.Unavailable => "Check that etcd runs and that -Endpoint is its client URL (etcd --advertise-client-urls).",
        EtcdErrorKind.Timeout => "The member may be hung or overloaded: check it with Get-EtcdHealth, or raise -CommandTimeout for long operations.",
        EtcdErrorKind.ServerCertificate => "Pass the cluster's CA bundle with -CaCertificatePath (kubeadm: /etc/kubernetes/pki/etcd/ca.crt).",
        EtcdErrorKind.ClientCertificateRequired => "Pass -CertificatePath and -KeyPath (kubeadm: /etc/kubernetes/pki/etcd/healthcheck-client.crt and .key).",
        EtcdErrorKind.ClientCertificateRejected => "Use a client certificate that is current and issued by the CA in etcd's --trusted-ca-file.",
        EtcdErrorKind.AuthenticationFailed => "Check the user name and password given with -Credential.",
        EtcdErrorKind.NoSpace => "Reclaim space: compact to the current revision, defragment every member, then Clear-EtcdAlarm.",
        _ => null,
    };
}
