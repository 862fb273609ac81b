# Discards read point $p.pointId of VM $p.vmId: DestroySnapshot folds the guest's writes back
# into the disks and keeps no reference point. Nothing if it has already ended. Written from the
# WMI documentation, not yet run on a Hyper-V host.
$snapshot = Get-ReadPoint (Get-VmSystem $p.vmId) $p.pointId
if ($snapshot.Count -eq 0) {
  Write-Json @{ discarded = $false }
  exit 0
}
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemSnapshotService
$null = Wait-Method (Invoke-CimMethod -InputObject $service -MethodName DestroySnapshot -Arguments @{
  AffectedSnapshot = $snapshot[0] }) 'DestroySnapshot'
Write-Json @{ discarded = $true }
