# Deletes the VM with id $p.vmId and its virtual hard disk files, with a power cut first if it
# runs; nothing if there is no such VM. The agent asks this only for a VM it created for a
# failback drill (create-vm.ps1 made its disks in '<VM path>\Virtual Hard Disks' as
# '<VM id>-disk<N>.vhdx'). Only those files go: a disk attached to the VM since is someone
# else's, and is reported as kept.
$found = @(Get-VM | Where-Object { $_.Id.ToString() -eq $p.vmId })
$removed = @()
$kept = @()
if ($found.Count -eq 1) {
  $vm = $found[0]
  if ([string]$vm.State -ne 'Off') {
    Stop-VM -VM $vm -TurnOff -Force -Confirm:$false
  }
  $files = @(Get-VMHardDiskDrive -VM $vm | Where-Object { $_.Path } | ForEach-Object { $_.Path })
  $dir = [System.IO.Path]::Combine($vm.Path, 'Virtual Hard Disks')
  $own = [System.IO.Path]::Combine($dir, ('{0}-disk' -f $vm.Id))
  Remove-VM -VM $vm -Force
  foreach ($file in $files) {
    if (-not ([string]$file).StartsWith($own, [StringComparison]::OrdinalIgnoreCase)) {
      $kept += [string]$file
    } elseif (Test-Path -LiteralPath $file) {
      Remove-Item -LiteralPath $file -Force
      $removed += $file
    }
  }
  if ((Test-Path -LiteralPath $dir) -and -not (Get-ChildItem -LiteralPath $dir)) {
    Remove-Item -LiteralPath $dir -Force
  }
}
Write-Json @{ found = ($found.Count -eq 1); removed = $removed; kept = $kept }
