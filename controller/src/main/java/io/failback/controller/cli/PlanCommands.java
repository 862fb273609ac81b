package io.failback.controller.cli;

import com.google.protobuf.util.Durations;
import io.failback.common.text.DurationText;
import io.failback.proto.v1.CreateRecoveryPlanRequest;
import io.failback.proto.v1.DeleteRecoveryPlanRequest;
import io.failback.proto.v1.GetRecoveryPlanRequest;
import io.failback.proto.v1.ListProtectedItemsRequest;
import io.failback.proto.v1.ListRecoveryPlansRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import io.failback.proto.v1.UpdateRecoveryPlanRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code failback plan create|update|show|list|delete}: the recovery plan definitions. */
@Command(name = "plan", description = "Define recovery plans: ordered groups of protected VMs.",
    subcommands = {PlanCommands.Create.class, PlanCommands.Update.class, PlanCommands.Show.class,
        PlanCommands.ListPlans.class, PlanCommands.Delete.class})
final class PlanCommands {
  @ParentCommand
  FailbackMain parent;

  /** Shared by the plan commands: the connection and the VM names shown beside the ids. */
  abstract static class PlanCommand implements Callable<Integer> {
    @ParentCommand
    PlanCommands plan;

    @Spec
    CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = plan.parent.connection.connect()) {
        return run(client);
      }
    }

    abstract int run(OperatorClient client) throws IOException;

    /** Protected VM names by id, in any case: one call, however many plans are shown. */
    static Map<String, String> vmNames(OperatorClient client) {
      Map<String, String> names = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (ProtectedItem item : client.failover().listProtectedItems(
          ListProtectedItemsRequest.getDefaultInstance()).getItemsList()) {
        names.put(item.getVmId(), item.getVmName());
      }
      return names;
    }
  }

  /** The options that define a plan, shared by create and update. */
  abstract static class Definition extends PlanCommand {
    @Parameters(paramLabel = "NAME", description = "1 to 64 letters, digits, '.', '_', '-'.")
    String name;

    @Option(names = "--group", required = true, paramLabel = "VM[,VM...]",
        description = "A group of protected VM ids; repeat for each group, in start order"
            + " (numbered from 1).")
    List<String> groups;

    @Option(names = "--delay-after", paramLabel = "GROUP=DURATION",
        description = "Wait this long after the group's VMs run (90s, 5m, 1h30m or PT5M).")
    Map<Integer, String> delays = new LinkedHashMap<>();

    @Option(names = "--manual-action", paramLabel = "GROUP=TEXT",
        description = "Pause after the group with this text until the operator resumes.")
    Map<Integer, String> manualActions = new LinkedHashMap<>();

    @Option(names = "--rpo-target", paramLabel = "DURATION",
        description = "The RPO target of every VM of the plan, VMs added later included"
            + " (1m to 30d: 10m, 1h or PT15M). Update keeps the plan's when left out.")
    String rpoTarget;

    @Option(names = "--bandwidth-limit", paramLabel = "SCHEDULE",
        description = "The plan's transfers together keep to this (100Mbit/s, or windows:"
            + " 'Mon-Fri 08:00-18:00=100Mbit/s, unlimited'). Update keeps the plan's when left"
            + " out; `failback bandwidth set --plan` changes it while a job runs.")
    String bandwidthLimit;

    /** The plan the options describe; the controller checks the rest. */
    RecoveryPlan plan() {
      List<RecoveryPlanGroup.Builder> built = new ArrayList<>();
      for (String group : groups) {
        // Empty ids are kept, so that the controller names them instead of them vanishing.
        built.add(RecoveryPlanGroup.newBuilder().addAllVmIds(
            Arrays.stream(group.split(",", -1)).map(String::strip).toList()));
      }
      delays.forEach((number, text) -> group(built, "--delay-after", number, text)
          .setDelayAfter(Durations.fromNanos(DurationText.parse("--delay-after " + number
              + "=" + text, text).toNanos())));
      manualActions.forEach((number, text) -> group(built, "--manual-action", number, text)
          .setManualAction(text));
      RecoveryPlan.Builder plan = RecoveryPlan.newBuilder().setName(name);
      built.forEach(plan::addGroups);
      if (rpoTarget != null) {
        plan.setRpoTarget(Durations.fromNanos(DurationText.parse("--rpo-target", rpoTarget)
            .toNanos()));
      }
      if (bandwidthLimit != null) {
        plan.setBandwidthLimit(bandwidthLimit);
      }
      return plan.build();
    }

    private static RecoveryPlanGroup.Builder group(List<RecoveryPlanGroup.Builder> groups,
        String option, int number, String text) {
      if (number < 1 || number > groups.size()) {
        throw new IllegalArgumentException(option + " " + number + "=" + text + ": there is no"
            + " group " + number + "; the plan has " + groups.size() + " (numbered from 1)");
      }
      return groups.get(number - 1);
    }

    /** Prints what the controller stored, the way show does. */
    int print(String verb, RecoveryPlan stored, OperatorClient client) {
      out().println(verb + " recovery plan " + stored.getName());
      PlanView.details(stored, vmNames(client), out());
      return 0;
    }
  }

  @Command(name = "create", description = "Create a recovery plan.")
  static final class Create extends Definition {
    @Override
    int run(OperatorClient client) {
      RecoveryPlan stored = client.plans().createRecoveryPlan(
          CreateRecoveryPlanRequest.newBuilder().setPlan(plan()).build());
      return print("created", stored, client);
    }
  }

  @Command(name = "update", description = "Replace the groups of a recovery plan.")
  static final class Update extends Definition {
    @Override
    int run(OperatorClient client) {
      RecoveryPlan stored = client.plans().updateRecoveryPlan(
          UpdateRecoveryPlanRequest.newBuilder().setPlan(plan()).build());
      return print("updated", stored, client);
    }
  }

  @Command(name = "show", description = "Show a recovery plan: groups, VMs, delays, actions.")
  static final class Show extends PlanCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Mixin
    OutputOption output = new OutputOption();

    @Override
    int run(OperatorClient client) throws IOException {
      RecoveryPlan stored = client.plans().getRecoveryPlan(
          GetRecoveryPlanRequest.newBuilder().setName(name).build());
      if (output.structured()) {
        output.print(stored, out());
      } else {
        PlanView.details(stored, vmNames(client), out());
      }
      return 0;
    }
  }

  @Command(name = "list", description = "List the recovery plans.")
  static final class ListPlans extends PlanCommand {
    @Mixin
    OutputOption output = new OutputOption();

    @Override
    int run(OperatorClient client) throws IOException {
      var plans = client.plans().listRecoveryPlans(ListRecoveryPlansRequest.getDefaultInstance());
      if (output.structured()) {
        output.print(plans, out());
      } else {
        PlanView.table(plans.getPlansList(), vmNames(client), out());
      }
      return 0;
    }
  }

  @Command(name = "delete", description = "Delete a recovery plan no unfinished job runs.")
  static final class Delete extends PlanCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    int run(OperatorClient client) {
      client.plans().deleteRecoveryPlan(DeleteRecoveryPlanRequest.newBuilder().setName(name)
          .build());
      out().println("deleted recovery plan " + name);
      out().flush();
      return 0;
    }
  }
}
