using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// Lets every TimeSpan parameter take what operators type: a number of seconds (-CommandTimeout 3),
/// an etcdctl-style duration ('500ms', '5s', '15m', '1h30m'), or a TimeSpan.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case null:
                return null!;
            case TimeSpan span:
                return span;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                return TimeSpan.FromSeconds(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
            case double or float or decimal:
                var seconds = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
                if (seconds < 0 || double.IsNaN(seconds)) throw new ArgumentTransformationMetadataException($"A duration cannot be {value}.");
                return TimeSpan.FromSeconds(seconds);
            case string text:
                if (Duration.TryParse(text, out var parsed)) return parsed;
                throw new ArgumentTransformationMetadataException(
                    $"'{text}' is not a duration: use a number of seconds (5), an etcdctl-style duration ('500ms', '5s', '15m', '1h30m') or hh:mm:ss.");
            default:
                return value;
        }
    }
}
