package io.failback.controller.cli;

import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The protected items a setting command acts on: VMs by id or name, or a plan's VMs. */
final class ItemTargets {
  @Parameters(paramLabel = "VM", arity = "0..*") List<String> vmIds = List.of();
  @Option(names = "--plan", paramLabel = "NAME", description = "Every VM of this plan.")
  String plan;

  /** The VMs' ids as the controller knows them (names resolved). */
  List<String> vmIds(OperatorClient client) {
    return VmRefs.resolve(client, vmIds);
  }

  /** The plan's name, or empty when VMs are named instead. */
  String plan() {
    return plan == null ? "" : plan;
  }
}
