# Freezes the disks of VM $p.vmId for reading while it runs on: a recovery checkpoint
# (WMI Msvm_VirtualSystemSnapshotService.CreateSnapshot, SnapshotType 32768, Windows Server
# 2016+). From then on the guest writes into new differencing files and the disks it had stay
# as they were. Reports the checkpoint's id and its disks, whose files are those frozen disks,
# with what inventory.ps1 reports of a disk (the inventory shows them in place of the new files).
# Written from the WMI documentation, not yet run on a Hyper-V host.
$vm = Get-VM -Id $p.vmId
$checkpoints = @(Get-VMSnapshot -VM $vm).Count
if ($checkpoints -gt 0) {
  throw "VM '$($vm.Name)' has $checkpoints checkpoint(s), a chain of disk files: delete them (Remove-VMSnapshot) to merge before syncing its disks"
}
$system = Get-VmSystem $vm.Id
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemSnapshotService
$made = $true  # from here a failure may leave a checkpoint behind: the agent finds it by time
$answer = Invoke-CimMethod -InputObject $service -MethodName CreateSnapshot -Arguments @{
  AffectedSystem = $system; SnapshotType = [uint16]32768 }
$job = Wait-Method $answer 'CreateSnapshot'
$snapshot = if ($job) { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemSettingData } else { Get-CimInstance -InputObject $answer.ResultingSnapshot }
try {
  # The checkpoint's virtual hard disks name the frozen files. ResourceType 31 (Logical Disk)
  # also holds an ISO in a DVD drive and a floppy image, which Get-VHD cannot read: the subtype
  # tells the hard disks apart.
  $disks = @(Get-CimAssociatedInstance -InputObject $snapshot -ResultClassName Msvm_StorageAllocationSettingData |
    Where-Object { $_.ResourceType -eq 31 -and $_.ResourceSubType -eq 'Microsoft:Hyper-V:Virtual Hard Disk' } |
    ForEach-Object {
      $path = [string]@($_.HostResource)[0]
      $vhd = Get-VhdOf $path
      @{ path = $path; format = [string]$vhd.VhdFormat; type = [string]$vhd.VhdType
         size = [int64]$vhd.Size; blockSize = [int64]$vhd.BlockSize
         logicalSectorSize = [int64]$vhd.LogicalSectorSize
         physicalSectorSize = [int64]$vhd.PhysicalSectorSize; parentPath = [string]$vhd.ParentPath }
    })
  Write-Json @{ id = [string]$snapshot.InstanceID; disks = $disks }
} catch {
  # Nobody knows this checkpoint yet: fold it back before reporting the failure.
  $null = Wait-Method (Invoke-CimMethod -InputObject $service -MethodName DestroySnapshot -Arguments @{
    AffectedSnapshot = $snapshot }) 'DestroySnapshot'
  $made = $false
  throw
}
