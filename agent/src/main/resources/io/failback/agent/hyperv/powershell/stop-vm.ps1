# Stops the VM with id $p.vmId: a guest shutdown that may take $p.timeoutSeconds, then a power
# cut if the guest did not stop in time or cannot shut down; a power cut at once if $p.turnOff.
$vm = Get-VM -Id $p.vmId
$turnedOff = $false
$reason = ''
if ([string]$vm.State -ne 'Off') {
  if (-not $p.turnOff) {
    $job = Stop-VM -VM $vm -Force -Confirm:$false -AsJob
    $finished = Wait-Job -Job $job -Timeout $p.timeoutSeconds
    if (-not $finished) {
      $reason = "the guest did not shut down within $($p.timeoutSeconds) s"
      Stop-Job -Job $job
    } elseif ($job.State -ne 'Completed') {
      $reason = 'the guest shutdown failed: ' + (($job.ChildJobs | ForEach-Object { $_.JobStateInfo.Reason.Message }) -join '; ')
    }
    Remove-Job -Job $job -Force
  }
  if ($p.turnOff -or $reason) {
    Stop-VM -VM (Get-VM -Id $p.vmId) -TurnOff -Force -Confirm:$false
    $turnedOff = $true
  }
}
Write-Json @{ state = [string](Get-VM -Id $p.vmId).State; turnedOff = $turnedOff; reason = $reason }
