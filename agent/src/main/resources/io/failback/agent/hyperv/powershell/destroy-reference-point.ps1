# Destroys reference point $p.referencePointId, an old one this agent made (it never removes
# another product's). Nothing if it is gone. Written from the WMI documentation, not yet run on
# a Hyper-V host.
$points = @(Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemReferencePoint |
  Where-Object { $_.InstanceID -eq [string]$p.referencePointId })
if ($points.Count -eq 0) {
  Write-Json @{ destroyed = $false }
  exit 0
}
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName Msvm_VirtualSystemReferencePointService
$null = Wait-Method (Invoke-CimMethod -InputObject $service -MethodName DestroyReferencePoint -Arguments @{
  AffectedReferencePoint = $points[0] }) 'DestroyReferencePoint'
Write-Json @{ destroyed = $true }
