using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace EtcdTools.PowerShell.Tests.Hosting;

/// <summary>
/// A runspace of real PowerShell, hosted in the test process, with out/EtcdTools imported as
/// `Import-Module` imports it. Each session is a runspace of its own: the module's session state
/// (the connection of Connect-EtcdCluster) is per session.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellSession(bool importModule = true)
    {
        var state = InitialSessionState.CreateDefault2();
        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
        if (importModule)
        {
            var import = Invoke("Import-Module $args[0] -PassThru -ErrorAction Stop -WarningVariable importWarnings; $importWarnings", RepositoryPaths.BuiltManifestPath);
            import.ThrowOnError();
            ImportWarnings = import.Output.Skip(1).Select(o => o.ToString()).ToList();
        }
    }

    /// <summary>Warnings Import-Module wrote (there should be none).</summary>
    public IReadOnlyList<string> ImportWarnings { get; } = [];

    public Runspace Runspace => _runspace;

    /// <summary>Runs <paramref name="script"/>; $args holds <paramref name="arguments"/>. Errors are collected, not thrown.</summary>
    public InvocationResult Invoke(string script, params object?[] arguments)
    {
        using var shell = Create(script, arguments);
        var output = shell.Invoke();
        return new InvocationResult(output, shell.Streams, shell.HadErrors);
    }

    /// <summary>Runs <paramref name="script"/> with variables set first (by name, without the $).</summary>
    public InvocationResult InvokeWith(string script, IDictionary<string, object?> variables)
    {
        foreach (var (name, value) in variables) _runspace.SessionStateProxy.SetVariable(name, value);
        return Invoke(script);
    }

    /// <summary>A pipeline not yet started, for tests that stop it (Ctrl+C is PowerShell.Stop()).</summary>
    public System.Management.Automation.PowerShell Create(string script, params object?[] arguments)
    {
        var shell = System.Management.Automation.PowerShell.Create();
        shell.Runspace = _runspace;
        shell.AddScript(script);
        foreach (var argument in arguments) shell.AddArgument(argument);
        return shell;
    }

    /// <summary>Writes <paramref name="count"/> keys <paramref name="prefix"/>00001... with 3-byte values, through one Set-EtcdKey pipeline.</summary>
    public void WriteKeys(string prefix, int count)
    {
        Invoke("$prefix, $count = $args; 1..$count | ForEach-Object { [pscustomobject]@{ Key = '{0}{1:d5}' -f $prefix, $_; RawValue = [byte[]](1, 2, 3) } } | Set-EtcdKey -Confirm:$false",
            prefix, count).ThrowOnError();
        Assert.Equal((long)count, Invoke("Get-EtcdKey -Prefix $args[0] -CountOnly", prefix).ThrowOnError().SingleValue());
    }

    /// <summary>Sets a variable of the session (a sandbox object from another session, say).</summary>
    public void SetVariable(string name, object? value) => _runspace.SessionStateProxy.SetVariable(name, value);

    public void Dispose() => _runspace.Dispose();
}

/// <summary>What a script wrote: output and every stream.</summary>
public sealed class InvocationResult(Collection<PSObject> output, PSDataStreams streams, bool hadErrors)
{
    public IReadOnlyList<PSObject> Output { get; } = output;
    public IReadOnlyList<ErrorRecord> Errors { get; } = streams.Error.ToList();
    public IReadOnlyList<string> Warnings { get; } = streams.Warning.Select(w => w.Message).ToList();
    public IReadOnlyList<string> Verbose { get; } = streams.Verbose.Select(v => v.Message).ToList();
    public IReadOnlyList<ProgressRecord> Progress { get; } = streams.Progress.ToList();
    public bool HadErrors { get; } = hadErrors;

    /// <summary>The output as text, one object per line, as PowerShell prints them.</summary>
    public string Text => string.Join(Environment.NewLine, Output.Select(o => o?.ToString()));

    /// <summary>The single output object's base object.</summary>
    public object? SingleValue() => Assert.Single(Output)?.BaseObject;

    /// <summary>Fails the test with every error's message and id.</summary>
    public InvocationResult ThrowOnError()
    {
        if (Errors.Count > 0)
            Assert.Fail("The script wrote errors:\n" + string.Join("\n", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return this;
    }
}

/// <summary>Reading properties of module objects without compiling against their types (the module loads them in its own context).</summary>
public static class PSObjectExtensions
{
    /// <summary>The property's value; a PSObject only when it has no other object underneath (a PSCustomObject, such as help's).</summary>
    public static object? Get(this PSObject value, string property) => value.Properties[property]?.Value switch
    {
        PSObject { BaseObject: PSCustomObject } custom => custom,
        PSObject wrapped => wrapped.BaseObject,
        var plain => plain,
    };

    public static T Get<T>(this PSObject value, string property) => (T)value.Get(property)!;

    public static IDictionary ToDictionary(this PSObject value) =>
        value.Properties.ToDictionary(p => p.Name, p => p.Value);
}
