using System.Management.Automation;

namespace EtcdTools.Framework;

/// <summary>
/// Base of the cmdlets that read snapshot files offline: -Path with wildcards or -LiteralPath, from
/// the pipeline by property name (Save-EtcdSnapshot's Path, Get-ChildItem's PSPath).
/// </summary>
public abstract class SnapshotFileCmdlet : EtcdToolsCmdlet
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>
    /// The existing files this record's -Path (wildcards expanded) or -LiteralPath names, as
    /// file-system paths. A path that matches nothing is a non-terminating PathNotFound error with
    /// the path as target.
    /// </summary>
    protected IReadOnlyList<string> ResolveExistingFiles()
    {
        var literal = ParameterSetName == LiteralPathSet;
        var paths = literal ? LiteralPath : Path;
        var files = new List<string>();
        foreach (var path in paths)
        {
            try
            {
                if (literal)
                {
                    var file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                    if (!File.Exists(file)) throw new ItemNotFoundException($"Cannot find the file '{file}'.");
                    files.Add(file);
                    continue;
                }
                var resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out var provider);
                if (provider.Name != "FileSystem") throw new ArgumentException($"'{path}' is not a file-system path.");
                var matched = resolved.Where(File.Exists).ToList();
                if (matched.Count == 0) throw new ItemNotFoundException($"'{path}' names no file (only directories).");
                files.AddRange(matched);
            }
            catch (Exception e) when (e is ItemNotFoundException or ArgumentException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
            {
                WriteError(new ErrorRecord(e, e is ArgumentException ? "InvalidArgument" : "PathNotFound",
                    e is ArgumentException ? ErrorCategory.InvalidArgument : ErrorCategory.ObjectNotFound, path));
            }
        }
        return files;
    }
}
