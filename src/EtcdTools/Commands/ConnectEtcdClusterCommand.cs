using System.Management.Automation;
using EtcdTools.Client;
using EtcdTools.Framework;
using EtcdTools.Kubernetes;

namespace EtcdTools.Commands;

/// <summary>
/// Checks a connection (it lists the members) and keeps it for the session, so later cmdlets
/// need no connection parameters; with -PassThru also returns it, for runbooks that hold several
/// clusters at once (-Connection). Takes parameters, a sandbox from the pipeline, or ETCDCTL_*;
/// with -Kubernetes, finds the etcd pods of the kubeconfig's cluster and reaches each member
/// through a port-forward of the API server, with the credentials Kubernetes keeps.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "EtcdCluster", DefaultParameterSetName = EndpointSet)]
[OutputType(typeof(EtcdConnection))]
public sealed class ConnectEtcdClusterCommand : EtcdCmdlet
{
    private const string EndpointSet = "Endpoint";
    private const string KubernetesSet = "Kubernetes";

    /// <summary>Emit the connection object.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Reach the etcd of the Kubernetes or OpenShift cluster of the kubeconfig, through its API server.</summary>
    [Parameter(Mandatory = true, ParameterSetName = KubernetesSet)]
    public SwitchParameter Kubernetes { get; set; }

    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateSet(KubernetesFlavors.Auto, KubernetesFlavors.OpenShift, KubernetesFlavors.Kubeadm, KubernetesFlavors.Bitnami)]
    public string Flavor { get; set; } = KubernetesFlavors.Auto;

    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    public string? Selector { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == KubernetesSet)
        {
            ConnectThroughKubernetes();
            return;
        }
        // A new connection: built from the parameters (or the piped object), else -Connection, else
        // ETCDCTL_*, else the default endpoint, never on top of the session's connection it replaces.
        var settings = ResolveSettings(out var source, newConnection: true);
        EtcdConnection? connection = null;
        if (!Run(async (_, ct) => connection = await EtcdConnection.OpenAsync(settings, source, ct).ConfigureAwait(false), string.Join(",", settings.Endpoints)))
            return;
        Keep(connection!, null);
    }

    private void ConnectThroughKubernetes()
    {
        var target = KubernetesFlavors.Target(Kubeconfig is null ? null : ResolvePath(Kubeconfig), Context, Namespace, Flavor, Selector);
        var credentials = new KubernetesCredentialOptions
        {
            CaCertificatePath = string.IsNullOrEmpty(CaCertificatePath) ? null : ResolvePath(CaCertificatePath),
            CertificatePath = string.IsNullOrEmpty(CertificatePath) ? null : ResolvePath(CertificatePath),
            KeyPath = string.IsNullOrEmpty(KeyPath) ? null : ResolvePath(KeyPath),
            Username = Credential is { } c && c != PSCredential.Empty ? c.UserName : null,
            Password = Credential is { } p && p != PSCredential.Empty ? p.GetNetworkCredential().Password : null,
        };
        var baseSettings = new EtcdConnectionSettings
        {
            DialTimeout = DialTimeout ?? EtcdKubernetesConnection.DefaultDialTimeout,
            CommandTimeout = CommandTimeout ?? EtcdConnectionSettings.DefaultCommandTimeout,
            SkipCertificateCheck = SkipCertificateCheck.IsPresent,
        };
        EtcdConnection? connection = null;
        EtcdKubernetesConnection? kubernetes = null;
        var ok = Run(async (_, ct) =>
        {
            var client = EtcdKubernetesClient.Create(target);
            try
            {
                kubernetes = await client.ConnectAsync(credentials, baseSettings, ct).ConfigureAwait(false);
            }
            catch
            {
                client.Dispose();
                throw;
            }
            try
            {
                connection = await EtcdConnection.OpenAsync(kubernetes.Settings, "Kubernetes", ct).ConfigureAwait(false);
            }
            catch
            {
                kubernetes.Dispose();
                throw;
            }
        }, target.Namespace);
        if (!ok) return;
        WriteVerbose($"Found {kubernetes!.Pods.Count} etcd pod(s): {string.Join(", ", kubernetes.Pods.Select(p => $"{p.Namespace}/{p.Name}"))}; members are reached through the API server at {kubernetes.Kubernetes.Server}.");
        Keep(connection!, kubernetes);
    }

    private void Keep(EtcdConnection connection, EtcdKubernetesConnection? kubernetes)
    {
        // The previous Kubernetes connection's local port-forwards belong to the session and go with it;
        // its API client stays, since a connection returned by -PassThru may still be used with -Connection.
        if (!ReferenceEquals(Session.Kubernetes, kubernetes)) Session.Kubernetes?.StopLocalPortForwards();
        Session.Kubernetes = kubernetes;
        // Set before -PassThru writes, so a cmdlet downstream already sees it.
        Session.Connection = connection;
        WriteVerbose($"Connected to {connection}.");
        if (PassThru) WriteObject(connection);
    }
}
