using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EtcdTools.FakeKubernetes;

/// <summary>
/// A fake Kubernetes API server on 127.0.0.1 (HTTPS, bearer tokens) serving what EtcdTools and kubectl
/// ask of a real one for etcd: pod lists by label selector, pods, their logs, Secrets, ConfigMaps,
/// exec (v4/v5.channel.k8s.io) and port-forward (v4.channel.k8s.io, with the 2-byte port prefix).
/// Pods are recorded JSON; a pod bound to a real etcd sandbox member gets that member's log, its
/// ports (the pod's ports mapped to the member's loopback ports) and its etcdctl.
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    public const string AdminUser = "admin";
    public const string LimitedUser = "limited";

    private static readonly string[] ExecProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
    private readonly WebApplication _app;
    private readonly X509Certificate2 _caCertificate;
    private readonly ConcurrentDictionary<string, FakePod> _pods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _configMaps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<(string User, string Verb, string Resource, string? Namespace)> _denials = [];
    private readonly ConcurrentQueue<string> _requests = new();

    private FakeKubernetesApiServer(WebApplication app, X509Certificate2 caCertificate)
    {
        _app = app;
        _caCertificate = caCertificate;
        _tokens[Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))] = AdminUser;
        _tokens[Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))] = LimitedUser;
    }

    /// <summary>The server's URL, https://127.0.0.1:port.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Every request as "user METHOD path?query", for tests that check what a client asked.</summary>
    public IReadOnlyCollection<string> Requests => _requests.ToArray();

    public string TokenOf(string user) => _tokens.First(t => t.Value == user).Key;

    /// <summary>How long a port-forward waits before its WebSocket upgrade is answered: an API server (or kubelet) that is slow to relay.</summary>
    public TimeSpan PortForwardDelay { get; set; }

    /// <summary>Starts the server on a free loopback port with a certificate of its own CA.</summary>
    public static async Task<FakeKubernetesApiServer> StartAsync()
    {
        var (ca, serverCertificate) = CreateCertificates();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(serverCertificate);
            });
        });
        var app = builder.Build();
        var server = new FakeKubernetesApiServer(app, ca);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(new Uri(address).GetLeftPart(UriPartial.Authority).Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    // ---- state ----

    /// <summary>Adds the pods of a recorded PodList (a file under Recorded/, or a path); returns their names.</summary>
    public IReadOnlyList<string> AddRecordedPods(string fileName)
    {
        var path = File.Exists(fileName) ? fileName : Path.Combine(AppContext.BaseDirectory, "Recorded", fileName);
        var list = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var names = new List<string>();
        foreach (var item in list["items"]!.AsArray())
        {
            var pod = item!.DeepClone().AsObject();
            var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
            var name = pod["metadata"]!["name"]!.GetValue<string>();
            _pods[$"{ns}/{name}"] = new FakePod(pod);
            names.Add(name);
        }
        return names;
    }

    /// <summary>
    /// Makes a pod run a sandbox member: its log is the member's, a port-forward to a pod port in
    /// the binding's ports reaches 127.0.0.1 at the mapped port, and exec runs etcdctl with the
    /// container's environment, overridden by the binding's.
    /// </summary>
    public void BindPod(string ns, string name, FakePodBinding binding)
    {
        var pod = GetPod(ns, name) ?? throw new ArgumentException($"No pod {ns}/{name}.", nameof(name));
        pod.Binding = binding;
    }

    /// <summary>Deletes a pod: it disappears from lists and reads, and its port-forwards end as the kubelet ends them.</summary>
    public bool DeletePod(string ns, string name)
    {
        if (!_pods.TryRemove($"{ns}/{name}", out var pod)) return false;
        pod.Deleted.Cancel();
        return true;
    }

    public void AddSecret(string ns, string name, IReadOnlyDictionary<string, string> data, string type = "Opaque") =>
        _secrets[$"{ns}/{name}"] = new JsonObject
        {
            ["kind"] = "Secret",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata(ns, name),
            ["type"] = type,
            ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)Convert.ToBase64String(Encoding.UTF8.GetBytes(d.Value))))),
        };

    public void AddConfigMap(string ns, string name, IReadOnlyDictionary<string, string> data) =>
        _configMaps[$"{ns}/{name}"] = new JsonObject
        {
            ["kind"] = "ConfigMap",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata(ns, name),
            ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
        };

    /// <summary>Forbids <paramref name="user"/> a verb on a resource ("secrets", "pods/portforward"), in one namespace or all.</summary>
    public void Deny(string user, string verb, string resource, string? ns = null) => _denials.Add((user, verb, resource, ns));

    private FakePod? GetPod(string ns, string name) => _pods.TryGetValue($"{ns}/{name}", out var pod) ? pod : null;

    private static JsonObject Metadata(string ns, string name) => new()
    {
        ["name"] = name,
        ["namespace"] = ns,
        ["uid"] = Guid.NewGuid().ToString(),
        ["resourceVersion"] = "1",
        ["creationTimestamp"] = "2026-11-20T08:00:00Z",
    };

    /// <summary>
    /// Writes a kubeconfig with two contexts: "fake-admin" (current) and "fake-limited", each with
    /// <paramref name="defaultNamespace"/>; returns its path.
    /// </summary>
    public string WriteKubeconfig(string path, string? defaultNamespace = null)
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(_caCertificate.ExportCertificatePem()));
        var ns = defaultNamespace is null ? "" : $"\n    namespace: {defaultNamespace}";
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Url.GetLeftPart(UriPartial.Authority)}
                certificate-authority-data: {ca}
            users:
            - name: {AdminUser}
              user:
                token: {TokenOf(AdminUser)}
            - name: {LimitedUser}
              user:
                token: {TokenOf(LimitedUser)}
            contexts:
            - name: fake-admin
              context:
                cluster: fake
                user: {AdminUser}{ns}
            - name: fake-limited
              context:
                cluster: fake
                user: {LimitedUser}{ns}
            current-context: fake-admin

            """;
        File.WriteAllText(path, text);
        return path;
    }

    // ---- HTTP ----

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var user = Authenticate(request);
        _requests.Enqueue($"{user ?? "-"} {request.Method} {request.Path}{request.QueryString}");
        if (user is null)
        {
            await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized").ConfigureAwait(false);
            return;
        }
        var segments = request.Path.Value!.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            await RouteAsync(context, user, segments).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private string? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
        return _tokens.TryGetValue(header["Bearer ".Length..].Trim(), out var user) ? user : null;
    }

    private Task RouteAsync(HttpContext context, string user, string[] s)
    {
        var method = context.Request.Method;
        switch (s)
        {
            case ["version"]:
                return WriteJsonAsync(context, new JsonObject { ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0-fake", ["platform"] = "linux/amd64" });
            case ["api"]:
                return WriteJsonAsync(context, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray() });
            case ["apis"]:
                return WriteJsonAsync(context, new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = new JsonArray() });
            case ["api", "v1"]:
                return WriteJsonAsync(context, ResourceList());
            case ["api", "v1", "pods"] when method == "GET":
                return Authorized(context, user, "list", "pods", null, () => ListPodsAsync(context, null));
            case ["api", "v1", "namespaces", var ns, "pods"] when method == "GET":
                return Authorized(context, user, "list", "pods", ns, () => ListPodsAsync(context, ns));
            case ["api", "v1", "namespaces", var ns, "pods", var name] when method == "GET":
                return Authorized(context, user, "get", "pods", ns, () => GetPodAsync(context, ns, name));
            case ["api", "v1", "namespaces", var ns, "pods", var name] when method == "DELETE":
                return Authorized(context, user, "delete", "pods", ns, () => DeletePodAsync(context, ns, name));
            case ["api", "v1", "namespaces", var ns, "pods", var name, "log"] when method == "GET":
                return Authorized(context, user, "get", "pods/log", ns, () => LogAsync(context, ns, name));
            case ["api", "v1", "namespaces", var ns, "pods", var name, "portforward"]:
                return Authorized(context, user, "create", "pods/portforward", ns, () => PortForwardAsync(context, ns, name));
            case ["api", "v1", "namespaces", var ns, "pods", var name, "exec"]:
                return Authorized(context, user, "create", "pods/exec", ns, () => ExecAsync(context, ns, name));
            case ["api", "v1", "namespaces", var ns, "secrets", var name] when method == "GET":
                return Authorized(context, user, "get", "secrets", ns, () => GetObjectAsync(context, _secrets, "secrets", ns, name));
            case ["api", "v1", "namespaces", var ns, "configmaps", var name] when method == "GET":
                return Authorized(context, user, "get", "configmaps", ns, () => GetObjectAsync(context, _configMaps, "configmaps", ns, name));
            default:
                return WriteStatusAsync(context, 404, "NotFound", "the server could not find the requested resource");
        }
    }

    private Task Authorized(HttpContext context, string user, string verb, string resource, string? ns, Func<Task> action)
    {
        if (_denials.Any(d => d.User == user && d.Verb == verb && d.Resource == resource && (d.Namespace is null || d.Namespace == ns)))
        {
            var parts = resource.Split('/');
            var what = parts.Length == 2 ? $"resource \"{parts[0]}\" (subresource \"{parts[1]}\")" : $"resource \"{resource}\"";
            var name = context.Request.Path.Value!.Split('/') is { Length: > 6 } p ? p[6] : "";
            var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
            var message = $"{parts[0]}{(name.Length > 0 ? $" \"{name}\"" : "")} is forbidden: User \"{user}\" cannot {verb} {what} in API group \"\" {scope}";
            return WriteStatusAsync(context, 403, "Forbidden", message);
        }
        return action();
    }

    private static JsonObject ResourceList()
    {
        JsonObject Resource(string name, string kind, bool namespaced, params string[] verbs) => new()
        {
            ["name"] = name,
            ["singularName"] = name.Contains('/', StringComparison.Ordinal) ? "" : name.TrimEnd('s'),
            ["namespaced"] = namespaced,
            ["kind"] = kind,
            ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode?)v).ToArray()),
        };
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["groupVersion"] = "v1",
            ["resources"] = new JsonArray(
                Resource("pods", "Pod", true, "get", "list", "delete"),
                Resource("pods/log", "Pod", true, "get"),
                Resource("pods/exec", "PodExecOptions", true, "create", "get"),
                Resource("pods/portforward", "PodPortForwardOptions", true, "create", "get"),
                Resource("secrets", "Secret", true, "get"),
                Resource("configmaps", "ConfigMap", true, "get"),
                Resource("namespaces", "Namespace", false, "get", "list")),
        };
    }

    private async Task ListPodsAsync(HttpContext context, string? ns)
    {
        var selector = LabelSelector.Parse(context.Request.Query["labelSelector"].ToString());
        var items = new JsonArray();
        foreach (var pod in _pods.Values.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            if (ns is not null && pod.Namespace != ns) continue;
            if (!selector.Matches(pod.Labels)) continue;
            items.Add(pod.Render());
        }
        await WriteJsonAsync(context, new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["resourceVersion"] = "100" }, ["items"] = items }).ConfigureAwait(false);
    }

    private Task GetPodAsync(HttpContext context, string ns, string name) =>
        GetPod(ns, name) is { } pod ? WriteJsonAsync(context, pod.Render()) : WriteStatusAsync(context, 404, "NotFound", $"pods \"{name}\" not found");

    private Task DeletePodAsync(HttpContext context, string ns, string name)
    {
        var pod = GetPod(ns, name);
        if (pod is null || !DeletePod(ns, name)) return WriteStatusAsync(context, 404, "NotFound", $"pods \"{name}\" not found");
        return WriteJsonAsync(context, pod.Render());
    }

    private static Task GetObjectAsync(HttpContext context, ConcurrentDictionary<string, JsonObject> store, string resource, string ns, string name) =>
        store.TryGetValue($"{ns}/{name}", out var item) ? WriteJsonAsync(context, item) : WriteStatusAsync(context, 404, "NotFound", $"{resource} \"{name}\" not found");

    // ---- logs ----

    private async Task LogAsync(HttpContext context, string ns, string name)
    {
        var pod = GetPod(ns, name);
        if (pod is null)
        {
            await WriteStatusAsync(context, 404, "NotFound", $"pods \"{name}\" not found").ConfigureAwait(false);
            return;
        }
        var query = context.Request.Query;
        var container = query["container"].ToString();
        if (container.Length == 0)
        {
            if (pod.ContainerNames.Count != 1)
            {
                await WriteStatusAsync(context, 400, "BadRequest", $"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', pod.ContainerNames)}]").ConfigureAwait(false);
                return;
            }
            container = pod.ContainerNames[0];
        }
        if (!pod.ContainerNames.Contains(container))
        {
            await WriteStatusAsync(context, 400, "BadRequest", $"container {container} is not valid for pod {name}").ConfigureAwait(false);
            return;
        }
        var previous = query["previous"] == "true";
        var lines = container == "etcd" && pod.Binding is { } member ? FakeLog.Read(member.LogPath, previous) : previous ? null : [];
        if (lines is null)
        {
            await WriteStatusAsync(context, 400, "BadRequest", $"previous terminated container \"{container}\" in pod \"{name}\" not found").ConfigureAwait(false);
            return;
        }
        if (int.TryParse(query["sinceSeconds"], out var sinceSeconds))
        {
            var cutoff = DateTimeOffset.UtcNow.AddSeconds(-sinceSeconds);
            lines = lines.Where(l => l.Time is null || l.Time >= cutoff).ToList();
        }
        if (int.TryParse(query["tailLines"], out var tail) && tail >= 0)
            lines = lines.Skip(Math.Max(0, lines.Count - tail)).ToList();
        var timestamps = query["timestamps"] == "true";
        context.Response.ContentType = "text/plain";
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            if (timestamps) text.Append((line.Time ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
            text.Append(line.Text).Append('\n');
        }
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    // ---- port-forward ----

    private async Task PortForwardAsync(HttpContext context, string ns, string name)
    {
        var pod = GetPod(ns, name);
        if (pod is null)
        {
            await WriteStatusAsync(context, 404, "NotFound", $"pods \"{name}\" not found").ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest || !context.WebSockets.WebSocketRequestedProtocols.Contains("v4.channel.k8s.io"))
        {
            await WriteStatusAsync(context, 400, "BadRequest", "this fake serves port-forward over WebSocket with v4.channel.k8s.io only").ConfigureAwait(false);
            return;
        }
        var ports = context.Request.Query["ports"].SelectMany(p => (p ?? "").Split(',')).Select(p => int.TryParse(p, out var v) ? v : -1).ToList();
        if (ports.Count == 0 || ports.Any(p => p is <= 0 or > 65535))
        {
            await WriteStatusAsync(context, 400, "BadRequest", "query parameter \"port\" is required").ConfigureAwait(false);
            return;
        }
        if (PortForwardDelay > TimeSpan.Zero)
        {
            try { await Task.Delay(PortForwardDelay, context.RequestAborted).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync("v4.channel.k8s.io").ConfigureAwait(false);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, pod.Deleted.Token);
        using var relay = new ChannelSocket(socket);
        var connections = new TcpClient?[ports.Count];
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                var port = ports[i];
                // Every channel starts with the port, little-endian (kubelet's websocket port-forward).
                var prefix = new[] { (byte)(port & 0xff), (byte)(port >> 8) };
                await relay.SendAsync((byte)(2 * i), prefix, ended.Token).ConfigureAwait(false);
                await relay.SendAsync((byte)(2 * i + 1), prefix, ended.Token).ConfigureAwait(false);
                if (pod.Ports.TryGetValue(port, out var target) && pod.Binding is not null)
                {
                    var tcp = new TcpClient { NoDelay = true };
                    try
                    {
                        await tcp.ConnectAsync(IPAddress.Loopback, target, ended.Token).ConfigureAwait(false);
                        connections[i] = tcp;
                    }
                    catch (SocketException e)
                    {
                        tcp.Dispose();
                        await relay.SendAsync((byte)(2 * i + 1), Encoding.UTF8.GetBytes(
                            $"error forwarding port {port} to pod {pod.Uid}, uid : failed to execute portforward in network namespace: failed to connect to localhost:{port} inside namespace: {e.Message}"), ended.Token).ConfigureAwait(false);
                    }
                }
                else
                {
                    await relay.SendAsync((byte)(2 * i + 1), Encoding.UTF8.GetBytes(
                        $"error forwarding port {port} to pod {pod.Uid}, uid : failed to execute portforward in network namespace: failed to connect to localhost:{port} inside namespace: connection refused"), ended.Token).ConfigureAwait(false);
                }
            }
            var pumps = new List<Task> { relay.ReceiveLoopAsync((channel, data) => ToTcpAsync(connections, channel, data, ended.Token), ended.Token) };
            for (var i = 0; i < ports.Count; i++)
                if (connections[i] is { } tcp) pumps.Add(FromTcpAsync(tcp, relay, (byte)(2 * i), ended.Token));
            if (pumps.Count == 1 && connections.All(c => c is null))
            {
                await relay.CloseAsync().ConfigureAwait(false);
                return;
            }
            await Task.WhenAny(pumps.Append(Task.Delay(Timeout.Infinite, ended.Token))).ConfigureAwait(false);
            if (pod.Deleted.IsCancellationRequested)
            {
                // What the kubelet reports when the container goes away under a forward.
                for (var i = 0; i < ports.Count; i++)
                    await relay.TrySendAsync((byte)(2 * i + 1), Encoding.UTF8.GetBytes($"an error occurred forwarding {ports[i]} -> {ports[i]}: error forwarding port {ports[i]} to pod {pod.Uid}: pod deleted")).ConfigureAwait(false);
            }
            await relay.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or SocketException)
        {
            await relay.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            foreach (var tcp in connections) tcp?.Dispose();
        }
    }

    private static async Task ToTcpAsync(TcpClient?[] connections, byte channel, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (channel % 2 != 0 || channel / 2 >= connections.Length || connections[channel / 2] is not { } tcp) return;
        await tcp.GetStream().WriteAsync(data, cancellationToken).ConfigureAwait(false);
    }

    private static async Task FromTcpAsync(TcpClient tcp, ChannelSocket relay, byte channel, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var stream = tcp.GetStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            await relay.SendAsync(channel, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
    }

    // ---- exec ----

    private async Task ExecAsync(HttpContext context, string ns, string name)
    {
        var pod = GetPod(ns, name);
        if (pod is null)
        {
            await WriteStatusAsync(context, 404, "NotFound", $"pods \"{name}\" not found").ConfigureAwait(false);
            return;
        }
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = ExecProtocols.FirstOrDefault(requested.Contains);
        if (!context.WebSockets.IsWebSocketRequest || protocol is null)
        {
            await WriteStatusAsync(context, 400, "BadRequest", "this fake serves exec over WebSocket with v5.channel.k8s.io or v4.channel.k8s.io only").ConfigureAwait(false);
            return;
        }
        var query = context.Request.Query;
        var command = query["command"].Select(c => c ?? "").ToList();
        var container = query["container"].ToString();
        if (container.Length == 0) container = pod.ContainerNames[0];
        var withStdin = query["stdin"] == "true" || query["stdin"] == "1";
        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        using var relay = new ChannelSocket(socket);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, pod.Deleted.Token);
        if (!pod.ContainerNames.Contains(container) || command.Count == 0 || command[0] != "etcdctl" || pod.Binding is null)
        {
            var why = !pod.ContainerNames.Contains(container) ? $"container {container} is not valid for pod {name}"
                : $"exec: \"{(command.Count == 0 ? "" : command[0])}\": executable file not found in $PATH (this fake runs only etcdctl, in pods bound to etcd members)";
            await relay.SendAsync(3, Encoding.UTF8.GetBytes(ExecStatus(false, 126, why)), ended.Token).ConfigureAwait(false);
            await relay.CloseAsync().ConfigureAwait(false);
            return;
        }
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.ToArray())
            if (key.StartsWith("ETCDCTL_", StringComparison.Ordinal) || key.StartsWith("ETCD_", StringComparison.Ordinal)) start.Environment.Remove(key);
        foreach (var (key, value) in pod.ContainerEnvironment(container)) start.Environment[key] = value;
        foreach (var (key, value) in pod.ExecEnvironment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = PumpOutputAsync(process.StandardOutput.BaseStream, relay, 1, ended.Token);
        var stderr = PumpOutputAsync(process.StandardError.BaseStream, relay, 2, ended.Token);
        _ = relay.ReceiveLoopAsync(async (channel, data) =>
        {
            if (channel == 0 && withStdin)
            {
                await process.StandardInput.BaseStream.WriteAsync(data, ended.Token).ConfigureAwait(false);
                await process.StandardInput.BaseStream.FlushAsync(ended.Token).ConfigureAwait(false);
            }
            else if (channel == 255 && data.Length > 0 && data.Span[0] == 0)
            {
                process.StandardInput.Close(); // v5: the client closed stdin
            }
        }, ended.Token);
        if (!withStdin) process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(ended.Token).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            await relay.SendAsync(3, Encoding.UTF8.GetBytes(ExecStatus(process.ExitCode == 0, process.ExitCode, null)), ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
        await relay.CloseAsync().ConfigureAwait(false);
    }

    private static async Task PumpOutputAsync(Stream output, ChannelSocket relay, byte channel, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            await relay.SendAsync(channel, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
    }

    private static string ExecStatus(bool success, int exitCode, string? message) => success
        ? """{"metadata":{},"status":"Success"}"""
        : new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message ?? $"command terminated with non-zero exit code: error executing command, exit status {exitCode}",
            ["reason"] = "NonZeroExitCode",
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }) },
        }.ToJsonString();

    // ---- helpers ----

    private static async Task WriteJsonAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteStatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        return WriteJsonAsync(context, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        });
    }

    private static (X509Certificate2 Ca, X509Certificate2 Server) CreateCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=fake-kubernetes-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(serverKey);
        // A PKCS#12 round trip gives Kestrel a key it can use on every platform.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert)), server);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pod in _pods.Values) pod.Deleted.Cancel();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _caCertificate.Dispose();
    }
}
