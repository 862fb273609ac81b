# Byte ranges of disk $p.path changed since resilient change tracking id $p.limitId, from
# $p.byteOffset for $p.byteLength bytes (WMI Msvm_ImageManagementService.GetVirtualDiskChanges,
# Windows Server 2016+). Anything but a complete answer is reported as unavailable: the caller
# then compares checksums, which is always correct.
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_ImageManagementService
# A list, not an array: `+=` on an array copies it, quadratic in a busy disk's thousands of ranges.
$ranges = New-Object System.Collections.Generic.List[object]
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
  # A region without changes may answer $null for its lists, and @($null) is one element, a
  # range of length 0 at offset 0: drop the nulls, so nothing changed reads as no ranges.
  $offsets = @($answer.ChangedByteOffsets | Where-Object { $null -ne $_ })
  $lengths = @($answer.ChangedByteLengths | Where-Object { $null -ne $_ })
  if ($offsets.Count -ne $lengths.Count) {
    Write-Json @{ available = $false; reason = "GetVirtualDiskChanges answered $($offsets.Count) offsets but $($lengths.Count) lengths" }
    exit 0
  }
  for ($i = 0; $i -lt $offsets.Count; $i++) {
    $ranges.Add(@{ offset = [int64]$offsets[$i]; length = [int64]$lengths[$i] })
  }
  if ([uint64]$answer.ProcessedByteLength -eq 0) {
    Write-Json @{ available = $false; reason = 'GetVirtualDiskChanges made no progress' }
    exit 0
  }
  $offset += [uint64]$answer.ProcessedByteLength
}
Write-Json @{ available = $true; ranges = $ranges.ToArray() }
