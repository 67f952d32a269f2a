using System.Globalization;
using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// Lets a string parameter take text (and numbers or booleans as their text) but never an
/// arbitrary object turned into text by its ToString(). Without it, an object piped to
/// Set-EtcdKey that lacks a usable RawValue (a redacted secret, a keys-only listing) would bind
/// to -Value by coercion and write the object's name as the value; an object piped to
/// Remove-EtcdKey would delete the key its ToString() happens to spell.
/// </summary>
/// <remarks>
/// The refusal carries a <see cref="PSInvalidCastException"/>, which PowerShell's pipeline binder
/// treats as "this parameter does not take this object" and moves on to binding by property name.
/// </remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TextArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => null!,
            string text => text,
            char or bool or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal =>
                Convert.ToString(value, CultureInfo.InvariantCulture)!,
            _ => throw new ArgumentTransformationMetadataException(
                $"This parameter takes text, not a {value.GetType().FullName}.",
                new PSInvalidCastException($"Cannot use a {value.GetType().FullName} as text here.")),
        };
    }
}
