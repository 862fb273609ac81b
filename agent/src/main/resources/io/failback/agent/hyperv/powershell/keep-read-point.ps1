# Ends read point $p.pointId of VM $p.vmId as a reference point: ConvertToReferencePoint folds
# the guest's writes back into the disks and keeps the resilient change tracking id of each, so
# GetVirtualDiskChanges later reports exactly what was written after the read point. Reports the
# id of each disk in $p.diskPaths and the reference point's own id (the agent destroys its own
# old ones, never another product's). Written from the WMI documentation, not yet run on a
# Hyper-V host.
$system = Get-VmSystem $p.vmId
$snapshot = Get-ReadPoint $system $p.pointId
if ($snapshot.Count -ne 1) { throw "read point $($p.pointId) of VM $($p.vmId) is gone" }
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemSnapshotService
$answer = Invoke-CimMethod -InputObject $service -MethodName ConvertToReferencePoint -Arguments @{
  AffectedSnapshot = $snapshot[0] }
$job = Wait-Method $answer 'ConvertToReferencePoint'
$point = if ($job) { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemReferencePoint } else { Get-CimInstance -InputObject $answer.ResultingReferencePoint }
# VirtualDiskIdentifiers[i], the InstanceID of a disk's settings, has the RCT id
# ResilientChangeTrackingIdentifiers[i]; the settings name the disk's file.
$diskIds = @($point.VirtualDiskIdentifiers)
$rctIds = @($point.ResilientChangeTrackingIdentifiers)
if ($diskIds.Count -ne $rctIds.Count) {
  throw "the reference point lists $($diskIds.Count) disks but $($rctIds.Count) change tracking ids"
}
$settings = @(Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_StorageAllocationSettingData |
  Where-Object { $diskIds -contains $_.InstanceID })
$references = @()
foreach ($path in @($p.diskPaths)) {
  $found = @()
  for ($i = 0; $i -lt $diskIds.Count; $i++) {
    $disk = @($settings | Where-Object { $_.InstanceID -eq $diskIds[$i] })
    if ($disk.Count -eq 1 -and [string]@($disk[0].HostResource)[0] -eq [string]$path) { $found += [string]$rctIds[$i] }
  }
  if ($found.Count -ne 1) { throw "disk $path has no single change tracking id in the reference point" }
  $references += @{ path = [string]$path; reference = $found[0] }
}
Write-Json @{ references = $references; referencePointId = [string]$point.InstanceID }
