# Discards every recovery checkpoint of VM $p.vmId made at or after $p.since (ISO-8601 UTC): the
# agent stopped while one was being made, so its id is unknown. A minute of slack covers clocks
# that disagree between the agent and WMI. Written from the WMI documentation, not yet run on a
# Hyper-V host.
$since = [DateTime]::Parse([string]$p.since, [Globalization.CultureInfo]::InvariantCulture,
  [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime().AddMinutes(-1)
$system = Get-VmSystem $p.vmId
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemSnapshotService
$discarded = 0
foreach ($snapshot in @(Get-CimAssociatedInstance -InputObject $system -Association Msvm_SnapshotOfVirtualSystem -ResultClassName Msvm_VirtualSystemSettingData |
    Where-Object { $_.VirtualSystemType -eq 'Microsoft:Hyper-V:Snapshot:Recovery' -and $_.CreationTime.ToUniversalTime() -ge $since })) {
  $null = Wait-Method (Invoke-CimMethod -InputObject $service -MethodName DestroySnapshot -Arguments @{
    AffectedSnapshot = $snapshot }) 'DestroySnapshot'
  $discarded++
}
Write-Json @{ discarded = $discarded }
