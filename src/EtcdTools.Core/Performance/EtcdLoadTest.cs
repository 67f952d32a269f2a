using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using EtcdTools.Client;
using EtcdTools.Health;
using EtcdTools.Keys;
using EtcdTools.Protocol.Etcdserverpb;
using Google.Protobuf;

namespace EtcdTools.Performance;

/// <summary>How far a load test is; <see cref="EtcdLoadTest.GetProgress"/> is safe from any thread.</summary>
public readonly record struct EtcdLoadTestProgress(string Phase, TimeSpan Elapsed, TimeSpan Duration, long Succeeded, long Failed, long Planned);

/// <summary>
/// etcdctl check perf's workload, run against a plan (<see cref="EtcdLoadTestPlan"/>): one
/// dispatcher releases puts at the target rate into a queue as deep as there are clients, and each
/// client (its own connection, to one of the target members in turn) takes the next put when it is
/// free; each put's latency runs from its send to its answer. If every client is busy the dispatcher
/// waits, so a cluster that cannot keep up shows as lower throughput, as with check perf.
/// The puts are plain puts, as check perf's: a lease on every key would make the cleanup airtight
/// but, measured on etcd 3.4, costs the members about 2.5 times the CPU of the same load without,
/// so the test would no longer be check perf's. The cleanup deletes the prefix whatever ends the
/// test (its end, a failure, NOSPACE, cancellation); puts whose outcome is unknown (timed out or
/// abandoned) may land late, so it then deletes once more after a grace period.
/// </summary>
public sealed class EtcdLoadTest
{
    /// <summary>check perf's rules.</summary>
    public const double MinThroughputRatio = 0.9;
    public const double MaxSlowestMs = 500;
    public const double MaxStddevMs = 100;

    /// <summary>How long puts in flight may finish after cancellation before they are abandoned: long enough for a healthy member.</summary>
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before the second deletion, for puts whose outcome was unknown.</summary>
    private static readonly TimeSpan MaxLateGrace = TimeSpan.FromSeconds(5);

    /// <summary>How far behind its schedule the dispatcher may catch up (timer granularity, a busy machine); slots missed for longer are dropped, as a rate limiter drops them.</summary>
    private static readonly TimeSpan MaxCatchUp = TimeSpan.FromMilliseconds(50);

    /// <summary>A client whose member refuses connections pauses this long, so the queue flows to the members that answer.</summary>
    private static readonly TimeSpan UnavailablePause = TimeSpan.FromMilliseconds(200);

    private readonly EtcdCluster _cluster;
    private readonly EtcdLoadTestPlan _plan;
    private readonly byte[] _prefix;
    private readonly ByteString _value;
    private long _succeeded;
    private long _failed;
    private long _unsettled;
    private long _startedAt;
    private volatile string _phase = "Starting";
    private volatile string? _stopReason;

    public EtcdLoadTest(EtcdCluster cluster, EtcdLoadTestPlan plan)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Refusal is not null) throw new InvalidOperationException(plan.Refusal);
        _cluster = cluster;
        _plan = plan;
        _prefix = Encoding.UTF8.GetBytes(plan.Prefix);
        // Zero bytes, as check perf's values.
        _value = UnsafeByteOperations.UnsafeWrap(new byte[plan.Options.ValueSize]);
    }

    public EtcdLoadTestPlan Plan => _plan;

    public EtcdLoadTestProgress GetProgress()
    {
        var started = Volatile.Read(ref _startedAt);
        return new EtcdLoadTestProgress(_phase, started == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started), _plan.Options.Duration,
            Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), _plan.PlannedRequests);
    }

    /// <summary>
    /// Runs the test and cleans up. Cancellation stops the puts at once; the cleanup still runs
    /// (with its own time limits) before the cancellation is rethrown.
    /// </summary>
    public async Task<EtcdLoadTestResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var startedAt = DateTimeOffset.Now;
        long startRevision = 0;
        Measurement? measurement = null;
        Cleanup? cleanup = null;
        try
        {
            _phase = "Connecting";
            measurement = await MeasureAsync(revision => startRevision = revision, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (startRevision != 0)
            {
                _phase = "Cleaning up";
                cleanup = await CleanUpAsync(startRevision).ConfigureAwait(false);
            }
            _phase = "Done";
        }
        return Judge(startedAt, startRevision, measurement, cleanup!);
    }

    // ---- the load ----

    private sealed class Worker(EtcdClient client)
    {
        public EtcdClient Client { get; } = client;
        public List<double> Latencies { get; } = [];
        public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Measurement(double[] Latencies, Dictionary<string, long> Errors, double ElapsedMs);

    private async Task<Measurement> MeasureAsync(Action<long> started, CancellationToken cancellationToken)
    {
        var options = _plan.Options;
        var workers = new List<Worker>(options.Clients);
        try
        {
            // Each client its own connection, as check perf's clients; spread over the members in turn.
            for (var i = 0; i < options.Clients; i++)
                workers.Add(new Worker(new EtcdClient(_cluster.Settings, _plan.Targets[i % _plan.Targets.Count].Endpoint)));
            await ConnectAsync(workers, cancellationToken).ConfigureAwait(false);
            // The revision before the first put (linearizable), and the prefix still empty.
            var range = KeyRange.ForPrefix(_plan.Prefix);
            var before = await _cluster.InvokeAsync((c, ct) => c.RangeAsync(new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, CountOnly = true }, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (before.Count > 0)
                throw new InvalidOperationException($"Keys appeared under '{_plan.Prefix}' after the test was planned: it did not start, and nothing was deleted.");
            started(before.Header.Revision);

            _phase = "Writing";
            // Ctrl+C stops the dispatch at once; puts in flight get a moment to finish, so that none
            // lands after the cleanup, then they are abandoned.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var abandon = new CancellationTokenSource();
            using var draining = cancellationToken.Register(() => abandon.CancelAfter(DrainTime));
            var queue = Channel.CreateBounded<long>(new BoundedChannelOptions(options.Clients) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            var clock = Stopwatch.GetTimestamp();
            Volatile.Write(ref _startedAt, clock);
            var running = workers.Select(w => Task.Run(() => WorkAsync(w, queue.Reader, stop, abandon.Token), CancellationToken.None)).ToList();
            try
            {
                await DispatchAsync(queue.Writer, clock, stop.Token).ConfigureAwait(false);
            }
            finally
            {
                queue.Writer.TryComplete();
                await Task.WhenAll(running).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            var elapsedMs = Stopwatch.GetElapsedTime(clock).TotalMilliseconds;

            var latencies = new double[workers.Sum(w => w.Latencies.Count)];
            var errors = new Dictionary<string, long>(StringComparer.Ordinal);
            var at = 0;
            foreach (var worker in workers)
            {
                worker.Latencies.CopyTo(latencies, at);
                at += worker.Latencies.Count;
                foreach (var (message, count) in worker.Errors) errors[message] = errors.GetValueOrDefault(message) + count;
            }
            return new Measurement(latencies, errors, elapsedMs);
        }
        finally
        {
            foreach (var worker in workers) worker.Client.Dispose();
        }
    }

    /// <summary>Opens every client's connection before the clock starts (a serializable count of the prefix), as etcdctl dials before its test.</summary>
    private async Task ConnectAsync(List<Worker> workers, CancellationToken cancellationToken)
    {
        var range = KeyRange.ForPrefix(_plan.Prefix);
        var probe = new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, CountOnly = true, Serializable = true };
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (worker, ct) => await worker.Client.RangeAsync(probe, cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Releases puts on a fixed schedule (sequence i at i/rate seconds) until the duration ends.</summary>
    private async Task DispatchAsync(ChannelWriter<long> queue, long started, CancellationToken stop)
    {
        var options = _plan.Options;
        var ticksPerPut = Stopwatch.Frequency / (double)options.Rate;
        var end = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var maxBehind = Math.Max(1, (long)Math.Ceiling(options.Rate * MaxCatchUp.TotalSeconds));
        var origin = (double)started;
        long sequence = 0, slot = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= end) return;
                var due = (long)((now - origin) / ticksPerPut) + 1;
                if (due - slot > maxBehind)
                {
                    // Behind by more than the catch-up allowance (every client was busy): drop the missed slots.
                    origin += (due - slot - maxBehind) * ticksPerPut;
                    due = slot + maxBehind;
                }
                while (slot < due && Stopwatch.GetTimestamp() < end)
                {
                    await queue.WriteAsync(sequence++, stop).ConfigureAwait(false);
                    slot++;
                }
                var wait = (origin + slot * ticksPerPut - Stopwatch.GetTimestamp()) / Stopwatch.Frequency;
                // Timers tick in milliseconds: shorter waits are caught up in the next round.
                if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(wait * 1000))), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // NOSPACE or the caller's cancellation: the workers finish or drop what they hold.
        }
    }

    private async Task WorkAsync(Worker worker, ChannelReader<long> queue, CancellationTokenSource stop, CancellationToken abandon)
    {
        var toMs = 1000.0 / Stopwatch.Frequency;
        // Stopping ends the reading; the put in flight runs on until it ends or is abandoned.
        await foreach (var sequence in queue.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // Once stopped (NOSPACE, Ctrl+C), what is still queued is not sent.
            if (stop.IsCancellationRequested) return;
            var request = new PutRequest { Key = KeyOf(sequence), Value = _value };
            var before = Stopwatch.GetTimestamp();
            try
            {
                await worker.Client.PutAsync(request, cancellationToken: abandon).ConfigureAwait(false);
                worker.Latencies.Add((Stopwatch.GetTimestamp() - before) * toMs);
                Interlocked.Increment(ref _succeeded);
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                // Abandoned after Ctrl+C: it may still be applied, which the cleanup allows for.
                Interlocked.Increment(ref _unsettled);
                return;
            }
            catch (EtcdException e)
            {
                worker.Errors[e.Message] = worker.Errors.GetValueOrDefault(e.Message) + 1;
                Interlocked.Increment(ref _failed);
                // A put that timed out may still be applied later, by a member that was only slow.
                if (e.Kind == EtcdErrorKind.Timeout) Interlocked.Increment(ref _unsettled);
                if (e.Kind == EtcdErrorKind.NoSpace && _stopReason is null)
                {
                    _stopReason = $"The cluster ran out of space (NOSPACE) after {Interlocked.Read(ref _succeeded):N0} puts: etcd refuses every write until space is reclaimed, so the test stopped.";
                    await stop.CancelAsync().ConfigureAwait(false);
                }
                else if (e.Kind == EtcdErrorKind.Unavailable && !stop.IsCancellationRequested)
                {
                    try { await Task.Delay(UnavailablePause, stop.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
                }
            }
        }
    }

    /// <summary>The prefix, then the sequence number in decimal, zero-padded to the key size: unique and readable.</summary>
    private ByteString KeyOf(long sequence)
    {
        var key = new byte[_prefix.Length + _plan.Options.KeySize];
        _prefix.CopyTo(key, 0);
        key.AsSpan(_prefix.Length).Fill((byte)'0');
        for (var i = key.Length - 1; sequence > 0; i--, sequence /= 10) key[i] = (byte)('0' + sequence % 10);
        return UnsafeByteOperations.UnsafeWrap(key);
    }

    // ---- the cleanup ----

    private sealed record Cleanup(long KeysDeleted, long EndRevision, long HistoryRevisions, long HistoryBytes, long OtherRevisions, bool Compacted, long CompactRevision, string Note, string Error);

    /// <summary>
    /// Deletes the prefix (in one revision), once more after a grace period when some puts' outcome
    /// was unknown, and compacts if asked and safe. Runs on its own time limits, never the caller's
    /// token: a cancelled test must still clean up.
    /// </summary>
    private async Task<Cleanup> CleanUpAsync(long startRevision)
    {
        var options = _plan.Options;
        var range = KeyRange.ForPrefix(_plan.Prefix);
        var delete = new DeleteRangeRequest { Key = range.Key, RangeEnd = range.RangeEnd };
        // Deleting hundreds of thousands of keys is one large transaction: allow it time.
        var slow = Max(_cluster.Settings.CommandTimeout, TimeSpan.FromSeconds(30) + TimeSpan.FromSeconds(Interlocked.Read(ref _succeeded) / 20_000.0));
        using var limit = new CancellationTokenSource(slow * 3);
        long deleted = 0;
        try
        {
            var first = await _cluster.InvokeAsync((c, ct) => c.DeleteRangeAsync(delete, slow, ct), limit.Token).ConfigureAwait(false);
            deleted = first.Deleted;
            var endRevision = first.Header.Revision;
            var history = first.Deleted + (first.Deleted > 0 ? 1 : 0);
            var late = "";
            if (Interlocked.Read(ref _unsettled) > 0)
            {
                await Task.Delay(Min(Max(_cluster.Settings.CommandTimeout, TimeSpan.FromSeconds(1)), MaxLateGrace), limit.Token).ConfigureAwait(false);
                var second = await _cluster.InvokeAsync((c, ct) => c.DeleteRangeAsync(delete, slow, ct), limit.Token).ConfigureAwait(false);
                deleted += second.Deleted;
                endRevision = second.Header.Revision;
                history += second.Deleted + (second.Deleted > 0 ? 1 : 0);
                late = string.Create(CultureInfo.InvariantCulture, $" {_unsettled:N0} put(s) had no answer (timed out or abandoned); {second.Deleted:N0} of them landed late and were deleted too. A member that is still hung may apply more when it recovers: check with Get-EtcdKey -Prefix '{_plan.Prefix}' -CountOnly.");
            }
            var others = Math.Max(0, endRevision - startRevision - history);
            var historyBytes = deleted * _plan.BytesPerPut;

            if (!options.Compact)
                return new Cleanup(deleted, endRevision, history, historyBytes, others, false, 0,
                    $"The keys are deleted; their {history:N0} revisions (about {ByteSize.Format(historyBytes)}) stay in the history until the cluster is compacted: " +
                    "Kubernetes' API server compacts every 5 minutes, etcd's --auto-compaction-retention on its schedule; elsewhere run the test with -Compact, or compact and defragment by hand." + late, "");
            if (others > 0 && !options.CompactEvenIfOthersWrote)
                return new Cleanup(deleted, endRevision, history, historyBytes, others, false, 0,
                    $"Not compacted: other clients wrote {others:N0} revision(s) during the test, and compaction would take away their history too (a watcher resuming from an older revision would fail). " +
                    "Add -Force to compact anyway, or let the cluster's own compaction remove the test's history." + late, "");
            _phase = "Compacting";
            try
            {
                await _cluster.InvokeAsync((c, ct) => c.CompactAsync(endRevision, physical: true, timeout: slow, cancellationToken: ct), limit.Token).ConfigureAwait(false);
                return new Cleanup(deleted, endRevision, history, historyBytes, others, true, endRevision,
                    $"Compacted to revision {endRevision}: the test's history is gone; the space it took inside the database is free for reuse (defragment the members to shrink their files)." + late, "");
            }
            catch (EtcdException e) when (e.Kind == EtcdErrorKind.Compacted)
            {
                return new Cleanup(deleted, endRevision, history, historyBytes, others, false, 0, "The cluster was compacted past the test's end already: its history is gone." + late, "");
            }
        }
        catch (Exception e) when (e is EtcdException or OperationCanceledException)
        {
            return new Cleanup(deleted, 0, 0, 0, 0, false, 0, "",
                $"The cleanup failed: {e.Message} Keys may be left under '{_plan.Prefix}': delete them with Remove-EtcdKey -Key '{_plan.Prefix}' -Prefix once the cluster answers.");
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // ---- the verdict ----

    private EtcdLoadTestResult Judge(DateTimeOffset startedAt, long startRevision, Measurement? measurement, Cleanup cleanup)
    {
        var options = _plan.Options;
        var latency = LatencyStatistics.Of(measurement?.Latencies ?? []);
        var succeeded = latency.Count;
        var errors = measurement?.Errors.Values.Sum() ?? 0;
        var elapsedMs = measurement?.ElapsedMs ?? 0;
        var throughput = elapsedMs > 0 ? succeeded / (elapsedMs / 1000) : 0;

        var errorsPassed = errors == 0;
        var throughputPassed = throughput / options.Rate > MinThroughputRatio;
        var slowestPassed = latency.MaxMs <= MaxSlowestMs;
        var stddevPassed = latency.StddevMs <= MaxStddevMs;
        var passed = errorsPassed && throughputPassed && slowestPassed && stddevPassed;
        var errorSummary = measurement is null ? "" : string.Join("; ",
            measurement.Errors.OrderByDescending(e => e.Value).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} x{e.Value}")));

        var reasons = new List<string>();
        if (!errorsPassed)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"Errors: {errors:N0} of {succeeded + errors:N0} puts failed ({errorSummary})"));
        if (!throughputPassed)
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"Throughput: {throughput:0.#} writes/s is not above {MinThroughputRatio:P0} of the target {options.Rate} ({options.Rate * MinThroughputRatio:0.#})"));
        if (!slowestPassed)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"Slowest: {latency.MaxMs:0.#} ms is over {MaxSlowestMs:0} ms"));
        if (!stddevPassed)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"Stddev: {latency.StddevMs:0.#} ms is over {MaxStddevMs:0} ms"));
        var numbers = string.Create(CultureInfo.InvariantCulture,
            $"{throughput:0.#} writes/s of {options.Rate}, p99 {latency.P99Ms:0.##} ms, slowest {latency.MaxMs:0.##} ms, stddev {latency.StddevMs:0.##} ms, {errors:N0} errors");

        return new EtcdLoadTestResult
        {
            ClusterId = _plan.ClusterId,
            Load = options.Load,
            Members = string.Join(", ", _plan.Targets.Select(t => t.MemberName)),
            Prefix = _plan.Prefix,
            StartedAt = startedAt,
            TargetRate = options.Rate,
            Clients = options.Clients,
            DurationSeconds = options.Duration.TotalSeconds,
            KeySizeBytes = options.KeySize,
            ValueSizeBytes = options.ValueSize,
            Requests = succeeded + errors,
            Succeeded = succeeded,
            Errors = errors,
            ErrorSummary = errorSummary,
            ElapsedMs = elapsedMs,
            Throughput = throughput,
            LatencyP50Ms = latency.P50Ms,
            LatencyP90Ms = latency.P90Ms,
            LatencyP99Ms = latency.P99Ms,
            LatencyMaxMs = latency.MaxMs,
            LatencyMeanMs = latency.MeanMs,
            LatencyStddevMs = latency.StddevMs,
            ErrorsPassed = errorsPassed,
            ThroughputPassed = throughputPassed,
            SlowestPassed = slowestPassed,
            StddevPassed = stddevPassed,
            Passed = passed,
            Verdict = (passed ? "PASS: " : "FAIL: ") + numbers,
            FailureReasons = string.Join("; ", reasons),
            Stopped = _stopReason is not null,
            StopReason = _stopReason ?? "",
            StartRevision = startRevision,
            EndRevision = cleanup.EndRevision,
            KeysDeleted = cleanup.KeysDeleted,
            HistoryRevisions = cleanup.HistoryRevisions,
            HistoryBytes = cleanup.HistoryBytes,
            OtherRevisions = cleanup.OtherRevisions,
            Compacted = cleanup.Compacted,
            CompactRevision = cleanup.CompactRevision,
            CleanupNote = cleanup.Note,
            CleanupError = cleanup.Error,
        };
    }
}
