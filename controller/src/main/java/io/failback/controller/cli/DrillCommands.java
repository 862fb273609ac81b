package io.failback.controller.cli;

import io.failback.controller.cli.LifecycleCommands.LifecycleCommand;
import io.failback.proto.v1.CleanupTestFailbackRequest;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.TestFailbackRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Failback drills: TestFailback and CleanupTestFailback. */
final class DrillCommands {
  private DrillCommands() {}

  @Command(name = "drill", description = "Rehearse a failback: phase 1 into a throw-away VM on"
      + " the host (its disks seeded there from the on-prem VM's), started isolated, with the"
      + " measured phase-1 time and the predicted downtime. The cloud VM keeps running and the"
      + " on-prem VM is not touched; 'failback drill-cleanup' removes the drill VM.")
  static final class Drill extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs (drill VMs start"
        + " in group order).")
    String plan = "";

    @Option(names = "--host", description = "Run the drill VM on this host instead of the"
        + " item's own (its disks then start empty).")
    String host = "";

    @Option(names = "--validate-only", description = "Check states and hosts; change nothing.")
    boolean validateOnly;

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().testFailback(TestFailbackRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan).setTargetHost(host)
          .setValidateOnly(validateOnly).build());
    }
  }

  @Command(name = "drill-cleanup", description = "Stop and delete the failback drill VMs of"
      + " these items, with their disks.")
  static final class Cleanup extends LifecycleCommand {
    @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();

    @Option(names = "--plan", description = "Act on this recovery plan's VMs.")
    String plan = "";

    @Override
    FailoverResponse start(OperatorClient client) {
      return client.failover().cleanupTestFailback(CleanupTestFailbackRequest.newBuilder()
          .addAllVmIds(VmRefs.resolve(client, vmIds)).setRecoveryPlan(plan).build());
    }
  }
}
