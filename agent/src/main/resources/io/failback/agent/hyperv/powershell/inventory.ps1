# The host, its switches, VMs (disks via Get-VHD, adapters) and storage paths with free space.
# The space of the volume that holds $path. Not the drive letter's: a Cluster Shared Volume
# (C:\ClusterStorage\Volume1) or a volume mounted in a folder is not C:, so the volume mounted
# deepest above the path answers. An SMB share (\\server\share) has no local volume: the file
# system object asks the server. Neither needs the folder to exist: a fresh host's default
# paths may not yet.
$volumes = @(Get-CimInstance -ClassName Win32_Volume | Where-Object { $_.Name -like '?:\*' })
function Get-Space([string]$path) {
  if ($path.StartsWith('\\')) {
    $fso = New-Object -ComObject Scripting.FileSystemObject
    $share = $fso.GetDrive($fso.GetDriveName($path))
    return @{ path = $path; freeBytes = [int64]$share.AvailableSpace; totalBytes = [int64]$share.TotalSize }
  }
  $folder = $path.TrimEnd('\') + '\'
  $holding = @($volumes | Where-Object { $folder.StartsWith([string]$_.Name, [StringComparison]::OrdinalIgnoreCase) } |
    Sort-Object { ([string]$_.Name).Length } -Descending)
  if ($holding.Count -gt 0) {
    return @{ path = $path; freeBytes = [int64]$holding[0].FreeSpace; totalBytes = [int64]$holding[0].Capacity }
  }
  # No volume listed for it (a drive made by subst, say): its drive letter's, as before.
  $drive = New-Object System.IO.DriveInfo ([System.IO.Path]::GetPathRoot($path))
  @{ path = $path; freeBytes = [int64]$drive.AvailableFreeSpace; totalBytes = [int64]$drive.TotalSize }
}
$vmHost = Get-VMHost
# Each guest's OS in its own words (key-value pair exchange, OSName), by VM id: only from a guest
# whose integration services run. The controller chooses the cloud copy's devices by it.
$guestOs = @{}
$kvps = @(Get-CimInstance -Namespace root\virtualization\v2 -ClassName Msvm_KvpExchangeComponent -ErrorAction SilentlyContinue)
foreach ($kvp in $kvps) {
  foreach ($item in @($kvp.GuestIntrinsicExchangeItems)) {
    if (-not $item) { continue }
    $fields = @{}
    foreach ($property in @(([xml]$item).INSTANCE.PROPERTY)) { $fields[[string]$property.NAME] = [string]$property.VALUE }
    # SystemName is the VM id in capitals; a PowerShell hashtable ignores case.
    if ($fields['Name'] -eq 'OSName') { $guestOs[[string]$kvp.SystemName] = $fields['Data'] }
  }
}
$switches = @(foreach ($s in @(Get-VMSwitch)) {
  @{ name = [string]$s.Name; id = $s.Id.ToString(); type = [string]$s.SwitchType }
})
$vms = @(foreach ($vm in @(Get-VM)) {
  $disks = @(foreach ($drive in @(Get-VMHardDiskDrive -VM $vm)) {
    if (-not $drive.Path) { continue }  # a pass-through disk has no file to sync
    $vhd = Get-VhdOf $drive.Path
    @{ path = [string]$vhd.Path; format = [string]$vhd.VhdFormat; type = [string]$vhd.VhdType
       size = [int64]$vhd.Size; blockSize = [int64]$vhd.BlockSize; fileSize = [int64]$vhd.FileSize
       logicalSectorSize = [int64]$vhd.LogicalSectorSize
       physicalSectorSize = [int64]$vhd.PhysicalSectorSize
       parentPath = [string]$vhd.ParentPath; attached = [bool]$vhd.Attached }
  })
  $adapters = @(foreach ($nic in @(Get-VMNetworkAdapter -VM $vm)) {
    @{ name = [string]$nic.Name; switchName = [string]$nic.SwitchName; macAddress = [string]$nic.MacAddress }
  })
  # Secure Boot (On/Off) and its template, which a VM created in this one's place must get to
  # boot its loader. Generation 1 VMs have no UEFI firmware; a firmware that cannot be read
  # leaves the setting unknown (empty) rather than failing the whole inventory.
  $firmware = $null
  if ($vm.Generation -eq 2) { $firmware = Get-VMFirmware -VM $vm -ErrorAction SilentlyContinue }
  @{ id = $vm.Id.ToString(); name = [string]$vm.Name; generation = [int]$vm.Generation
     memoryBytes = [int64]$vm.MemoryStartup; processorCount = [int]$vm.ProcessorCount
     secureBoot = [string]$firmware.SecureBoot; secureBootTemplate = [string]$firmware.SecureBootTemplate
     guestOs = [string]$guestOs[$vm.Id.ToString()]
     state = [string]$vm.State; checkpoints = @(Get-VMSnapshot -VM $vm).Count
     disks = $disks; networkAdapters = $adapters }
})
$paths = @()
$candidates = @([string]$vmHost.VirtualMachinePath, [string]$vmHost.VirtualHardDiskPath) +
  @(foreach ($vm in $vms) { foreach ($disk in $vm.disks) { Split-Path -Parent $disk.path } })
foreach ($path in $candidates) {
  if ($path -and $paths -notcontains $path) { $paths += $path }
}
Write-Json @{
  hostName = [System.Net.Dns]::GetHostEntry([Environment]::MachineName).HostName
  version = [Environment]::OSVersion.Version.ToString()
  vmPath = [string]$vmHost.VirtualMachinePath
  switches = $switches
  vms = $vms
  storagePaths = @(foreach ($path in $paths) { Get-Space $path })
}
