# Starts a fresh pwsh like the one running the tests: for tests that need a process of their own
# (another module's dll loaded first, Invoke-Pester run as a user would run it).
# Under `dotnet pwsh` (pwsh as a local .NET tool) this process is dotnet running pwsh.dll, so the
# child is the same dotnet with the same pwsh.dll; an installed pwsh is started as itself.
function Invoke-ChildPwsh {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $ArgumentList)
    $process = [System.Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        & $process ([System.Reflection.Assembly]::GetEntryAssembly().Location) @ArgumentList
    }
    else {
        & $process @ArgumentList
    }
}
