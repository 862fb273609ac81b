# Ends read point $p.pointId of VM $p.vmId as a reference point: ConvertToReferencePoint folds
# the guest's writes back into the disks and keeps the resilient change tracking id of each, so
# GetVirtualDiskChanges later reports exactly what was written after the read point. Reports the
# id of each disk in $p.diskPaths, then destroys the VM's reference points older than the newest
# $p.keepReferencePoints. Written from the WMI documentation, not yet run on a Hyper-V host.
$system = Get-VmSystem $p.vmId
$snapshot = Get-ReadPoint $system $p.pointId
if ($snapshot.Count -ne 1) { throw "read point $($p.pointId) of VM $($p.vmId) is gone" }
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemSnapshotService
$answer = Invoke-CimMethod -InputObject $service -MethodName ConvertToReferencePoint -Arguments @{
  AffectedSnapshot = $snapshot[0] }
$job = Wait-Method $answer 'ConvertToReferencePoint'
$point = if ($job) { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemReferencePoint } else { Get-CimInstance -InputObject $answer.ResultingReferencePoint }
# The reference point lists its disks' RCT ids in the order of the VM's disk drives.
$drives = @(Get-VMHardDiskDrive -VM (Get-VM -Id $p.vmId) | ForEach-Object { [string]$_.Path })
$ids = @($point.ResilientChangeTrackingIdentifiers)
$references = @()
foreach ($path in @($p.diskPaths)) {
  $index = [array]::IndexOf($drives, [string]$path)
  if ($index -lt 0 -or $index -ge $ids.Count) { throw "disk $path has no change tracking id in the reference point" }
  $references += @{ path = [string]$path; reference = [string]$ids[$index] }
}
# Old reference points pin change tracking history; a failure here costs only disk space.
$pruneError = ''
try {
  $referenceService = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemReferencePointService
  $old = @(Get-CimAssociatedInstance -InputObject $system -ResultClassName Msvm_VirtualSystemReferencePoint |
    Sort-Object CreationTime -Descending | Select-Object -Skip ([int]$p.keepReferencePoints))
  foreach ($reference in $old) {
    $null = Wait-Method (Invoke-CimMethod -InputObject $referenceService -MethodName DestroyReferencePoint -Arguments @{
      AffectedReferencePoint = $reference }) 'DestroyReferencePoint'
  }
} catch {
  $pruneError = $_.Exception.Message
}
Write-Json @{ references = $references; pruneError = $pruneError }
