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
    + " Asks for --yes: a deleted replica is gone.")
final class DisableProtectionCommand extends LifecycleCommand {
  @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

  @Option(names = "--plan", description = "Act on this recovery plan's VMs (all at once,"
      + " without the plan's delays and manual actions).")
  String plan = "";

  @Option(names = "--yes", description = "Confirm that the cloud replicas are to be deleted.")
  boolean yes;

  @Override
  FailoverResponse start(OperatorClient client) {
    if (!yes) {
      // Checked before any call: without it nothing is asked of the controller.
      throw new ParameterException(spec.commandLine(), "unprotect deletes the cloud replicas"
          + " of the VMs named, their only copies off-site; add --yes to go ahead");
    }
    return client.failover().disableProtection(DisableProtectionRequest.newBuilder()
        .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan).build());
  }
}
