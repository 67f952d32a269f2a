using System.CommandLine;
using EtcdTools.Bench;

// Benchmarks run by hand, side by side with the reference tool in one run, reporting ratios.
// Machines are noisy: compare within one run, never against a fixed number.
var sizeOption = new Option<int>("--size-mb") { Description = "Approximate database size to fill before measuring.", DefaultValueFactory = _ => 200 };
var runsOption = new Option<int>("--runs") { Description = "Measured runs per tool (after one warm-up each).", DefaultValueFactory = _ => 5 };
var tlsOption = new Option<bool>("--tls") { Description = "Use a TLS member with client certificates." };

var snapshot = new Command("snapshot", "Save-EtcdSnapshot vs `etcdctl snapshot save` (time incl. fsync, allocation, peak RSS), then Get-EtcdSnapshotInfo vs `etcdctl snapshot status` on the file.")
{
    sizeOption, runsOption, tlsOption,
};
snapshot.SetAction((parse, cancellationToken) =>
    SnapshotBenchmark.RunAsync(parse.GetValue(sizeOption), parse.GetValue(runsOption), parse.GetValue(tlsOption), cancellationToken));

var keysOption = new Option<int>("--keys") { Description = "Keys to write and list.", DefaultValueFactory = _ => 1_000_000 };
var valueOption = new Option<int>("--value-bytes") { Description = "Bytes per value.", DefaultValueFactory = _ => 64 };
var pageOption = new Option<int>("--page-size") { Description = "Keys per Range request; 0 sizes pages by bytes as Get-EtcdKey does.", DefaultValueFactory = _ => 0 };
var pageBytesOption = new Option<int>("--page-bytes") { Description = "With byte-sized pages, the bytes one page aims at.", DefaultValueFactory = _ => EtcdTools.Keys.KeyReadOptions.DefaultPageBytes };
var keys = new Command("keys", "Listing a large keyspace: KeyReader (paged, one revision) vs `etcdctl get --prefix`.")
{
    keysOption, valueOption, pageOption, pageBytesOption,
};
keys.SetAction((parse, cancellationToken) =>
    KeyListingBenchmark.RunAsync(parse.GetValue(keysOption), parse.GetValue(valueOption), parse.GetValue(pageOption), parse.GetValue(pageBytesOption), cancellationToken));

var fileOption = new Option<string>("--file") { Description = "A saved /metrics page to parse.", DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "etcd-3.4-metrics.txt") };
var iterationsOption = new Option<int>("--iterations") { Description = "Measured parses.", DefaultValueFactory = _ => 2000 };
var membersOption = new Option<int>("--members") { Description = "Members of the sandbox the watch engine samples.", DefaultValueFactory = _ => 5 };
var secondsOption = new Option<int>("--seconds") { Description = "How long the watch engine runs at a 1 s interval.", DefaultValueFactory = _ => 60 };
var metrics = new Command("metrics", "Parsing a real etcd /metrics page (time and allocation per parse) and Watch-EtcdPerformance's engine (CPU at 1 s over 5 members).")
{
    fileOption, iterationsOption, membersOption, secondsOption, tlsOption,
};
metrics.SetAction(async (parse, cancellationToken) =>
{
    MetricsBenchmark.Parse(parse.GetValue(fileOption)!, parse.GetValue(iterationsOption));
    return await MetricsBenchmark.WatchAsync(parse.GetValue(membersOption), parse.GetValue(secondsOption), parse.GetValue(tlsOption), cancellationToken);
});

var loadsOption = new Option<string[]>("--load") { Description = "check perf loads to compare (s, m, l, xl).", DefaultValueFactory = _ => ["s", "m"], AllowMultipleArgumentsPerToken = true };
var roundsOption = new Option<int>("--rounds") { Description = "Rounds of both tools at every load (the order alternates).", DefaultValueFactory = _ => 1 };
var loadtest = new Command("loadtest", "Write load: Invoke-EtcdLoadTest's engine vs `etcdctl check perf`, same 3-member cluster, both timed by proxies in front of the members.")
{
    loadsOption, roundsOption,
};
loadtest.SetAction((parse, cancellationToken) =>
    LoadTestBenchmark.RunAsync(parse.GetValue(loadsOption)!, parse.GetValue(roundsOption), cancellationToken));

var directoryOption = new Option<string?>("--dir") { Description = "Directory to test; a new one under the temporary directory by default." };
var diskRunsOption = new Option<int>("--runs") { Description = "Measured runs per tool (after one warm-up each).", DefaultValueFactory = _ => 5 };
var disk = new Command("disk", "Disk check: Test-EtcdDisk's engine vs fio's etcd job (--rw=write --ioengine=sync --fdatasync=1 --size=22m --bs=2300), same directory.")
{
    directoryOption, diskRunsOption,
};
disk.SetAction((parse, cancellationToken) =>
    DiskBenchmark.RunAsync(parse.GetValue(directoryOption), parse.GetValue(diskRunsOption), cancellationToken));

var endpointsOption = new Option<string>("--endpoints") { Required = true };
var engineLoadOption = new Option<string>("--load") { DefaultValueFactory = _ => "s" };
// loadtest's child process: the engine away from the proxies' process.
var engine = new Command("engine", "(used by loadtest) One Invoke-EtcdLoadTest engine run; prints throughput, slowest, stddev, pass.") { endpointsOption, engineLoadOption };
engine.Hidden = true;
engine.SetAction((parse, cancellationToken) =>
    LoadTestBenchmark.RunEngineProcessAsync(parse.GetValue(endpointsOption)!, parse.GetValue(engineLoadOption)!, cancellationToken));


var keyspaceKeysOption = new Option<int>("--keys") { Description = "Keys to write and measure.", DefaultValueFactory = _ => 1_000_000 };
var keyspaceRunsOption = new Option<int>("--runs") { Description = "Measured runs per tool (after one warm-up each).", DefaultValueFactory = _ => 3 };
var keyspace = new Command("keyspace", "Measure-EtcdKeyspace vs `etcdctl get / --prefix --keys-only | awk` counting per resource and namespace.")
{
    keyspaceKeysOption, valueOption, keyspaceRunsOption,
};
keyspace.SetAction((parse, cancellationToken) =>
    KeyspaceBenchmark.RunAsync(parse.GetValue(keyspaceKeysOption), parse.GetValue(valueOption), parse.GetValue(keyspaceRunsOption), cancellationToken));

var root = new RootCommand("EtcdTools benchmarks against real etcd.") { snapshot, keys, metrics, loadtest, disk, keyspace, engine };
return await root.Parse(args).InvokeAsync();
