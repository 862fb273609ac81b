# What decides whether disk $p.path of VM $p.vmId may be opened now; Java applies the rules.
$vm = Get-VM -Id $p.vmId
$drives = @(Get-VMHardDiskDrive -VM $vm | Where-Object { $_.Path -eq $p.path })
$vhd = Get-VhdOf $p.path
Write-Json @{
  vmName = [string]$vm.Name
  vmState = [string]$vm.State
  checkpoints = @(Get-VMSnapshot -VM $vm).Count
  connected = $drives.Count -gt 0
  attached = [bool]$vhd.Attached
  format = [string]$vhd.VhdFormat
  type = [string]$vhd.VhdType
  parentPath = [string]$vhd.ParentPath
}
