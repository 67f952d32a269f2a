using System.Collections.Concurrent;
using EtcdTools.Protocol.Etcdserverpb;

namespace EtcdTools.Client;

/// <summary>
/// A cluster seen through its configured endpoints: knows every member (from MemberList), hands
/// out one <see cref="EtcdClient"/> per member endpoint, and runs cluster-wide calls on the first
/// endpoint that answers, failing over when a member is down or hung.
/// </summary>
public sealed class EtcdCluster : IDisposable
{
    private readonly ConcurrentDictionary<Uri, EtcdClient> _clients = new();
    private readonly IReadOnlyList<Uri> _endpoints;
    private int _preferred;

    public EtcdCluster(EtcdConnectionSettings settings)
    {
        Settings = settings;
        _endpoints = settings.GetEndpointUris();
        if (_endpoints.Count == 0) throw new ArgumentException("No etcd endpoint was given.", nameof(settings));
    }

    public EtcdConnectionSettings Settings { get; }

    /// <summary>The cluster ID the last member list reported; 0 before one was read.</summary>
    public ulong ClusterId { get; internal set; }

    /// <summary>The endpoints given in the settings (not necessarily every member).</summary>
    public IReadOnlyList<Uri> Endpoints => _endpoints;

    /// <summary>The client for one endpoint, created once and reused.</summary>
    public EtcdClient GetClient(Uri endpoint) => _clients.GetOrAdd(endpoint, e => new EtcdClient(Settings, e));

    /// <summary>The client for a member, on its first advertised client URL; null for a member not started yet (no client URLs).</summary>
    public EtcdClient? GetMemberClient(Member member)
    {
        var url = PreferredClientUrl(member);
        return url is null ? null : GetClient(url);
    }

    /// <summary>The member's client URL to use: one of the configured endpoints if it advertises it, else its first with our scheme, else its first.</summary>
    public Uri? PreferredClientUrl(Member member)
    {
        var urls = member.ClientURLs.Select(u => TryParse(u)).OfType<Uri>().ToList();
        if (urls.Count == 0) return null;
        return urls.FirstOrDefault(u => _endpoints.Contains(u))
            ?? urls.FirstOrDefault(u => u.Scheme == _endpoints[0].Scheme)
            ?? urls[0];
    }

    private static Uri? TryParse(string url)
    {
        try { return EtcdConnectionSettings.ParseEndpoint(url); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>The member list, from the first endpoint that answers (all are asked at once).</summary>
    public async Task<MemberListResponse> GetMembersAsync(CancellationToken cancellationToken = default)
    {
        var discovery = await MemberDiscovery.DiscoverAsync(this, cancellationToken: cancellationToken).ConfigureAwait(false);
        return discovery.MemberList ?? throw discovery.ToException();
    }

    /// <summary>
    /// The members named by ID (hex, as etcdctl prints it) or name, or all members when none is
    /// named, with the member list's header. An unknown ID or name is an error naming the known ones.
    /// </summary>
    public async Task<(ResponseHeader Header, IReadOnlyList<Member> Members)> SelectMembersAsync(IEnumerable<string>? idsOrNames, CancellationToken cancellationToken = default)
    {
        var discovery = await MemberDiscovery.DiscoverAsync(this, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (discovery.MemberList is null) throw discovery.ToException();
        var selected = discovery.Select(idsOrNames, out var unknown);
        if (unknown.Count > 0) throw discovery.MemberNotFound(unknown[0]);
        return (discovery.MemberList.Header, selected);
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the configured endpoints in turn, starting with the last one that
    /// worked, moving on only for failures another member might not have (down, hung, no leader).
    /// When every endpoint fails, the error names each endpoint's failure.
    /// </summary>
    public async Task<T> InvokeAsync<T>(Func<EtcdClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken = default)
    {
        var failures = new List<EtcdException>();
        var start = Volatile.Read(ref _preferred);
        for (var i = 0; i < _endpoints.Count; i++)
        {
            var index = (start + i) % _endpoints.Count;
            try
            {
                var result = await call(GetClient(_endpoints[index]), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _preferred, index);
                return result;
            }
            catch (EtcdException e) when (e.IsFailoverCandidate)
            {
                failures.Add(e);
            }
        }
        throw EtcdException.Combine(failures);
    }

    /// <summary>
    /// Calls every member at once, each with its own timeout, and yields each result as it
    /// completes: five members with one hung take one timeout, not five. A member that fails
    /// yields its error; the others still report.
    /// </summary>
    public async IAsyncEnumerable<MemberResult<T>> ForEachMemberAsync<T>(IEnumerable<Member> members,
        Func<EtcdClient, Member, CancellationToken, Task<T>> call, TimeSpan? perMemberTimeout = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var limit = perMemberTimeout ?? Settings.CommandTimeout;
        var pending = members.Select(member => RunOneAsync(member, call, limit, cancellationToken)).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            yield return await done.ConfigureAwait(false);
        }
    }

    private async Task<MemberResult<T>> RunOneAsync<T>(Member member, Func<EtcdClient, Member, CancellationToken, Task<T>> call, TimeSpan limit, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var url = PreferredClientUrl(member);
        if (url is null)
            return new MemberResult<T>(member, null, default, new EtcdException(EtcdErrorKind.Unavailable, Protocol.GrpcStatusCode.Unavailable,
                $"Member {MemberId.Format(member.ID)} has not started yet: it advertises no client URL."), started.Elapsed);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (limit != Timeout.InfiniteTimeSpan) deadline.CancelAfter(limit);
        try
        {
            var value = await call(GetClient(url), member, deadline.Token).ConfigureAwait(false);
            return new MemberResult<T>(member, url, value, null, started.Elapsed);
        }
        catch (EtcdException e)
        {
            return new MemberResult<T>(member, url, default, e, started.Elapsed);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new MemberResult<T>(member, url, default, new EtcdException(EtcdErrorKind.Timeout, Protocol.GrpcStatusCode.DeadlineExceeded,
                $"Member {member.Name} at {url.GetLeftPart(UriPartial.Authority)} did not answer within {Duration.Format(limit)}: it may be hung or overloaded.",
                endpoint: url, innerException: e), started.Elapsed);
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _clients.Clear();
    }
}
