package io.failback.controller.cli;

import com.google.protobuf.util.Durations;
import io.failback.common.text.DurationText;
import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.ListProtectedItemsRequest;
import io.failback.proto.v1.ListProtectedItemsResponse;
import io.failback.proto.v1.ProtectedItem;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The protected items: list them with their RPO, and set their RPO target. */
final class ItemCommands {
  private ItemCommands() {}

  @Command(name = "items", description = "List protected items and their lifecycle state.")
  static final class Items implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Mixin OutputOption output = new OutputOption();

    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = parent.connection.connect()) {
        ListProtectedItemsResponse items = client.failover().listProtectedItems(
            ListProtectedItemsRequest.getDefaultInstance());
        if (output.structured()) {
          output.print(items, spec.commandLine().getOut());
          return 0;
        }
        Table table = new Table("VM ID", "NAME", "HOST", "STATE", "GEN", "BLOCKS",
            "RPO/TARGET", "CLOUD VM", "NEXT");
        for (ProtectedItem item : items.getItemsList()) {
          table.row(item.getVmId(), item.getVmName(), item.getOnPremHost(), item.getState(),
              item.getGeneration(), BlockSize.describe(BlockSize.fromStored(item.getBlockSize()))
                  .replace(" ", ""), rpo(item),
              item.getCloudVmId().isEmpty() ? "-" : item.getCloudVmId(),
              CliHints.actions(item.getAllowedActionsList()));
        }
        table.print(spec.commandLine().getOut());
        for (ProtectedItem item : items.getItemsList()) {
          for (String warning : List.of(item.getOnPremVmWarning(), item.getCloudVmWarning(),
              item.getRpoWarning(), item.getBootWarning())) {
            if (!warning.isEmpty()) {
              spec.commandLine().getOut().println("warning: " + item.getVmName() + ": "
                  + warning);
            }
          }
        }
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  /** "3m/15m", with "!" when the item warns; "-/15m" when nothing replicates. */
  static String rpo(ProtectedItem item) {
    String target = DurationText.format(java.time.Duration.ofMillis(
        com.google.protobuf.util.Durations.toMillis(item.getRpoTarget())));
    String current = item.hasCurrentRpo() ? DurationText.format(java.time.Duration.ofMillis(
        com.google.protobuf.util.Durations.toMillis(item.getCurrentRpo()))) : "-";
    return current + "/" + target + (item.getRpoWarning().isEmpty() ? "" : " !");
  }

  @Command(name = "rpo", description = "Set the RPO target of protected VMs (or of a recovery"
      + " plan's VMs); items warn when their current RPO exceeds it.")
  static final class SetRpo implements Callable<Integer> {
    @ParentCommand FailbackMain parent;
    @Spec CommandSpec spec;
    @Mixin OutputOption output = new OutputOption();
    @Mixin ItemTargets items = new ItemTargets();
    @Option(names = "--target", required = true, paramLabel = "DURATION",
        description = "ISO-8601, from PT1M to P30D, e.g. PT15M.")
    java.time.Duration target;

    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = parent.connection.connect()) {
        ListProtectedItemsResponse items = client.failover().setRpoTarget(
            io.failback.proto.v1.SetRpoTargetRequest.newBuilder()
                .addAllVmIds(this.items.vmIds(client)).setRecoveryPlan(this.items.plan())
                .setRpoTarget(com.google.protobuf.util.Durations.fromMillis(target.toMillis()))
                .build());
        if (output.structured()) {
          output.print(items, spec.commandLine().getOut());
          return 0;
        }
        for (ProtectedItem item : items.getItemsList()) {
          spec.commandLine().getOut().println(item.getVmName() + " (" + item.getVmId()
              + "): RPO " + rpo(item));
        }
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }
}
