using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// A timeout of zero or less would fail every call at once: refused while binding, with a message
/// that names the value. Runs after <see cref="DurationTransformationAttribute"/>, so it sees a TimeSpan.
/// With <see cref="AllowZero"/> (a pause, a wait that may be skipped) only negative durations are refused.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidatePositiveDurationAttribute : ValidateArgumentsAttribute
{
    public bool AllowZero { get; set; }

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject pso ? pso.BaseObject : arguments;
        if (value is TimeSpan span && (span < TimeSpan.Zero || (span == TimeSpan.Zero && !AllowZero)))
            throw new ValidationMetadataException($"The duration must be {(AllowZero ? "zero or more" : "more than zero")}, not {span}.");
    }
}
