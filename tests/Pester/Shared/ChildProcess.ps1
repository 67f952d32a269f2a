# Starts a fresh pwsh like the one running the tests: for tests that need a process of their own
# (another module's dll loaded first, Invoke-Pester run as a user would run it, strace, namespaces,
# a terminal). Get-PwshCommand gives its command line as an array, for tools that start it.
# Under `dotnet pwsh` (pwsh as a local .NET tool) this process is dotnet running pwsh.dll, so the
# child is the same dotnet with the same pwsh.dll; an installed pwsh is started as itself.
function Get-PwshCommand {
    $process = [System.Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, [System.Reflection.Assembly]::GetEntryAssembly().Location) } else { @($process) }
}

# The same as a command line for a shell (script -c), each part single-quoted.
function Get-PwshCommandLine {
    (Get-PwshCommand | ForEach-Object { "'$_'" }) -join ' '
}

function Invoke-ChildPwsh {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $ArgumentList)
    $command = @(Get-PwshCommand)
    & $command[0] @($command | Select-Object -Skip 1) @ArgumentList
}
