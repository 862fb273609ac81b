# Starts the VM with id $p.vmId unless it runs.
$vm = Get-VM -Id $p.vmId
if ([string]$vm.State -ne 'Running') {
  Start-VM -VM $vm
}
Write-Json @{ state = [string](Get-VM -Id $p.vmId).State }
