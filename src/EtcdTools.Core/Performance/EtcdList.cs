using System.Collections.ObjectModel;

namespace EtcdTools.Performance;

/// <summary>
/// A read-only list of a report's details (findings, peers, gRPC codes, samples) that reads well as
/// one cell: Export-Csv writes its text ("etcd-1 0.4 ms; etcd-2 0.6 ms") instead of a type name,
/// while ConvertTo-Json, Export-Clixml and the pipeline still see every item.
/// </summary>
public sealed class EtcdList<T> : ReadOnlyCollection<T>
{
    /// <summary>Items spelled out in the text; beyond this, their number.</summary>
    private const int ItemsInText = 12;

    public EtcdList(IList<T> items) : base(items)
    {
    }

    public override string ToString() => Count <= ItemsInText
        ? string.Join("; ", this.Select(i => i?.ToString()))
        : $"{string.Join("; ", this.Take(ItemsInText).Select(i => i?.ToString()))}; ... ({Count} in all)";
}
