using System.Reflection;
using EtcdTools.Module.Tests.Infrastructure;

namespace EtcdTools.Module.Tests;

/// <summary>
/// EtcdTools.Format.ps1xml and EtcdTools.Types.ps1xml: well-formed, a view for every output type,
/// and every property they name exists (a misspelt property shows as an empty column, silently).
/// </summary>
public sealed class FormatAndTypesTests
{
    private static IReadOnlyList<FormatView> Views => FormatData.ReadViews(FormatData.LoadXml(RepositoryPaths.BuiltFormatPath));
    private static IReadOnlyList<ExtendedType> ExtendedTypes => FormatData.ReadTypes(FormatData.LoadXml(RepositoryPaths.BuiltTypesPath));

    [Fact]
    public void FormatFileIsWellFormed()
    {
        // Throws with the line of the problem when the XML or its root is wrong.
        _ = Views;
    }

    [Fact]
    public void TypesFileIsWellFormed()
    {
        _ = ExtendedTypes;
    }

    /// <summary>The members PowerShell accepts in PSStandardMembers; any other name fails the whole file.</summary>
    private static readonly string[] StandardMemberNames =
    [
        "DefaultDisplayProperty", "DefaultDisplayPropertySet", "DefaultKeyPropertySet", "SerializationMethod", "SerializationDepth",
        "StringSerializationSource", "PropertySerializationSet", "InheritPropertySerializationSet", "TargetTypeForDeserialization",
    ];

    [Fact]
    public void TypesFileEntriesAreWhatPowerShellLoads()
    {
        var violations = new Violations();
        foreach (var type in ExtendedTypes)
        {
            violations.AddIf(type.TypeName.Length == 0, $"line {type.Line}: <Type> without <Name>");
            violations.AddIf(!type.HasContent, $"line {type.Line}: {type.TypeName} needs <Members>, <TypeConverter> or <TypeAdapter>");
            foreach (var name in type.StandardMemberNames.Where(n => !StandardMemberNames.Contains(n, StringComparer.OrdinalIgnoreCase)))
            {
                violations.Add($"line {type.Line}: {type.TypeName}'s PSStandardMembers holds '{name}', which is not a standard member");
            }
        }

        foreach (var duplicate in ExtendedTypes.GroupBy(t => t.TypeName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            violations.Add($"{duplicate.Key} is extended by {duplicate.Count()} <Type> entries; merge them");
        }

        violations.AssertNone("Import-Module fails on a Types.ps1xml that breaks these rules.");
    }

    [Fact]
    public void EveryModuleOutputTypeHasAViewSelectedByItsFullName()
    {
        var selected = Views.SelectMany(v => v.SelectedTypeNames).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var violations = new Violations();
        foreach (var (cmdlet, type) in CmdletContractTests.ModuleOutputTypes())
        {
            violations.AddIf(!selected.Contains(type.FullName!),
                $"{cmdlet.Name} outputs {type.FullName}, which no view in EtcdTools.Format.ps1xml selects (<ViewSelectedBy><TypeName>{type.FullName}</TypeName>)");
        }

        violations.AssertNone("Every output type of the module has a view.");
    }

    [Fact]
    public void ViewsNameViewsAndTypesThatExist()
    {
        var module = ModuleUnderTest.Instance;
        var violations = new Violations();
        foreach (var view in Views)
        {
            violations.AddIf(view.SelectedTypeNames.Count == 0, $"view '{view.Name}' selects no type");
            violations.AddIf(view.Control == "(no control)", $"view '{view.Name}' has no TableControl, ListControl, WideControl or CustomControl");
            foreach (var typeName in view.SelectedTypeNames.Where(n => !n.StartsWith("Deserialized.", StringComparison.Ordinal)))
            {
                violations.AddIf(module.FindModuleType(typeName) is null, $"view '{view.Name}' selects {typeName}, which is not a type of the module");
            }
        }

        foreach (var duplicate in Views.GroupBy(v => v.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            violations.Add($"two views are named '{duplicate.Key}'");
        }

        violations.AssertNone("Views select the module's types.");
    }

    [Fact]
    public void TableHeadersMatchTheColumns()
    {
        var violations = new Violations();
        foreach (var view in Views.Where(v => v.HeaderCount is not null))
        {
            foreach (var columns in view.ColumnCounts)
            {
                // PowerShell rejects the whole format file when these differ.
                violations.AddIf(columns != view.HeaderCount, $"view '{view.Name}' has {view.HeaderCount} TableColumnHeader(s) but a row with {columns} TableColumnItem(s)");
            }
        }

        violations.AssertNone("Table views have one header per column.");
    }

    [Fact]
    public void EveryPropertyAViewNamesExistsOnItsType()
    {
        var module = ModuleUnderTest.Instance;
        var added = ExtendedTypes.ToDictionary(t => t.TypeName, t => t.AddedMembers, StringComparer.OrdinalIgnoreCase);
        var violations = new Violations();
        foreach (var view in Views)
        {
            foreach (var typeName in view.SelectedTypeNames)
            {
                var type = module.FindModuleType(typeName);
                if (type is null) continue; // reported by ViewsNameViewsAndTypesThatExist
                foreach (var reference in view.Properties)
                {
                    violations.AddIf(!HasProperty(type, reference.PropertyName, added.GetValueOrDefault(typeName)),
                        $"{reference.Where}: {typeName} has no public property '{reference.PropertyName}' (a computed column needs a <ScriptBlock>)");
                }
            }
        }

        violations.AssertNone("Views show properties that exist.");
    }

    [Fact]
    public void EveryPropertyTheTypesFileNamesExistsOnItsType()
    {
        var module = ModuleUnderTest.Instance;
        var violations = new Violations();
        foreach (var extended in ExtendedTypes)
        {
            var type = module.FindModuleType(extended.TypeName);
            if (type is null)
            {
                violations.Add($"Types.ps1xml extends {extended.TypeName}, which is not a type of the module");
                continue;
            }

            foreach (var reference in extended.Properties)
            {
                violations.AddIf(!HasProperty(type, reference.PropertyName, extended.AddedMembers),
                    $"{reference.Where}: {extended.TypeName} has no property '{reference.PropertyName}'");
            }
        }

        violations.AssertNone("DefaultDisplayPropertySet and aliases name properties that exist.");
    }

    private static bool HasProperty(Type type, string name, IReadOnlyList<string>? addedMembers) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        || (addedMembers?.Contains(name, StringComparer.OrdinalIgnoreCase) ?? false);
}
