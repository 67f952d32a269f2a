namespace EtcdTools.Module.Tests.Infrastructure;

/// <summary>Collects every broken rule before failing, so one run lists all of them.</summary>
public sealed class Violations
{
    private readonly List<string> _items = [];

    public void Add(string violation) => _items.Add(violation);

    public void AddIf(bool broken, string violation)
    {
        if (broken) _items.Add(violation);
    }

    public void AssertNoneDistinct(string rule)
    {
        var distinct = _items.Distinct().ToList();
        _items.Clear();
        _items.AddRange(distinct);
        AssertNone(rule);
    }

    public void AssertNone(string rule)
    {
        Assert.True(_items.Count == 0, $"{rule}\n  - {string.Join("\n  - ", _items)}");
    }
}
