using System.Reflection;
using System.Xml.Linq;
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

    [Fact]
    public void FormatFileIsWhatPowerShellsLoaderAccepts()
    {
        var violations = new Violations();
        foreach (var problem in Ps1XmlSchema.ValidateFormat(FormatData.LoadXml(RepositoryPaths.BuiltFormatPath))) violations.Add(problem);
        violations.AssertNone("PowerShell's Format.ps1xml loader reports these at Import-Module and drops the views concerned.");
    }

    [Fact]
    public void TypesFileIsWhatPowerShellsLoaderAccepts()
    {
        var violations = new Violations();
        foreach (var problem in Ps1XmlSchema.ValidateTypes(FormatData.LoadXml(RepositoryPaths.BuiltTypesPath))) violations.Add(problem);
        violations.AssertNone("PowerShell's Types.ps1xml loader reports these at Import-Module.");
    }

    [Fact]
    public void ViewScriptBlocksAreWellFormed()
    {
        var violations = new Violations();
        foreach (var (view, _, script, line) in ViewScripts())
        {
            violations.AddIf(script.Trim().Length == 0, $"view '{view}' line {line}: empty <ScriptBlock>");
            if (Ps1XmlSchema.CheckScriptDelimiters(script) is { } problem)
            {
                violations.Add($"view '{view}' line {line}: {problem} in {{ {script} }}; the column shows a parse error for every object");
            }
        }

        violations.AssertNone("A view's ScriptBlock must parse.");
    }

    [Fact]
    public void EveryPropertyAViewScriptBlockReadsExistsOnItsType()
    {
        var module = ModuleUnderTest.Instance;
        var added = ExtendedTypes.ToDictionary(t => t.TypeName, t => t.AddedMembers, StringComparer.OrdinalIgnoreCase);
        var violations = new Violations();
        var read = 0;
        foreach (var (view, typeNames, script, line) in ViewScripts())
        {
            foreach (var typeName in typeNames)
            {
                if (module.FindModuleType(typeName) is not { } type) continue; // reported by ViewsNameViewsAndTypesThatExist
                foreach (var property in Ps1XmlSchema.PropertiesReadByScript(script))
                {
                    read++;
                    violations.AddIf(!HasProperty(type, property, added.GetValueOrDefault(typeName)),
                        $"view '{view}' line {line}: the ScriptBlock reads $_.{property}, which {typeName} does not have (the column would be silently empty)");
                }
            }
        }

        Assert.True(read > 0, "no $_.Property found in the views' ScriptBlocks: the reader is broken");
        violations.AssertNone("ScriptBlocks in views read properties that exist.");
    }

    /// <summary>Every &lt;ScriptBlock&gt; of every view, with the types the view selects.</summary>
    private static IEnumerable<(string View, IReadOnlyList<string> TypeNames, string Script, int Line)> ViewScripts()
    {
        var document = FormatData.LoadXml(RepositoryPaths.BuiltFormatPath);
        foreach (var view in document.Root!.Elements("ViewDefinitions").Elements("View"))
        {
            var name = (string?)view.Element("Name") ?? "(unnamed view)";
            var typeNames = view.Elements("ViewSelectedBy").Elements("TypeName").Select(t => t.Value.Trim()).ToList();
            foreach (var script in view.Descendants("ScriptBlock"))
            {
                yield return (name, typeNames, script.Value, ((System.Xml.IXmlLineInfo)script).LineNumber);
            }
        }
    }

    public static TheoryData<string, string> MalformedFormatFiles => new()
    {
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><TableControl><TableHeaders><TableColumnHeader /></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName>A</PropertyName></TableColumnItem><TableColumnItem><PropertyName>B</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View>", "IncorrectHeaderItemCount" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><TableControl><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><Property>A</Property></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View>", "<Property> is not allowed in <TableColumnItem>" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><TableControl><TableHeaders><TableColumnHeader><Alignment>right-ish</Alignment></TableColumnHeader></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName>A</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View>", "InvalidAlignmentValue" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><ListControl><ListEntries><ListEntry><ListItems><ListItem><PropertyName>A</PropertyName><ScriptBlock>$_.A</ScriptBlock></ListItem></ListItems></ListEntry></ListEntries></ListControl></View>", "mutually exclusive" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy></View>", "needs exactly one of TableControl" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><ListControl><ListEntries><ListEntry><ListItems><ListItem><PropertyName>A</PropertyName></ListItem></ListItems></ListEntry></ListEntries></ListControl><Name>W</Name></View>", "DuplicatedNode" },
        { "<View Name=\"V\"><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><ListControl><ListEntries><ListEntry><ListItems><ListItem><PropertyName>A</PropertyName></ListItem></ListItems></ListEntry></ListEntries></ListControl></View>", "AttributesNotAllowed" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><TableControl><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName></PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View>", "EmptyNode" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><TableControl><TableHeaders /></TableControl></View>", "no <TableRowEntries>" },
        { "<View><Name>V</Name><ViewSelectedBy><TypeName>T</TypeName></ViewSelectedBy><TableControl><TableHeaders><TableColumnHeader /></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><ScriptBlock>$_.A * 2</ScriptBlock></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View>", "its header has no <Label>" },
    };

    [Theory]
    [MemberData(nameof(MalformedFormatFiles))]
    public void TheFormatCheckCatchesWhatPowerShellRejects(string view, string expected)
    {
        var document = System.Xml.Linq.XDocument.Parse($"<Configuration><ViewDefinitions>{view}</ViewDefinitions></Configuration>", System.Xml.Linq.LoadOptions.SetLineInfo);
        Assert.Contains(Ps1XmlSchema.ValidateFormat(document), p => p.Contains(expected, StringComparison.Ordinal));
    }

    public static TheoryData<string, string> MalformedTypesFiles => new()
    {
        { "<Type><Name>T</Name><Members><MemberSet><Name>PSStandardMembers</Name><Members><NoteProperty><Name>DefaultDisplayPropertySet</Name><Value>A</Value></NoteProperty></Members></MemberSet></Members></Type>", "PowerShell requires a <PropertySet>" },
        { "<Type><Name>T</Name><Members><MemberSet><Name>PSStandardMembers</Name><Members><PropertySet><Name>DefaultDisplayPropertySet</Name><ReferencedProperties /></PropertySet></Members></MemberSet></Members></Type>", "no <Name>" },
        { "<Type><Name>T</Name><Members><PropertySet><Name>Short</Name><ReferencedProperties><Name>A</Name></ReferencedProperties></PropertySet><PropertySet><Name>Short</Name><ReferencedProperties><Name>B</Name></ReferencedProperties></PropertySet></Members></Type>", "member 'Short' is defined 2 times" },
        { "<Type><Name>T</Name><Members><PropertySet><Name>S</Name><Properties><Name>A</Name></Properties></PropertySet></Members></Type>", "<Properties> is not allowed in <PropertySet>" },
    };

    [Theory]
    [MemberData(nameof(MalformedTypesFiles))]
    public void TheTypesCheckCatchesWhatPowerShellRejects(string type, string expected)
    {
        var document = System.Xml.Linq.XDocument.Parse($"<Types>{type}</Types>", System.Xml.Linq.LoadOptions.SetLineInfo);
        Assert.Contains(Ps1XmlSchema.ValidateTypes(document), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("'{0:N0} ms' -f $_.TookMs", null)]
    [InlineData("if ($_.IsLeader) { 'leader' } else { \"$($_.Name) (it's a follower)\" }", null)]
    [InlineData("$v = $_.Value -replace '\\r?\\n|\\t', ' '; 'it''s' + [char]0x2026 # a comment with a { brace", null)]
    [InlineData("if ($_.IsLeader) { 'leader' ", "'{' at")]
    [InlineData("'{0:N0} ms -f $_.TookMs", "single-quoted string is not closed")]
    [InlineData("($_.A]", "closes the '('")]
    [InlineData("\"$($_.A\"", "not closed")]
    public void TheScriptCheckCatchesUnbalancedScripts(string script, string? expected)
    {
        var problem = Ps1XmlSchema.CheckScriptDelimiters(script);
        if (expected is null) Assert.Null(problem);
        else Assert.Contains(expected, problem ?? "(no problem found)", StringComparison.Ordinal);
    }

    private static bool HasProperty(Type type, string name, IReadOnlyList<string>? addedMembers) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        || (addedMembers?.Contains(name, StringComparer.OrdinalIgnoreCase) ?? false);
}
