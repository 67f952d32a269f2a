using System.CommandLine;
using EtcdTools.Bench;

// Benchmarks run by hand, side by side with the reference tool in one run, reporting ratios.
// Machines are noisy: compare within one run, never against a fixed number.
var sizeOption = new Option<int>("--size-mb") { Description = "Approximate database size to fill before measuring.", DefaultValueFactory = _ => 200 };
var runsOption = new Option<int>("--runs") { Description = "Measured runs per tool (after one warm-up each).", DefaultValueFactory = _ => 5 };
var tlsOption = new Option<bool>("--tls") { Description = "Use a TLS member with client certificates." };

var snapshot = new Command("snapshot", "Snapshot download: EtcdClient.SnapshotAsync vs `etcdctl snapshot save`, same member, same data.")
{
    sizeOption, runsOption, tlsOption,
};
snapshot.SetAction((parse, cancellationToken) =>
    SnapshotBenchmark.RunAsync(parse.GetValue(sizeOption), parse.GetValue(runsOption), parse.GetValue(tlsOption), cancellationToken));

var root = new RootCommand("EtcdTools benchmarks against real etcd.") { snapshot };
return await root.Parse(args).InvokeAsync();
