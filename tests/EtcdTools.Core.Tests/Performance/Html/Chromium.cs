using System.Diagnostics;

namespace EtcdTools.Core.Tests.Performance.Html;

/// <summary>
/// Debian's headless Chromium, one process per call with a fresh profile and every background
/// service off: a screenshot of a page, or its DOM after parsing.
/// </summary>
internal static class Chromium
{
    private const string Executable = "/usr/bin/chromium";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>A PNG of the page's first <paramref name="height"/> pixels at 1280 wide.</summary>
    public static async Task<byte[]> ScreenshotAsync(string htmlPath, int height = 2000)
    {
        var png = Path.Combine(Path.GetDirectoryName(htmlPath)!, Path.GetFileNameWithoutExtension(htmlPath) + ".png");
        await RunAsync([$"--screenshot={png}", $"--window-size=1280,{height}", "--hide-scrollbars"], htmlPath);
        Assert.True(File.Exists(png), $"Chromium wrote no screenshot of {htmlPath}");
        return await File.ReadAllBytesAsync(png);
    }

    /// <summary>The page's DOM as Chromium built it.</summary>
    public static Task<string> DumpDomAsync(string htmlPath) => RunAsync(["--dump-dom"], htmlPath);

    private static async Task<string> RunAsync(IEnumerable<string> arguments, string htmlPath)
    {
        var profile = Directory.CreateTempSubdirectory("etcdtools-chromium-");
        try
        {
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", $"--user-data-dir={profile.FullName}", .. arguments, new Uri(htmlPath).AbsoluteUri])
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"Chromium did not finish with {htmlPath} in {Timeout.TotalSeconds} s.");
            }
            Assert.True(process.ExitCode == 0, $"Chromium exited with {process.ExitCode}: {await stderr}");
            return await stdout;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
