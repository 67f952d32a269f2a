using System.Management.Automation;
using EtcdTools.Sandbox;

namespace EtcdTools.Framework;

/// <summary>
/// One stable ErrorId and the right ErrorCategory per kind of failure, so scripts can catch
/// (`$_.FullyQualifiedErrorId -like 'EtcdTimeout*'`) and operators read a message, not a stack;
/// and which failures end the whole command rather than one item of it.
/// </summary>
public static class EtcdErrorRecords
{
    public static ErrorRecord From(Exception exception, object? target)
    {
        var (id, category) = exception switch
        {
            EtcdException e => Classify(e.Kind),
            Kubernetes.KubernetesException k => Classify(k.Kind),
            EtcdBinaryNotFoundException => ("EtcdBinaryNotFound", ErrorCategory.ObjectNotFound),
            EtcdSandboxException => ("EtcdSandboxFailed", ErrorCategory.ResourceUnavailable),
            Snapshots.EtcdSnapshotCorruptException => ("EtcdSnapshotCorrupt", ErrorCategory.InvalidData),
            Snapshots.EtcdSnapshotRestoreException => ("EtcdSnapshotRestoreFailed", ErrorCategory.InvalidOperation),
            OperationCanceledException => ("OperationStopped", ErrorCategory.OperationStopped),
            FormatException => ("InvalidArgument", ErrorCategory.InvalidArgument),
            ArgumentException => ("InvalidArgument", ErrorCategory.InvalidArgument),
            FileNotFoundException or DirectoryNotFoundException => ("PathNotFound", ErrorCategory.ObjectNotFound),
            UnauthorizedAccessException => ("AccessDenied", ErrorCategory.PermissionDenied),
            IOException => ("IOError", ErrorCategory.WriteError),
            InvalidDataException => ("InvalidData", ErrorCategory.InvalidData),
            // A sandbox already stopped, a member in the wrong state for the drill.
            InvalidOperationException => ("InvalidOperation", ErrorCategory.InvalidOperation),
            _ => ("UnexpectedError", ErrorCategory.NotSpecified),
        };
        return Create(exception, id, category, target);
    }

    public static ErrorRecord Create(Exception exception, string errorId, ErrorCategory category, object? target)
    {
        var record = new ErrorRecord(exception, errorId, category, target);
        if (exception is EtcdException etcd && Recommendation(etcd) is { } advice)
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = advice };
        return record;
    }

    /// <summary>
    /// True for failures of the whole command, which every further item would meet too: the
    /// cluster cannot be reached or authenticated with, or is not the cluster expected, or the
    /// command's own settings are wrong. Anything else concerns one item (a key, a member) and is
    /// a non-terminating error, after which the command goes on.
    /// </summary>
    public static bool EndsCommand(Exception exception) => exception switch
    {
        EtcdException e => e.Kind is EtcdErrorKind.Unavailable or EtcdErrorKind.Timeout or EtcdErrorKind.ServerCertificate
            or EtcdErrorKind.ClientCertificateRequired or EtcdErrorKind.ClientCertificateRejected or EtcdErrorKind.TlsConfiguration
            or EtcdErrorKind.AuthenticationFailed or EtcdErrorKind.Protocol or EtcdErrorKind.ClusterMismatch,
        EtcdBinaryNotFoundException => true,
        // Only a missing pod or log concerns one item; the rest (configuration, access, reachability) every item meets.
        Kubernetes.KubernetesException k => k.Kind is not (Kubernetes.KubernetesErrorKind.NotFound or Kubernetes.KubernetesErrorKind.Failed),
        _ => false,
    };

    /// <summary>ErrorIds of Kubernetes failures: EtcdKubernetes followed by the kind (EtcdKubernetesForbidden).</summary>
    public static (string ErrorId, ErrorCategory Category) Classify(Kubernetes.KubernetesErrorKind kind) => kind switch
    {
        Kubernetes.KubernetesErrorKind.Configuration => ("EtcdKubernetesConfiguration", ErrorCategory.InvalidArgument),
        Kubernetes.KubernetesErrorKind.Unreachable => ("EtcdKubernetesUnreachable", ErrorCategory.ConnectionError),
        Kubernetes.KubernetesErrorKind.Unauthorized => ("EtcdKubernetesUnauthorized", ErrorCategory.AuthenticationError),
        Kubernetes.KubernetesErrorKind.Forbidden => ("EtcdKubernetesForbidden", ErrorCategory.PermissionDenied),
        Kubernetes.KubernetesErrorKind.NotFound => ("EtcdKubernetesNotFound", ErrorCategory.ObjectNotFound),
        Kubernetes.KubernetesErrorKind.NoEtcdPods => ("EtcdKubernetesNoEtcdPods", ErrorCategory.ObjectNotFound),
        _ => ("EtcdKubernetesFailed", ErrorCategory.NotSpecified),
    };

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
        EtcdErrorKind.NotFound => ("EtcdNotFound", ErrorCategory.ObjectNotFound),
        EtcdErrorKind.AlreadyExists => ("EtcdAlreadyExists", ErrorCategory.ResourceExists),
        EtcdErrorKind.FailedPrecondition => ("EtcdFailedPrecondition", ErrorCategory.InvalidOperation),
        EtcdErrorKind.ClusterMismatch => ("EtcdClusterMismatch", ErrorCategory.InvalidArgument),
        _ => ("EtcdServerError", ErrorCategory.NotSpecified),
    };

    /// <summary>What to do: etcd's own named error says more than the kind (a member that answered "leader changed" is running).</summary>
    private static string? Recommendation(EtcdException e) => e.ServerError switch
    {
        EtcdServerError.NoLeader or EtcdServerError.LeaderChanged or EtcdServerError.TimeoutDueToLeaderFail =>
            "The cluster is electing a leader: retry in a few seconds. If elections keep happening, check the members' disks and network (Test-EtcdCluster -Detailed, Get-EtcdPodLog).",
        EtcdServerError.TooManyRequests =>
            "etcd is applying requests more slowly than they arrive: retry with back-off, and look for a slow disk or an expensive workload on this member.",
        EtcdServerError.Stopped => "The member is shutting down or restarting: retry on another member, or once it is back.",
        EtcdServerError.NotCapable => "The cluster's version does not support this call: upgrade every member first.",
        EtcdServerError.NotSupportedForLearner => "The member is a learner: send the request to a voting member, or promote the learner once it is in sync.",
        _ => Recommendation(e.Kind),
    };

    private static string? Recommendation(EtcdErrorKind kind) => kind switch
    {
        EtcdErrorKind.Unavailable => "Check that etcd runs and that -Endpoint is its client URL (etcd --advertise-client-urls).",
        EtcdErrorKind.Timeout => "The member may be hung or overloaded: check it with Get-EtcdHealth, or raise -CommandTimeout for long operations.",
        EtcdErrorKind.ServerCertificate => "Pass the cluster's CA bundle with -CaCertificatePath (kubeadm: /etc/kubernetes/pki/etcd/ca.crt).",
        EtcdErrorKind.ClientCertificateRequired => "Pass -CertificatePath and -KeyPath (kubeadm: /etc/kubernetes/pki/etcd/healthcheck-client.crt and .key).",
        EtcdErrorKind.ClientCertificateRejected => "Use a client certificate that is current and issued by the CA in etcd's --trusted-ca-file.",
        EtcdErrorKind.AuthenticationFailed => "Check the user name and password given with -Credential.",
        EtcdErrorKind.NoSpace => "Reclaim space with Repair-EtcdQuota: it compacts to the current revision, defragments every member one at a time and disarms the alarm.",
        EtcdErrorKind.ClusterMismatch => "Pass the connection of the cluster the objects came from (-Connection), or connect to it with Connect-EtcdCluster.",
        _ => null,
    };
}
