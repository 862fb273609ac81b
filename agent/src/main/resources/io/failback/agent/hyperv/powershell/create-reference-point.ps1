# Creates a reference point of the VM with id $p.vmId (WMI root\virtualization\v2, Windows
# Server 2016+): a recovery checkpoint (Msvm_VirtualSystemSnapshotService.CreateSnapshot,
# SnapshotType 32768) converted with ConvertToReferencePoint, then reports the resilient change
# tracking id of each disk in $p.diskPaths. Not yet run on a Hyper-V host.
$ns = 'root\virtualization\v2'
function Wait-Method($answer, $what) {
  # 0 is done; 4096 is a job that runs on: wait for it and take its outcome.
  if ($answer.ReturnValue -eq 4096) {
    $job = Get-CimInstance -InputObject $answer.Job
    while ($job.JobState -in 2, 3, 4) { Start-Sleep -Milliseconds 200; $job = Get-CimInstance -InputObject $job }
    if ($job.JobState -ne 7) { throw "$what failed: $($job.ErrorDescription)" }
    return $job
  }
  if ($answer.ReturnValue -ne 0) { throw "$what returned $($answer.ReturnValue)" }
  return $null
}
$vm = @(Get-CimInstance -Namespace $ns -ClassName Msvm_ComputerSystem | Where-Object { $_.Name -eq [string]$p.vmId })
if ($vm.Count -ne 1) { throw "no VM with id $($p.vmId)" }
$service = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSnapshotService
$answer = Invoke-CimMethod -InputObject $service -MethodName CreateSnapshot -Arguments @{
  AffectedSystem = $vm[0]; SnapshotType = [uint16]32768 }
$job = Wait-Method $answer 'CreateSnapshot'
$snapshot = if ($job) { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemSettingData } else { $answer.ResultingSnapshot }
$answer = Invoke-CimMethod -InputObject $service -MethodName ConvertToReferencePoint -Arguments @{
  AffectedSnapshot = $snapshot }
$job = Wait-Method $answer 'ConvertToReferencePoint'
$point = if ($job) { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemReferencePoint } else { $answer.ResultingReferencePoint }
# The reference point lists its disks' RCT ids in the order of its virtual disk identifiers;
# the VM's disk settings map those identifiers to paths.
$disks = @(Get-VMHardDiskDrive -VMName $vm[0].ElementName)
$ids = @($point.ResilientChangeTrackingIdentifiers)
$references = @()
foreach ($path in @($p.diskPaths)) {
  $index = [array]::IndexOf(@($disks | ForEach-Object { [string]$_.Path }), [string]$path)
  if ($index -lt 0 -or $index -ge $ids.Count) { throw "disk $path has no change tracking id in the reference point" }
  $references += @{ path = [string]$path; reference = [string]$ids[$index] }
}
Write-Json @{ references = $references }
