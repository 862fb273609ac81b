# Byte ranges of disk $p.path changed since resilient change tracking id $p.limitId, from
# $p.byteOffset for $p.byteLength bytes (WMI Msvm_ImageManagementService.GetVirtualDiskChanges,
# Windows Server 2016+). Anything but a complete answer is reported as unavailable: the caller
# then compares checksums, which is always correct.
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_ImageManagementService
$ranges = @()
$offset = [uint64]$p.byteOffset
$end = $offset + [uint64]$p.byteLength
while ($offset -lt $end) {
  $answer = Invoke-CimMethod -InputObject $service -MethodName GetVirtualDiskChanges -Arguments @{
    Path = [string]$p.path; LimitId = [string]$p.limitId; TargetSnapshotId = ''
    ByteOffset = $offset; ByteLength = $end - $offset }
  if ($answer.ReturnValue -ne 0) {
    Write-Json @{ available = $false; reason = "GetVirtualDiskChanges returned $($answer.ReturnValue)" }
    exit 0
  }
  $offsets = @($answer.ChangedByteOffsets)
  $lengths = @($answer.ChangedByteLengths)
  for ($i = 0; $i -lt $offsets.Count; $i++) {
    $ranges += @{ offset = [int64]$offsets[$i]; length = [int64]$lengths[$i] }
  }
  if ([uint64]$answer.ProcessedByteLength -eq 0) {
    Write-Json @{ available = $false; reason = 'GetVirtualDiskChanges made no progress' }
    exit 0
  }
  $offset += [uint64]$answer.ProcessedByteLength
}
Write-Json @{ available = $true; ranges = $ranges }
