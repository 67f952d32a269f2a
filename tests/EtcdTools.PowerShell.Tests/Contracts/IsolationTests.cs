using System.Runtime.Loader;
using System.Text.RegularExpressions;
using EtcdTools.PowerShell.Tests.Hosting;

namespace EtcdTools.PowerShell.Tests.Contracts;

/// <summary>
/// The module's private dependencies load in its own context, never clashing with another copy in
/// the default context. This test process is such a case: it references Google.Protobuf 3.21.9,
/// older than the module's, which the default context loads from the test's own folder.
/// </summary>
[Collection(SandboxGroup.Name)]
public sealed partial class IsolationTests(SandboxFixture fixture)
{
    [Fact]
    public void TheModuleUsesItsOwnGoogleProtobufBesideAnotherVersionInTheDefaultContext()
    {
        // The other copy first, as when another module that ships Google.Protobuf was imported earlier.
        var other = typeof(Google.Protobuf.ByteString).Assembly;
        Assert.Equal("3.21.9.0", other.GetName().Version!.ToString());
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(other));

        using var session = fixture.NewSession();
        var key = $"/isolation/{Guid.NewGuid():N}";
        // Real protobuf work through every path: member list, status, a write, a read, a watch, completion.
        var result = session.Invoke("""
            Set-EtcdKey -Key $args[0] -Value ours -Confirm:$false
            (Get-EtcdKey -Key $args[0]).Value
            (Get-EtcdMember).Count
            (TabExpansion2 -inputScript 'Get-EtcdMember -MemberId ' -cursorColumn 25).CompletionMatches.Count
            """, key).ThrowOnError();
        Assert.Equal(["ours", "3", "3"], result.Output.Select(o => o.ToString()));

        var copies = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "Google.Protobuf")
            .Select(a => $"{AssemblyLoadContext.GetLoadContext(a)!.Name}={a.GetName().Version}").Order().ToList();
        Assert.Contains("Default=3.21.9.0", copies);
        Assert.Contains(copies, c => c.StartsWith("EtcdTools=3.", StringComparison.Ordinal) && c != "EtcdTools=3.21.9.0");
        var core = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "EtcdTools.Core");
        Assert.Equal("EtcdTools", AssemblyLoadContext.GetLoadContext(core)!.Name);
    }

    [Fact]
    public void TheModuleAssemblyReferencesNoDependencyButEtcdToolsCore()
    {
        // Anything else EtcdTools.dll referenced would be resolved in the default context, where
        // another module's copy may be (the cause of a MissingMethodException once).
        var module = ModuleCommands.Cmdlets[0].ImplementingType.Assembly;
        var references = module.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var allowed = new Regex(@"^(System(\..+)?|Microsoft\.Win32\.Primitives|netstandard|EtcdTools\.Core)$");
        Assert.All(references, r => Assert.Matches(allowed, r));
        Assert.Contains("EtcdTools.Core", references);
    }

    [Fact]
    public void ExportedTypesOfTheModuleNeedNothingOfTheDependenciesToLoad()
    {
        // PowerShell reads the exported types before the module's initializer installs the resolver.
        var module = ModuleCommands.Cmdlets[0].ImplementingType.Assembly;
        foreach (var type in module.GetExportedTypes())
        {
            for (var t = type.BaseType; t is not null; t = t.BaseType)
                Assert.NotEqual("EtcdTools.Core", t.Assembly.GetName().Name);
            Assert.DoesNotContain(type.GetInterfaces(), i => i.Assembly.GetName().Name == "EtcdTools.Core");
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
                Assert.False(field.FieldType.IsValueType && field.FieldType.Assembly.GetName().Name == "EtcdTools.Core", $"{type}.{field.Name} is a value type of EtcdTools.Core");
        }
    }

    [Fact]
    public void ScriptsAndDocsDoNotNameDependencyTypesAsTypeLiterals()
    {
        // pwsh resolves [Type.Name] in the default context; the module's types live in its own, so
        // [EtcdTools.Keys.EtcdKeyValue] is "Unable to find type" there: test $x.PSTypeNames instead.
        using var session = new PowerShellSession();
        var files = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "tests", "Pester"), "*.ps1", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src", "EtcdTools", "Acceptance"), "*.ps1"))
            .Concat(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "en-US")))
            .Append(RepositoryPaths.ReadmePath);
        foreach (var file in files)
        {
            foreach (Match match in TypeLiteral().Matches(File.ReadAllText(file)))
            {
                var resolves = session.Invoke("[bool]($args[0] -as [type])", match.Groups["name"].Value).ThrowOnError().SingleValue();
                Assert.True((bool)resolves!, $"{Path.GetRelativePath(RepositoryPaths.Root, file)}: [{match.Groups["name"].Value}] cannot be resolved in pwsh");
            }
        }
    }

    [GeneratedRegex(@"\[(?<name>EtcdTools(?:\.\w+)+)\]")]
    private static partial Regex TypeLiteral();
}
