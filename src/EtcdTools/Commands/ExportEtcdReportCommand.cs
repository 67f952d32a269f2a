using System.Collections;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using EtcdTools.Framework;
using EtcdTools.Performance;
using EtcdTools.Performance.Html;

namespace EtcdTools.Commands;

/// <summary>
/// Writes a performance report to hand on: one self-contained HTML file (executive summary with
/// the verdict and top findings, per-member tables, every finding, time-series charts as inline
/// SVG) from Measure-EtcdPerformance's output and/or Watch-EtcdPerformance's samples, live or read
/// back from files, and the samples as CSV beside it (same name, .csv).
/// </summary>
[Cmdlet(VerbsData.Export, "EtcdReport", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportEtcdReportCommand : EtcdToolsCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    private EtcdPerformanceReport? _report;

    /// <summary>The HTML file to write; the CSV of the samples goes beside it.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string Path { get; set; } = "";

    /// <summary>The HTML file, taken exactly as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Measure-EtcdPerformance's member reports and summary, Watch-EtcdPerformance's samples, in any mix and however kept.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public PSObject?[]? InputObject { get; set; }

    /// <summary>The report's heading (and the browser tab's title).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Title { get; set; }

    /// <summary>Overrides of the thresholds the charts, colours and sample findings use, by name (as Measure-EtcdPerformance's).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Thresholds { get; set; }

    /// <summary>Overwrite existing files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the HTML file's FileInfo.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            var thresholds = EtcdPerformanceThresholds.FromDictionary(HashtableParameters.Plain(Thresholds));
            _report = new EtcdPerformanceReport(new EtcdReportOptions
            {
                Title = string.IsNullOrWhiteSpace(Title) ? new EtcdReportOptions().Title : Title.Trim(),
                Thresholds = thresholds,
                Generator = "Export-EtcdReport",
            });
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(e, "InvalidArgument", ErrorCategory.InvalidArgument, null));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var item in PerformanceRecordReader.Flatten(InputObject ?? []))
        {
            object? record;
            try
            {
                record = PerformanceRecordReader.Read(item, CultureInfo.CurrentCulture);
            }
            catch (FormatException e)
            {
                WriteError(EtcdErrorRecords.Create(new FormatException($"A {Describe(item)} could not be read: {e.Message}", e), "InvalidReportInput", ErrorCategory.InvalidData, item));
                continue;
            }
            switch (record)
            {
                case EtcdMemberPerformance report: _report!.Add(report); break;
                case EtcdPerformanceSummary summary: _report!.Add(summary); break;
                case EtcdPerformanceSample sample: _report!.Add(sample); break;
                default:
                    WriteError(EtcdErrorRecords.Create(new ArgumentException(
                        $"A {Describe(item)} is not performance data: give Measure-EtcdPerformance's reports and summary or Watch-EtcdPerformance's samples " +
                        "(live, or read back with Import-Clixml, ConvertFrom-Json or Import-Csv)."), "InvalidReportInput", ErrorCategory.InvalidType, item));
                    break;
            }
        }
    }

    protected override void EndProcessing()
    {
        var report = _report!;
        if (report.IsEmpty)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException(
                "Nothing to report: pipe Measure-EtcdPerformance's output or Watch-EtcdPerformance's samples to Export-EtcdReport (or give them with -InputObject), " +
                "live or read back with Import-Clixml or Import-Csv."), "NoReportInput", ErrorCategory.InvalidArgument, null));
            return;
        }
        var path = TargetPath();
        var csv = EtcdPerformanceReport.CsvPathOf(path);
        var existing = new[] { path, csv }.Where(File.Exists).ToList();
        if (existing.Count > 0 && !Force)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(new IOException(
                $"{string.Join(" and ", existing.Select(e => $"'{e}'"))} {(existing.Count == 1 ? "exists" : "exist")}: give -Force to overwrite, or another -Path."),
                "ReportFileExists", ErrorCategory.ResourceExists, existing[0]));
            return;
        }
        var action = $"{(existing.Count > 0 ? "Overwrite" : "Write")} the performance report, and its samples in {System.IO.Path.GetFileName(csv)}";
        if (!ShouldProcess(path, action)) return;
        foreach (var note in report.Notes) WriteWarning(note);
        try
        {
            var files = report.Save(path, overwrite: Force);
            WriteVerbose($"Wrote {files.HtmlPath} and {files.CsvPath}.");
            // Through the provider, as Get-Item gives it: the file system's view and PSPath for the next cmdlet.
            if (PassThru) WriteObject(InvokeProvider.Item.Get([files.HtmlPath], force: true, literalPath: true), enumerateCollection: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            ThrowTerminatingError(EtcdErrorRecords.From(e, path));
        }
    }

    /// <summary>The file system path of -Path (a wildcard must name one existing file, as Out-File's) or -LiteralPath.</summary>
    private string TargetPath()
    {
        string resolved;
        ProviderInfo provider;
        if (ParameterSetName == PathSet && WildcardPattern.ContainsWildcardCharacters(Path))
        {
            Collection<string> matches;
            try
            {
                matches = SessionState.Path.GetResolvedProviderPathFromPSPath(Path, out provider);
            }
            catch (ItemNotFoundException)
            {
                matches = [];
                provider = SessionState.Path.CurrentLocation.Provider;
            }
            if (matches.Count != 1)
            {
                ThrowTerminatingError(EtcdErrorRecords.Create(new ArgumentException(
                    $"-Path '{Path}' has wildcards and matches {(matches.Count == 0 ? "no file" : $"{matches.Count} files")}: give one file, or -LiteralPath for a name with [ ] * ?."),
                    "InvalidArgument", ErrorCategory.InvalidArgument, Path));
            }
            resolved = matches[0];
        }
        else
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ParameterSetName == PathSet ? Path : LiteralPath, out provider, out _);
        }
        try
        {
            if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                throw new ArgumentException($"'{resolved}' is on the {provider.Name} drive: the report is a file, give a file system path.");
            EtcdPerformanceReport.CheckPath(resolved);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(EtcdErrorRecords.Create(e, "InvalidArgument", ErrorCategory.InvalidArgument, resolved));
        }
        return resolved;
    }

    private static string Describe(PSObject item) =>
        item.TypeNames.FirstOrDefault() is { } name ? $"{name} object" : "object";
}
