package io.failback.controller.cli;

import io.failback.controller.cli.LifecycleCommands.LifecycleCommand;
import io.failback.proto.v1.DisableProtectionRequest;
import io.failback.proto.v1.FailoverResponse;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** DisableProtection: the one command that deletes a VM's only copy in the cloud. */
@Command(name = "unprotect", description = "Stop protecting VMs (retired, or their host"
    + " decommissioned): delete each cloud replica (its VM, disks and checkpoints) and what the"
    + " controller and the host keep to replicate it. The on-prem VMs and their disks are not"
    + " touched. Allowed while PROTECTED, FAILED_BACK or UNPROTECTED; the VMs end UNPROTECTED."
    + " With --keep-cloud-vm the cloud VMs stay as they are, no longer Failback's, and a VM"
    + " that runs in the cloud after a committed failover (FAILED_OVER) may leave too. Asks for"
    + " --yes: a deleted replica is gone, a kept one fails back no more.")
final class DisableProtectionCommand extends LifecycleCommand {
  @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

  @Option(names = "--plan", description = "Act on this recovery plan's VMs (all at once,"
      + " without the plan's delays and manual actions).")
  String plan = "";

  @Option(names = "--keep-cloud-vm", description = "Keep each cloud VM as it is (a replica, or"
      + " the VM a committed failover runs in the cloud), no longer Failback's: only its"
      + " tracking goes.")
  boolean keepCloudVm;

  @Option(names = "--yes", description = "Confirm: the cloud replicas are deleted, or with"
      + " --keep-cloud-vm, the cloud VMs can fail back no more.")
  boolean yes;

  @Override
  FailoverResponse start(OperatorClient client) {
    if (!yes) {
      // Checked before any call: without it nothing is asked of the controller.
      throw new ParameterException(spec.commandLine(), keepCloudVm
          ? "unprotect --keep-cloud-vm ends Failback's care of the VMs named: their cloud VMs"
              + " stay but can fail back no more; add --yes to go ahead"
          : "unprotect deletes the cloud replicas of the VMs named, their only copies"
              + " off-site; add --yes to go ahead");
    }
    return client.failover().disableProtection(DisableProtectionRequest.newBuilder()
        .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan)
        .setKeepCloudVm(keepCloudVm).build());
  }
}
