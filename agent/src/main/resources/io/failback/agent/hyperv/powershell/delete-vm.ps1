# Deletes the VM with id $p.vmId and its virtual hard disk files, with a power cut first if it
# runs; nothing if there is no such VM. The agent asks this only for a VM it created for a
# failback drill (create-vm.ps1 made its disks in '<VM path>\Virtual Hard Disks').
$found = @(Get-VM | Where-Object { $_.Id.ToString() -eq $p.vmId })
$removed = @()
if ($found.Count -eq 1) {
  $vm = $found[0]
  if ([string]$vm.State -ne 'Off') {
    Stop-VM -VM $vm -TurnOff -Force -Confirm:$false
  }
  $files = @(Get-VMHardDiskDrive -VM $vm | ForEach-Object { $_.Path })
  $dir = [System.IO.Path]::Combine($vm.Path, 'Virtual Hard Disks')
  Remove-VM -VM $vm -Force
  foreach ($file in $files) {
    if (Test-Path -LiteralPath $file) {
      Remove-Item -LiteralPath $file -Force
      $removed += $file
    }
  }
  if ((Test-Path -LiteralPath $dir) -and -not (Get-ChildItem -LiteralPath $dir)) {
    Remove-Item -LiteralPath $dir -Force
  }
}
Write-Json @{ found = ($found.Count -eq 1); removed = $removed }
