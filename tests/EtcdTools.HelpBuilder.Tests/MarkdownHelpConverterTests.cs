using System.Reflection;
using System.Xml.Linq;

namespace EtcdTools.HelpBuilder.Tests;

/// <summary>The markdown → MAML conversion of tools/EtcdTools.HelpBuilder, on a sample page.</summary>
public sealed class MarkdownHelpConverterTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace Msh = "http://msh";

    private const string SamplePath = "Get-EtcdSample.md";

    private static string SamplePage => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", SamplePath));

    /// <summary>The module's own help pages, en-US/ at the repository root (fixed at build time).</summary>
    private static string SourceHelpDirectory => Path.Combine(
        typeof(MarkdownHelpConverterTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, "en-US");

    private static MarkdownHelpConverter Converter => new(HelpBuilderOptions.ForModule("EtcdTools"));

    private static XElement SampleCommand()
    {
        var result = Converter.ConvertPages([(SamplePath, SamplePage)]);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        // Round-trip through the serializer: what Get-Help reads is the file, not the object.
        var document = XDocument.Parse(MamlWriter.Serialize(result.Maml!));
        return Assert.Single(document.Root!.Elements(Command + "command"));
    }

    private static List<string> Paragraphs(XElement? element) =>
        element?.Elements(Maml + "para").Select(p => p.Value).ToList() ?? [];

    [Fact]
    public void SamplePageIsWellFormedAndComplete()
    {
        var result = Converter.ParsePage(SamplePage, SamplePath);
        Assert.Empty(result.Diagnostics);
        Assert.NotNull(result.Page);
    }

    [Fact]
    public void DocumentIsMamlWithTheStandardNamespaces()
    {
        var result = Converter.ConvertPages([(SamplePath, SamplePage)]);
        var text = MamlWriter.Serialize(result.Maml!);
        var root = XDocument.Parse(text).Root!;

        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", text, StringComparison.Ordinal);
        Assert.Equal(Msh + "helpItems", root.Name);
        Assert.Equal("maml", (string?)root.Attribute("schema"));
        Assert.Equal(Maml.NamespaceName, root.GetNamespaceOfPrefix("maml")?.NamespaceName);
        Assert.Equal(Command.NamespaceName, root.GetNamespaceOfPrefix("command")?.NamespaceName);
        Assert.Equal(Dev.NamespaceName, root.GetNamespaceOfPrefix("dev")?.NamespaceName);
    }

    [Fact]
    public void DetailsCarryNameVerbNounAndSynopsis()
    {
        var details = SampleCommand().Element(Command + "details")!;
        Assert.Equal("Get-EtcdSample", details.Element(Command + "name")!.Value);
        Assert.Equal("Get", details.Element(Command + "verb")!.Value);
        Assert.Equal("EtcdSample", details.Element(Command + "noun")!.Value);
        Assert.Equal(["Gets sample objects from an etcd cluster."], Paragraphs(details.Element(Maml + "description")));
    }

    [Fact]
    public void DescriptionJoinsWrappedLinesAndKeepsListItemsApart()
    {
        Assert.Equal(
            [
                "The Get-EtcdSample cmdlet gets samples from each member of the cluster, one object per member.",
                "It reports every member, including the ones that do not answer:",
                "- a member that answers gets its values",
                "- a member that does not gets an error record",
            ],
            Paragraphs(SampleCommand().Element(Maml + "description")));
    }

    [Fact]
    public void SyntaxHasOneItemPerParameterSetInTheOrderOfItsLine()
    {
        var items = SampleCommand().Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("Get-EtcdSample", i.Element(Maml + "name")!.Value));

        string[] Names(XElement item) => item.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value).ToArray();
        Assert.Equal(["Endpoint", "Kind", "Force"], Names(items[0]));
        Assert.Equal(["MemberId", "Kind"], Names(items[1]));

        var endpoint = items[0].Elements(Command + "parameter").First();
        Assert.Equal("0", (string?)endpoint.Attribute("position"));
        Assert.Equal("Endpoints, Url", (string?)endpoint.Attribute("aliases"));
        Assert.Equal("True (ByPropertyName)", (string?)endpoint.Attribute("pipelineInput"));
        Assert.Equal("true", (string?)endpoint.Attribute("variableLength"));
        Assert.Equal("String[]", endpoint.Element(Command + "parameterValue")!.Value);

        // Get-Help shows "[-Force]", not "[-Force <SwitchParameter>]".
        var force = items[0].Elements(Command + "parameter").Last();
        Assert.Null(force.Element(Command + "parameterValue"));

        var memberId = items[1].Elements(Command + "parameter").First();
        Assert.Equal("true", (string?)memberId.Attribute("required"));
        Assert.Equal("named", (string?)memberId.Attribute("position"));
    }

    [Fact]
    public void ParametersListEachParameterOnceWithItsDetails()
    {
        var parameters = SampleCommand().Element(Command + "parameters")!.Elements(Command + "parameter").ToList();
        Assert.Equal(["Endpoint", "Force", "Kind", "MemberId"], parameters.Select(p => p.Element(Maml + "name")!.Value));

        var kind = parameters[2];
        Assert.Equal("true", (string?)kind.Attribute("globbing"));
        Assert.Equal("false", (string?)kind.Attribute("required"));
        Assert.Equal(["The kind of sample."], Paragraphs(kind.Element(Maml + "description")));
        Assert.Equal(["Leader", "Follower"], kind.Element(Command + "parameterValueGroup")!.Elements(Command + "parameterValue").Select(v => v.Value));
        Assert.Equal("String", kind.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("None", kind.Element(Dev + "defaultValue")!.Value);

        var force = parameters[1];
        Assert.Equal("SwitchParameter", force.Element(Command + "parameterValue")!.Value);
        Assert.Equal("false", (string?)force.Element(Command + "parameterValue")!.Attribute("required"));
        Assert.Equal("False", force.Element(Dev + "defaultValue")!.Value);
    }

    [Fact]
    public void ExamplesHaveTitleCodeAndRemarks()
    {
        var examples = SampleCommand().Element(Command + "examples")!.Elements(Command + "example").ToList();
        Assert.Equal(2, examples.Count);

        Assert.Equal("-------------------------- Example 1: Get the samples of the session's cluster --------------------------", examples[0].Element(Maml + "title")!.Value);
        Assert.Equal("Get-EtcdSample", examples[0].Element(Dev + "code")!.Value);
        Assert.Equal(["Gets one sample per member."], Paragraphs(examples[0].Element(Dev + "remarks")));

        Assert.Equal("Get-EtcdMember | Where-Object IsLeader | Get-EtcdSample", examples[1].Element(Dev + "code")!.Value);
        var remarks = Paragraphs(examples[1].Element(Dev + "remarks"));
        Assert.Equal(2, remarks.Count);
        Assert.Contains("https://10.0.0.1:2379  Leader", remarks[0], StringComparison.Ordinal);
        Assert.Equal("Pipes the leader to Get-EtcdSample.", remarks[1]);
    }

    [Fact]
    public void InputsOutputsNotesAndLinksAreCarriedOver()
    {
        var command = SampleCommand();

        var input = command.Element(Command + "inputTypes")!.Element(Command + "inputType")!;
        Assert.Equal("EtcdTools.EtcdMember", input.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Single(Paragraphs(input.Element(Maml + "description")));

        var output = command.Element(Command + "returnValues")!.Element(Command + "returnValue")!;
        Assert.Equal("EtcdTools.EtcdSample", output.Element(Dev + "type")!.Element(Maml + "name")!.Value);

        var notes = command.Element(Maml + "alertSet")!.Element(Maml + "alert")!;
        Assert.StartsWith("Samples are read", Paragraphs(notes).Single(), StringComparison.Ordinal);

        var links = command.Element(Maml + "relatedLinks")!.Elements(Maml + "navigationLink").ToList();
        Assert.Equal(["Online Version:", "Get-EtcdMember", "etcd maintenance"], links.Select(l => l.Element(Maml + "linkText")!.Value));
        Assert.Equal("https://github.com/etcdtools/EtcdTools", links[0].Element(Maml + "uri")!.Value);
        Assert.Equal("https://etcd.io/docs/latest/op-guide/maintenance/", links[2].Element(Maml + "uri")!.Value);
    }

    [Fact]
    public void LinksToOtherPagesKeepTheirTextButNoUri()
    {
        // Get-Help -Online opens the first non-empty URI and throws InvalidURI on a relative one
        // such as "Get-EtcdMember.md", so pages of this help are linked by name only.
        var links = SampleCommand().Element(Maml + "relatedLinks")!.Elements(Maml + "navigationLink").ToList();
        var member = links.Single(l => l.Element(Maml + "linkText")!.Value == "Get-EtcdMember");
        Assert.Equal("", member.Element(Maml + "uri")!.Value);
    }

    [Fact]
    public void AnEmptyOnlineVersionIsAnError()
    {
        // Without it Get-Help -Online takes the first related link, and a page that links only to
        // other pages of this help (by name) would leave it nothing to open.
        var page = SamplePage.Replace("online version: https://github.com/etcdtools/EtcdTools", "online version:", StringComparison.Ordinal);
        Assert.NotEqual(SamplePage, page);
        var result = Converter.ConvertPages([(SamplePath, page)]);
        Assert.Contains(result.Diagnostics, d => d.IsError && d.Code == HelpDiagnosticCodes.FrontMatter && d.Message.Contains("online version", StringComparison.Ordinal));
    }

    [Fact]
    public void ARelativeOnlineVersionIsAnError()
    {
        var page = SamplePage.Replace("online version: https://github.com/etcdtools/EtcdTools", "online version: Get-EtcdSample.md", StringComparison.Ordinal);
        var result = Converter.ConvertPages([(SamplePath, page)]);
        Assert.True(result.HasErrors);
        Assert.Contains(result.Diagnostics, d => d.IsError && d.Code == HelpDiagnosticCodes.FrontMatter && d.Message.Contains("online version", StringComparison.Ordinal));
    }

    [Fact]
    public void AParameterCanDifferPerParameterSet()
    {
        // PlatyPS writes one yaml block per set when a parameter is mandatory in some sets only.
        var page = SamplePage.Replace("""
            ### -Kind
            The kind of sample.

            ```yaml
            Type: String
            Parameter Sets: (All)
            Aliases:
            Accepted values: Leader, Follower

            Required: False
            """, """
            ### -Kind
            The kind of sample.

            ```yaml
            Type: String
            Parameter Sets: ById
            Aliases:

            Required: True
            Position: Named
            Default value: None
            Accept pipeline input: False
            Accept wildcard characters: False
            ```

            ```yaml
            Type: String
            Parameter Sets: ByEndpoint
            Aliases:
            Accepted values: Leader, Follower

            Required: False
            """, StringComparison.Ordinal);
        Assert.NotEqual(SamplePage, page);

        var result = Converter.ConvertPages([(SamplePath, page)]);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var items = result.Maml!.Root!.Descendants(Command + "syntaxItem").ToList();
        XElement Kind(XElement item) => item.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Kind");
        Assert.Equal("false", (string?)Kind(items[0]).Attribute("required"));
        Assert.Equal("true", (string?)Kind(items[1]).Attribute("required"));
    }

    public static TheoryData<string, string, string> MalformedPages => new()
    {
        // description, text to replace, replacement → expected code
        { "no front matter", "---\nexternal help file: EtcdTools.dll-Help.xml\nModule Name: EtcdTools\nonline version: https://github.com/etcdtools/EtcdTools\nschema: 2.0.0\n---\n", HelpDiagnosticCodes.FrontMatter },
        { "wrong help file", "external help file: EtcdTools.dll-Help.xml", HelpDiagnosticCodes.FrontMatter },
        { "title is not the file name", "# Get-EtcdSample", HelpDiagnosticCodes.Title },
        { "missing SYNOPSIS", "## SYNOPSIS\nGets sample objects from an etcd cluster.\n", HelpDiagnosticCodes.Sections },
        { "unknown section", "## NOTES", HelpDiagnosticCodes.Sections },
        { "empty DESCRIPTION", "The Get-EtcdSample cmdlet gets samples from each member\nof the cluster, one object per member.\n\nIt reports every member, including the ones that do not answer:\n- a member that answers gets its values\n- a member that does not gets an error record\n", HelpDiagnosticCodes.EmptyText },
        { "syntax of another command", "Get-EtcdSample -MemberId", HelpDiagnosticCodes.Syntax },
        { "example without code", "```powershell\nGet-EtcdSample\n```\n", HelpDiagnosticCodes.Example },
        { "example without explanation", "Gets one sample per member.\n", HelpDiagnosticCodes.Example },
        { "yaml key missing", "Accept wildcard characters: True\n", HelpDiagnosticCodes.Parameter },
        { "unknown yaml key", "Aliases: Id\n", HelpDiagnosticCodes.Parameter },
        { "bad position", "Position: 0", HelpDiagnosticCodes.Parameter },
        { "bad pipeline input", "Accept pipeline input: True (ByPropertyName)\nAccept wildcard characters: False\n```\n\n### -Force", HelpDiagnosticCodes.Parameter },
        { "parameter without yaml", "```yaml\nType: UInt64", HelpDiagnosticCodes.Parameter },
        { "syntax shows an undocumented parameter", "[-Force] [<CommonParameters>]", HelpDiagnosticCodes.SyntaxParameterMismatch },
        { "parameter names an unknown set", "Parameter Sets: ById", HelpDiagnosticCodes.SyntaxParameterMismatch },
        { "unclosed code block", "[etcd maintenance](https://etcd.io/docs/latest/op-guide/maintenance/)", HelpDiagnosticCodes.CodeFence },
    };

    private static readonly Dictionary<string, string> Replacements = new()
    {
        ["no front matter"] = "",
        ["wrong help file"] = "external help file: Other.dll-Help.xml",
        ["title is not the file name"] = "# Get-EtcdOther",
        ["missing SYNOPSIS"] = "",
        ["unknown section"] = "## REMARKS",
        ["empty DESCRIPTION"] = "",
        ["syntax of another command"] = "Get-EtcdOther -MemberId",
        ["example without code"] = "",
        ["example without explanation"] = "",
        ["yaml key missing"] = "",
        ["unknown yaml key"] = "Aliases: Id\nColour: blue\n",
        ["bad position"] = "Position: first",
        ["bad pipeline input"] = "Accept pipeline input: Yes\nAccept wildcard characters: False\n```\n\n### -Force",
        ["parameter without yaml"] = "```text\nType: UInt64",
        ["syntax shows an undocumented parameter"] = "[-Force] [-Colour <String>] [<CommonParameters>]",
        ["parameter names an unknown set"] = "Parameter Sets: ByName",
        ["unclosed code block"] = "[etcd maintenance](https://etcd.io/docs/latest/op-guide/maintenance/)\n\n```powershell\nGet-EtcdSample\n",
    };

    [Theory]
    [MemberData(nameof(MalformedPages))]
    public void AMalformedPageIsAnError(string problem, string original, string expectedCode)
    {
        var sample = SamplePage.Replace("\r\n", "\n");
        Assert.Contains(original, sample, StringComparison.Ordinal);
        var page = ReplaceFirst(sample, original, Replacements[problem]);

        var result = Converter.ConvertPages([(SamplePath, page)]);

        Assert.True(result.HasErrors, $"{problem}: no error reported");
        Assert.Null(result.Maml);
        Assert.Contains(result.Diagnostics, d => d.IsError && d.Code == expectedCode);
    }

    [Fact]
    public void FewerThanTwoExamplesIsAWarningOnly()
    {
        var sample = SamplePage.Replace("\r\n", "\n");
        var start = sample.IndexOf("### Example 2", StringComparison.Ordinal);
        var end = sample.IndexOf("## PARAMETERS", StringComparison.Ordinal);
        var page = sample.Remove(start, end - start);

        var result = Converter.ConvertPages([(SamplePath, page)]);

        Assert.False(result.HasErrors);
        Assert.NotNull(result.Maml);
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(HelpSeverity.Warning, warning.Severity);
        Assert.Equal(HelpDiagnosticCodes.FewExamples, warning.Code);
    }

    [Fact]
    public void DiagnosticsUseMsBuildsFormat()
    {
        var page = SamplePage.Replace("Position: 0", "Position: first", StringComparison.Ordinal);
        var error = Converter.ParsePage(page, "/help/Get-EtcdSample.md").Diagnostics.First(d => d.IsError);
        Assert.Matches(@"^/help/Get-EtcdSample\.md\(\d+\): error HB1007: ", error.ToString());
    }

    [Fact]
    public void BuildWritesTheHelpFileAndSkipsAboutTopics()
    {
        using var folders = new TemporaryFolders();
        File.WriteAllText(Path.Combine(folders.Pages, SamplePath), SamplePage);
        File.WriteAllText(Path.Combine(folders.Pages, "about_EtcdTools.md"), "not a cmdlet page");

        var exitCode = Program.Run([folders.Pages, folders.Output], TextWriter.Null);

        Assert.Equal(Program.Success, exitCode);
        var document = XDocument.Load(Path.Combine(folders.Output, "EtcdTools.dll-Help.xml"));
        Assert.Single(document.Root!.Elements(Command + "command"));
    }

    [Fact]
    public void BuildFailsOnAMalformedPageAndLeavesNoHelpFile()
    {
        using var folders = new TemporaryFolders();
        File.WriteAllText(Path.Combine(folders.Pages, SamplePath), SamplePage.Replace("## SYNOPSIS", "## SUMMARY", StringComparison.Ordinal));
        var helpFile = Path.Combine(folders.Output, "EtcdTools.dll-Help.xml");
        File.WriteAllText(helpFile, "<helpItems/>"); // from an earlier, good build
        var output = new StringWriter();

        var exitCode = Program.Run([folders.Pages, folders.Output], output);

        Assert.Equal(Program.PagesHaveErrors, exitCode);
        Assert.False(File.Exists(helpFile), "a failed build must not leave the previous help file looking current");
        Assert.Contains(": error HB1003: ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderWithoutPagesGivesAnEmptyValidHelpFile()
    {
        using var folders = new TemporaryFolders();

        var exitCode = Program.Run([folders.Pages, folders.Output], TextWriter.Null);

        Assert.Equal(Program.Success, exitCode);
        var root = XDocument.Load(Path.Combine(folders.Output, "EtcdTools.dll-Help.xml")).Root!;
        Assert.Equal(Msh + "helpItems", root.Name);
        Assert.Equal("maml", (string?)root.Attribute("schema"));
        Assert.Empty(root.Elements());
    }

    [Fact]
    public void TheRepositorysPagesConvertWithoutErrors()
    {
        var result = Converter.ConvertDirectory(SourceHelpDirectory);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics.Where(d => d.IsError)));
    }

    private static string ReplaceFirst(string text, string original, string replacement)
    {
        var index = text.IndexOf(original, StringComparison.Ordinal);
        return text[..index] + replacement + text[(index + original.Length)..];
    }

    private sealed class TemporaryFolders : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "EtcdTools.HelpBuilder.Tests", Guid.NewGuid().ToString("N"));

        public TemporaryFolders()
        {
            Directory.CreateDirectory(Pages);
            Directory.CreateDirectory(Output);
        }

        public string Pages => Path.Combine(_root, "en-US");
        public string Output => Path.Combine(_root, "out");

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }
}
