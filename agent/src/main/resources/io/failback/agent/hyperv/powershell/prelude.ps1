# Prepended to every Failback script. Values never appear in the script text: they arrive as
# base64-encoded UTF-8 JSON in FAILBACK_PS_PARAMS, so names with quotes, `$`, spaces or
# non-ASCII characters cannot change what runs. Output is one JSON document on stdout; a
# failure is one line on stderr and exit code 1.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
# Exit 2 instead of 1 once a script set $made: a failure then may have left something behind.
$made = $false
trap {
  [Console]::Error.WriteLine($_.Exception.Message)
  if ($made) { exit 2 }
  exit 1
}
# PowerShell 6 and later turn JSON text that looks like a date into a [datetime], so a VM named
# '2026-01-01' would get another name: 7.5 and later keep the text with -DateKind String.
$jsonOptions = @{}
if ((Get-Command ConvertFrom-Json).Parameters.ContainsKey('DateKind')) { $jsonOptions.DateKind = 'String' }
$p = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($env:FAILBACK_PS_PARAMS)) |
  ConvertFrom-Json @jsonOptions
# Windows PowerShell 5.1 has no -AsArray/-EnumsAsStrings: callers pass @(...) and [string]s.
function Write-Json($value) {
  [Console]::Out.Write((ConvertTo-Json -InputObject $value -Depth 8 -Compress))
}
# A WMI method answers 0 when done, or 4096 with a job that runs on: wait for that job and take
# its outcome; anything else is a failure named after $what.
function Wait-Method($answer, $what) {
  if ($answer.ReturnValue -eq 4096) {
    $job = Get-CimInstance -InputObject $answer.Job
    while ($job.JobState -in 2, 3, 4) { Start-Sleep -Milliseconds 200; $job = Get-CimInstance -InputObject $job }
    if ($job.JobState -ne 7) { throw "$what failed: $($job.ErrorDescription)" }
    return $job
  }
  if ($answer.ReturnValue -ne 0) { throw "$what returned $($answer.ReturnValue)" }
  return $null
}
# The WMI object of VM $vmId and the recovery checkpoint $pointId of it, if it still exists.
function Get-VmSystem($vmId) {
  $system = @(Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_ComputerSystem |
    Where-Object { $_.Name -eq [string]$vmId })
  if ($system.Count -ne 1) { throw "no VM with id $vmId" }
  return $system[0]
}
function Get-ReadPoint($system, $pointId) {
  return @(Get-CimAssociatedInstance -InputObject $system -Association Msvm_SnapshotOfVirtualSystem -ResultClassName Msvm_VirtualSystemSettingData |
    Where-Object { $_.InstanceID -eq [string]$pointId })
}
# Get-VHD of exactly the file $path: -Path may take '[' and ']' as wildcards, so an answer for
# another file, or for several, is refused rather than reported as this disk's.
function Get-VhdOf([string]$path) {
  $vhd = @(Get-VHD -Path $path)
  if ($vhd.Count -ne 1 -or [string]$vhd[0].Path -ne $path) {
    throw "Get-VHD -Path '$path' answered for $($vhd.Count) file(s) of other names; rename the disk file without '[' or ']'"
  }
  return $vhd[0]
}
