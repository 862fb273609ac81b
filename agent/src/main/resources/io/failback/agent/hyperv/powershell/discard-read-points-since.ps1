# Discards the recovery checkpoints of VM $p.vmId made between $p.since and $p.until (ISO-8601
# UTC): the agent asked for one then and never learned its id. Only that window: another
# product's checkpoints are not the agent's to remove. A minute of slack before covers clocks
# that disagree between the agent and WMI. Written from the WMI documentation, not yet run on a
# Hyper-V host.
function ConvertFrom-Instant([string]$text) {
  [DateTime]::Parse($text, [Globalization.CultureInfo]::InvariantCulture,
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
