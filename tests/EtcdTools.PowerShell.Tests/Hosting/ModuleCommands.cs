using System.Management.Automation;

namespace EtcdTools.PowerShell.Tests.Hosting;

/// <summary>The module's cmdlets as PowerShell itself describes them (Get-Command), read once.</summary>
internal static class ModuleCommands
{
    private static readonly Lazy<IReadOnlyList<CmdletInfo>> LazyCmdlets = new(() =>
    {
        using var session = new PowerShellSession();
        var commands = session.Invoke("Get-Command -Module EtcdTools").ThrowOnError().Output.Select(o => (CmdletInfo)o.BaseObject).ToList();
        // Parameter metadata is built on first use; PowerShell throws here for metadata it refuses.
        foreach (var command in commands) _ = command.ParameterSets;
        return commands;
    });

    public static IReadOnlyList<CmdletInfo> Cmdlets => LazyCmdlets.Value;

    /// <summary>Cmdlet names, for [MemberData].</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var cmdlet in Cmdlets) data.Add(cmdlet.Name);
            return data;
        }
    }

    public static CmdletInfo Get(string name) => Cmdlets.Single(c => c.Name == name);

    /// <summary>The [Cmdlet] attribute of the class behind a cmdlet.</summary>
    public static CmdletAttribute CmdletAttributeOf(CmdletInfo cmdlet) =>
        (CmdletAttribute)System.Attribute.GetCustomAttribute(cmdlet.ImplementingType, typeof(CmdletAttribute))!;

    /// <summary>The types of the module itself among a cmdlet's [OutputType]s (framework types such as bool need no view).</summary>
    public static IEnumerable<Type> ModuleOutputTypes(CmdletInfo cmdlet) =>
        cmdlet.OutputType.Select(t => t.Type).OfType<Type>().Where(t => t.Assembly.GetName().Name!.StartsWith("EtcdTools", StringComparison.Ordinal)).Distinct();
}
