using System.Collections;
using System.Text;

namespace EtcdTools.Metrics;

/// <summary>
/// The labels of one sample, in the order the exposition gave them. Immutable; the parser shares one
/// instance among all samples (and scrapes) with the same label text.
/// </summary>
public sealed class MetricLabels : IReadOnlyList<KeyValuePair<string, string>>
{
    private readonly KeyValuePair<string, string>[] _labels;
    private string? _text;

    public static MetricLabels Empty { get; } = new([]);

    public MetricLabels(KeyValuePair<string, string>[] labels) => _labels = labels;

    public int Count => _labels.Length;

    public KeyValuePair<string, string> this[int index] => _labels[index];

    /// <summary>The value of the label <paramref name="name"/>, or null when the sample has no such label.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var label in _labels)
                if (string.Equals(label.Key, name, StringComparison.Ordinal)) return label.Value;
            return null;
        }
    }

    /// <summary>These labels without <paramref name="name"/> (a histogram's series without <c>le</c>).</summary>
    public MetricLabels Without(string name)
    {
        var index = Array.FindIndex(_labels, l => string.Equals(l.Key, name, StringComparison.Ordinal));
        if (index < 0) return this;
        if (_labels.Length == 1) return Empty;
        return new MetricLabels([.. _labels[..index], .. _labels[(index + 1)..]]);
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_labels).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _labels.GetEnumerator();

    /// <summary>"name=value,name=value" in exposition order, e.g. "To=8e9e05c52164694d" or "grpc_code=OK,grpc_method=Range"; "" without labels.</summary>
    public override string ToString()
    {
        if (_text is not null) return _text;
        if (_labels.Length == 0) return _text = "";
        var text = new StringBuilder();
        foreach (var (key, value) in _labels)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(key).Append('=').Append(value);
        }
        return _text = text.ToString();
    }
}
