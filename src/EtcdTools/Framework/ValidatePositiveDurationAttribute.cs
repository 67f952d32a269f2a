using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// A timeout of zero or less would fail every call at once: refused while binding, with a message
/// that names the value. Runs after <see cref="DurationTransformationAttribute"/>, so it sees a TimeSpan.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidatePositiveDurationAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject pso ? pso.BaseObject : arguments;
        if (value is TimeSpan span && span <= TimeSpan.Zero)
            throw new ValidationMetadataException($"The duration must be more than zero, not {span}.");
    }
}
