# Discards the recovery checkpoints of VM $p.vmId made between $p.since and $p.until (ISO-8601
# UTC): the agent asked for one then and never learned its id. Only that window: another
# product's checkpoints are not the agent's to remove. A minute of slack before covers clocks
# that disagree between the agent and WMI. Written from the WMI documentation, not yet run on a
# Hyper-V host.
# PowerShell 6 to 7.4 hand the ISO-8601 text over as a [datetime] of Kind Utc already; made a
# [string] it would lose its Kind and be taken for the host's local time, hours off.
function ConvertFrom-Instant($value) {
  if ($value -is [DateTime]) { return $value.ToUniversalTime() }
  [DateTime]::Parse([string]$value, [Globalization.CultureInfo]::InvariantCulture,
    [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()
}
$since = (ConvertFrom-Instant $p.since).AddMinutes(-1)
$until = ConvertFrom-Instant $p.until
$system = Get-VmSystem $p.vmId
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemSnapshotService
$discarded = 0
foreach ($snapshot in @(Get-CimAssociatedInstance -InputObject $system -Association Msvm_SnapshotOfVirtualSystem -ResultClassName Msvm_VirtualSystemSettingData |
    Where-Object { $_.VirtualSystemType -eq 'Microsoft:Hyper-V:Snapshot:Recovery' -and $_.CreationTime.ToUniversalTime() -ge $since -and
      $_.CreationTime.ToUniversalTime() -le $until })) {
  $null = Wait-Method (Invoke-CimMethod -InputObject $service -MethodName DestroySnapshot -Arguments @{
    AffectedSnapshot = $snapshot }) 'DestroySnapshot'
  $discarded++
}
Write-Json @{ discarded = $discarded }
