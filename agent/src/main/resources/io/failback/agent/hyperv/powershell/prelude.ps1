# Prepended to every Failback script. Values never appear in the script text: they arrive as
# base64-encoded UTF-8 JSON in FAILBACK_PS_PARAMS, so names with quotes, `$`, spaces or
# non-ASCII characters cannot change what runs. Output is one JSON document on stdout; a
# failure is one line on stderr and exit code 1.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
trap {
  [Console]::Error.WriteLine($_.Exception.Message)
  exit 1
}
$p = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($env:FAILBACK_PS_PARAMS)) |
  ConvertFrom-Json
# Windows PowerShell 5.1 has no -AsArray/-EnumsAsStrings: callers pass @(...) and [string]s.
function Write-Json($value) {
  [Console]::Out.Write((ConvertTo-Json -InputObject $value -Depth 8 -Compress))
}
