# Creates a VM in the host's VM path: $p.name, .generation, .memoryBytes, .processorCount, one
# network adapter per $p.switchNames entry and one new dynamic VHDX per $p.diskSizes entry.
# A generation 2 VM gets $p.secureBoot (.enabled, .templateName) when the controller knows it,
# and boots from its first disk first. Every switch is checked before anything is created; a
# failure half-way removes what was made.
$vmHost = Get-VMHost
$switches = @(foreach ($name in @($p.switchNames)) {
  $found = @(Get-VMSwitch | Where-Object { $_.Name -eq $name })
  if ($found.Count -ne 1) { throw "virtual switch '$name' does not exist on this host" }
  $found[0]
})
$vm = New-VM -Name $p.name -Generation $p.generation -MemoryStartupBytes $p.memoryBytes -NoVHD -Path $vmHost.VirtualMachinePath
$created = @()
try {
  Set-VMProcessor -VM $vm -Count $p.processorCount
  $nics = @(Get-VMNetworkAdapter -VM $vm)
  for ($i = 0; $i -lt $switches.Count; $i++) {
    if ($i -lt $nics.Count) { $nic = $nics[$i] } else { $nic = Add-VMNetworkAdapter -VM $vm -Passthru }
    Connect-VMNetworkAdapter -VMNetworkAdapter $nic -VMSwitch $switches[$i]
  }
  for ($i = $switches.Count; $i -lt $nics.Count; $i++) {
    Remove-VMNetworkAdapter -VMNetworkAdapter $nics[$i]
  }
  $dir = [System.IO.Path]::Combine($vm.Path, 'Virtual Hard Disks')
  [System.IO.Directory]::CreateDirectory($dir) | Out-Null
  $index = 0
  $bootDisk = $null
  foreach ($size in @($p.diskSizes)) {
    # Named by the VM id: a VM name may hold characters a file name cannot.
    $file = [System.IO.Path]::Combine($dir, ('{0}-disk{1}.vhdx' -f $vm.Id, $index))
    New-VHD -Path $file -SizeBytes $size -Dynamic | Out-Null
    $created += $file
    if ($p.generation -eq 1 -and $index -eq 0) {
      # Generation 1 boots from IDE only.
      Add-VMHardDiskDrive -VM $vm -ControllerType IDE -ControllerNumber 0 -ControllerLocation 0 -Path $file
    } else {
      if (-not (Get-VMScsiController -VM $vm)) { Add-VMScsiController -VM $vm }
      $drive = Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -Path $file -Passthru
      if ($index -eq 0) { $bootDisk = $drive }
    }
    $index++
  }
  if ($p.generation -eq 2) {
    # New-VM -NoVHD puts the network adapter first in the boot order: the guest would wait for
    # a PXE boot to time out before it tried its own disk.
    if ($bootDisk) { Set-VMFirmware -VM $vm -FirstBootDevice $bootDisk }
    # Unset when the original's setting is not known: the VM keeps Hyper-V's default then.
    if ($null -ne $p.secureBoot) {
      $secureBoot = 'Off'
      if ($p.secureBoot.enabled) { $secureBoot = 'On' }
      if ($p.secureBoot.templateName) {
        Set-VMFirmware -VM $vm -EnableSecureBoot $secureBoot -SecureBootTemplate ([string]$p.secureBoot.templateName)
      } else {
        Set-VMFirmware -VM $vm -EnableSecureBoot $secureBoot
      }
    }
  }
} catch {
  Remove-VM -VM $vm -Force -ErrorAction SilentlyContinue
  foreach ($file in $created) { Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue }
  throw
}
Write-Json @{ id = $vm.Id.ToString() }
