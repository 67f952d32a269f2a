namespace EtcdTools.HelpBuilder;

/// <summary>What the pages must name in their front matter, and how many examples a page should have.</summary>
public sealed record HelpBuilderOptions(string ModuleName, string HelpFileName, int MinimumExamples = 2)
{
    public static HelpBuilderOptions ForModule(string moduleName) =>
        new(moduleName, moduleName + ".dll-Help.xml");
}
