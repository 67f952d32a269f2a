using System.Buffers.Binary;
using System.Text.Json;
using EtcdTools.Sandbox;
using EtcdTools.Snapshots;

namespace EtcdTools.Core.Tests.Snapshots;

/// <summary>
/// Get-EtcdSnapshotInfo's and Test-EtcdSnapshot's reader on real snapshots: the numbers etcdctl
/// snapshot status prints, the keys and HashKV the cluster served, and damaged copies named precisely.
/// </summary>
public sealed class SnapshotInspectorTests(SnapshotScenarios scenarios) : IClassFixture<SnapshotScenarios>
{
    public static TheoryData<string> Scenarios => new(SnapshotScenarios.Names);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void HashRevisionTotalKeysAndSizeAreEtcdctlSnapshotStatus(string name)
    {
        var scenario = scenarios[name];
        var info = SnapshotInspector.Read(scenario.Path);

        AssertEtcdctlStatus(scenario.EtcdctlStatus, info);
        Assert.True(info.HasSha256);
        Assert.True(info.Sha256Verified);
        Assert.Equal(new FileInfo(scenario.Path).Length, info.FileSizeBytes);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void KeyCountAndHashKVAreWhatTheClusterServedWhenTheSnapshotWasTaken(string name)
    {
        var scenario = scenarios[name];
        var info = SnapshotInspector.Read(scenario.Path);

        Assert.Equal(scenario.LiveKeys, info.KeyCount);
        Assert.Equal(scenario.LiveHashKV, info.HashKV);
        // An empty store's revision is 1, its key bucket empty: etcdctl says 0.
        Assert.Equal(scenario.LiveRevision, Math.Max(1, info.Revision));
    }

    [Fact]
    public void ACompactionStillRunningIsReadAsTheRestoredMemberWillFinishIt()
    {
        var inspection = SnapshotInspector.Inspect(scenarios["pending-compaction"].Path);

        var etcdData = Assert.Single(inspection.Checks, c => c.Check == SnapshotCheck.EtcdData);
        Assert.Contains("compaction not finished", etcdData.Message, StringComparison.Ordinal);
        Assert.Equal(scenarios["pending-compaction"].LiveRevision - 1, inspection.Info!.CompactRevision);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void EveryCheckPassesOnARealSnapshot(string name)
    {
        var inspection = SnapshotInspector.Inspect(scenarios[name].Path);

        Assert.True(inspection.Passed, string.Join("\n", inspection.Checks));
        Assert.Equal([SnapshotCheck.File, SnapshotCheck.Sha256, SnapshotCheck.MetaPages, SnapshotCheck.Freelist, SnapshotCheck.PageTree, SnapshotCheck.PageAccounting, SnapshotCheck.EtcdData],
            inspection.Checks.Select(c => c.Check));
        Assert.All(inspection.Checks, c => Assert.Equal("Pass", c.Status));
    }

    [Fact]
    public void AStoppedMembersDbFileReadsAsEtcdctlReadsIt()
    {
        var info = SnapshotInspector.Read(scenarios.DbFile);

        AssertEtcdctlStatus(scenarios.DbFileStatus, info);
        Assert.False(info.HasSha256);
        Assert.Equal("", info.Sha256);
        Assert.Equal(scenarios["pending-compaction"].LiveKeys, info.KeyCount);
    }

    [Fact]
    public void SkippingTheHashCheckStillReportsTheTrailerAndTheNumbers()
    {
        var scenario = scenarios["overflow"];
        var info = SnapshotInspector.Read(scenario.Path, checkSha256: false);

        AssertEtcdctlStatus(scenario.EtcdctlStatus, info);
        Assert.False(info.Sha256Verified);
        Assert.Equal(Convert.ToHexStringLower(File.ReadAllBytes(scenario.Path)[^32..]), info.Sha256);
    }

    [Fact]
    public void AFlippedBitInAValueFailsTheSha256Check()
    {
        var copy = Copy("overflow", "flipped-value.db", bytes => bytes[FindBytes(bytes, [0x10, 0x11, 0x12, 0x13, 0x14]) + 2] ^= 0x04);

        var inspection = SnapshotInspector.Inspect(copy);

        Assert.False(inspection.Passed);
        var failure = Assert.Single(inspection.Checks, c => c.Status == "Fail");
        Assert.Equal(SnapshotCheck.Sha256, failure.Check);
        Assert.Contains("the file changed after etcd wrote it", failure.Message, StringComparison.Ordinal);
        var error = Assert.Throws<EtcdSnapshotCorruptException>(() => SnapshotInspector.Read(copy));
        Assert.Equal(SnapshotCheck.Sha256, error.Check);
        Assert.Equal(copy, error.Path);
    }

    [Fact]
    public void AFlippedBitInAPageHeaderFailsThePageTreeAndNamesThePage()
    {
        ulong page = 0;
        var copy = Copy("overflow", "flipped-header.db", bytes =>
        {
            // The first leaf page after the meta pages: its ID in the header no longer says where it is.
            page = Pages(bytes, flags: 0x02).First();
            bytes[(int)page * 4096] ^= 0x01;
        });

        var inspection = SnapshotInspector.Inspect(copy);

        var tree = Assert.Single(inspection.Checks, c => c.Check == SnapshotCheck.PageTree);
        Assert.Equal("Fail", tree.Status);
        Assert.Equal((long)page, tree.Page);
        Assert.Contains($"page {page} ", tree.Message, StringComparison.Ordinal);
        Assert.Contains($"carries the ID {page ^ 1}", tree.Message, StringComparison.Ordinal);
        Assert.Contains(inspection.Checks, c => c.Check == SnapshotCheck.Sha256 && c.Status == "Fail");
    }

    [Fact]
    public void AnOverflowRunIntoTheNextPageNamesBothPages()
    {
        // Whether the overlap can be seen depends on the page after the run: one the tree still reaches
        // is then claimed twice, a free one is not (etcd 3.4 keeps no freelist, so free pages are just
        // the pages nothing reaches). So every leaf followed by overflow pages is tried in turn, and the
        // first overlap caught must name both pages; one at least must be caught.
        var original = File.ReadAllBytes(scenarios["overflow"].Path);
        var candidates = Pages(original, flags: 0x02, withOverflow: true).ToList();
        Assert.NotEmpty(candidates);
        foreach (var page in candidates)
        {
            var copy = Copy("overflow", $"overflow-overlap-{page}.db", bytes =>
            {
                // The page now claims one overflow page more: the next page's.
                var at = (int)page * 4096 + 12;
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)) + 1);
            });
            try
            {
                SnapshotInspector.Read(copy, checkSha256: false);
            }
            catch (EtcdSnapshotCorruptException error)
            {
                Assert.Equal(SnapshotCheck.PageTree, error.Check);
                Assert.Contains($"page {page} claims it as one of its", error.Message, StringComparison.Ordinal);
                return;
            }
            finally
            {
                File.Delete(copy);
            }
        }
        Assert.Fail($"None of the {candidates.Count} leaves with overflow pages, made to claim the page after their run, was caught.");
    }

    [Fact]
    public void ADamagedMetaPageFailsItsChecksumButTheOtherStillReads()
    {
        // A byte of meta page 0's transaction ID: the FNV-64a checksum no longer matches.
        var copy = Copy("history", "meta0.db", bytes => bytes[16 + 48] ^= 0x80);

        var inspection = SnapshotInspector.Inspect(copy);

        var meta = Assert.Single(inspection.Checks, c => c.Check == SnapshotCheck.MetaPages);
        Assert.Equal("Fail", meta.Status);
        Assert.Contains("meta page 0 is damaged", meta.Message, StringComparison.Ordinal);
        Assert.Contains("FNV-64a checksum", meta.Message, StringComparison.Ordinal);
        Assert.Contains(inspection.Checks, c => c.Check == SnapshotCheck.PageTree && c.Status == "Pass");
    }

    [Fact]
    public void ATruncatedFileIsNamedTruncated()
    {
        // Whole pages, so no trailer is recognised: a db file cut in half.
        var copy = Copy("overflow", "truncated.db", bytes => { }, length => length / 2 / 4096 * 4096);

        var error = Assert.Throws<EtcdSnapshotCorruptException>(() => SnapshotInspector.Read(copy));

        Assert.Equal(SnapshotCheck.MetaPages, error.Check);
        Assert.Contains("the file is truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileWithItsTrailerButPagesMissingIsNamedTruncated()
    {
        // The database's last pages gone, the SHA-256 still appended: the file keeps looking like a snapshot.
        var copy = Copy("overflow", "short.db", bytes => { }, length => length);
        var bytes = File.ReadAllBytes(copy);
        File.WriteAllBytes(copy, [.. bytes[..^(32 + 8 * 4096)], .. bytes[^32..]]);

        var error = Assert.Throws<EtcdSnapshotCorruptException>(() => SnapshotInspector.Read(copy));

        Assert.Equal(SnapshotCheck.MetaPages, error.Check);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FilesThatAreNotBboltDatabasesSayWhy()
    {
        var empty = Path.Combine(scenarios.Directory.FullName, "empty-file.db");
        File.WriteAllBytes(empty, []);
        var text = Path.Combine(scenarios.Directory.FullName, "text.db");
        File.WriteAllText(text, new string('x', 9000));

        var emptyError = Assert.Throws<EtcdSnapshotCorruptException>(() => SnapshotInspector.Read(empty));
        var textError = Assert.Throws<EtcdSnapshotCorruptException>(() => SnapshotInspector.Read(text));

        Assert.Equal(SnapshotCheck.File, emptyError.Check);
        Assert.Contains("is empty", emptyError.Message, StringComparison.Ordinal);
        Assert.Equal(SnapshotCheck.MetaPages, textError.Check);
        Assert.Contains("not a bbolt database", textError.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => SnapshotInspector.Read(Path.Combine(scenarios.Directory.FullName, "missing.db")));
    }

    [Fact]
    public async Task ASandboxRefusesADamagedSnapshotBeforeStartingAnything()
    {
        var copy = Copy("history", "refused.db", bytes => bytes[^40] ^= 0x01);

        var baseDirectory = Directory.CreateTempSubdirectory("etcdtools-refused-");
        try
        {
            var error = await Assert.ThrowsAsync<EtcdSnapshotCorruptException>(() =>
                EtcdSandbox.StartAsync(new EtcdSandboxOptions { FromSnapshot = copy, BaseDirectory = baseDirectory.FullName }));

            Assert.Equal(SnapshotCheck.Sha256, error.Check);
            Assert.Empty(baseDirectory.EnumerateFileSystemInfos());
        }
        finally
        {
            baseDirectory.Delete(recursive: true);
        }
    }

    private static void AssertEtcdctlStatus(JsonElement expected, EtcdSnapshotInfo info)
    {
        Assert.Equal(expected.GetProperty("hash").GetUInt32(), info.Hash);
        Assert.Equal(expected.GetProperty("revision").GetInt64(), info.Revision);
        Assert.Equal(expected.GetProperty("totalKey").GetInt64(), info.TotalKeys);
        Assert.Equal(expected.GetProperty("totalSize").GetInt64(), info.TotalSizeBytes);
    }

    /// <summary>A damaged copy of a scenario's snapshot, cut to <paramref name="length"/> bytes.</summary>
    private string Copy(string scenario, string name, Action<byte[]> damage, Func<int, int>? length = null)
    {
        var bytes = File.ReadAllBytes(scenarios[scenario].Path);
        damage(bytes);
        var path = Path.Combine(scenarios.Directory.FullName, name);
        File.WriteAllBytes(path, bytes[..(length?.Invoke(bytes.Length) ?? bytes.Length)]);
        return path;
    }

    private static int FindBytes(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    /// <summary>The pages (4 KiB pages) with these flags, in page order, optionally only those followed by overflow pages.</summary>
    private static IEnumerable<ulong> Pages(byte[] bytes, ushort flags, bool withOverflow = false)
    {
        for (var page = 2; page * 4096 + 16 <= bytes.Length; page++)
        {
            var header = bytes.AsSpan(page * 4096);
            if (BinaryPrimitives.ReadUInt64LittleEndian(header) == (ulong)page && BinaryPrimitives.ReadUInt16LittleEndian(header[8..]) == flags
                && (!withOverflow || BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) > 0))
                yield return (ulong)page;
        }
    }
}
