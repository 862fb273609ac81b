package io.failback.controller.cli;

import com.google.protobuf.util.Timestamps;
import io.failback.controller.bandwidth.Rates;
import io.failback.proto.v1.BandwidthLimit;
import io.failback.proto.v1.BandwidthScope;
import io.failback.proto.v1.ListBandwidthLimitsRequest;
import io.failback.proto.v1.ListBandwidthLimitsResponse;
import io.failback.proto.v1.SetBandwidthLimitRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code failback bandwidth list|set|clear}: limits on the transfers with the hosts. */
@Command(name = "bandwidth", description = "Limit the bandwidth of block transfers with the"
    + " hosts: global, per host, per job, per recovery plan; with time windows.",
    subcommands = {BandwidthCommands.ListLimits.class, BandwidthCommands.Set.class,
        BandwidthCommands.Clear.class})
final class BandwidthCommands {
  @ParentCommand
  FailbackMain parent;

  /** Exactly one scope. */
  static final class ScopeOption {
    @Option(names = "--global", required = true, description = "Every transfer together.")
    boolean global;

    @Option(names = "--host", required = true, paramLabel = "HOST",
        description = "The transfers with one host.")
    String host;

    @Option(names = "--job", required = true, paramLabel = "JOB_ID",
        description = "One running job's transfers (until it ends).")
    String job;

    @Option(names = "--plan", required = true, paramLabel = "PLAN",
        description = "The transfers of a recovery plan's jobs together.")
    String plan;

    SetBandwidthLimitRequest.Builder request() {
      SetBandwidthLimitRequest.Builder request = SetBandwidthLimitRequest.newBuilder();
      if (host != null) {
        return request.setScope(BandwidthScope.BANDWIDTH_HOST).setName(host);
      }
      if (job != null) {
        return request.setScope(BandwidthScope.BANDWIDTH_JOB).setName(job);
      }
      if (plan != null) {
        return request.setScope(BandwidthScope.BANDWIDTH_RECOVERY_PLAN).setName(plan);
      }
      return request.setScope(BandwidthScope.BANDWIDTH_GLOBAL);
    }
  }

  /** Shared by the bandwidth commands: the connection and the output format. */
  abstract static class BandwidthCommand implements Callable<Integer> {
    @ParentCommand
    BandwidthCommands bandwidth;

    @Spec
    CommandSpec spec;

    @Mixin
    OutputOption output = new OutputOption();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** Sets or clears, then shows the limit as the controller has it now. */
    int set(SetBandwidthLimitRequest request) throws IOException {
      try (OperatorClient client = bandwidth.parent.connection.connect()) {
        BandwidthLimit limit = client.bandwidth().setBandwidthLimit(request);
        if (output.structured()) {
          output.print(limit, out());
        } else {
          out().println(request.getSchedule().isEmpty()
              ? describe(limit) + ": limit removed; now " + now(limit)
              : describe(limit) + ": " + limit.getSchedule() + "; now " + now(limit));
          out().flush();
        }
        return 0;
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Show every limit, what it allows now and where it comes from.")
  static final class ListLimits extends BandwidthCommand {
    @Override
    public Integer call() throws IOException {
      try (OperatorClient client = bandwidth.parent.connection.connect()) {
        ListBandwidthLimitsResponse limits = client.bandwidth().listBandwidthLimits(
            ListBandwidthLimitsRequest.getDefaultInstance());
        if (output.structured()) {
          output.print(limits, out());
          return 0;
        }
        Table table = new Table("SCOPE", "NAME", "NOW", "BECAUSE", "SCHEDULE", "SOURCE",
            "SET BY", "SET AT");
        for (BandwidthLimit limit : limits.getLimitsList()) {
          table.row(scope(limit.getScope()), limit.getName().isEmpty() ? "-" : limit.getName(),
              rate(limit.getCurrentBitsPerSecond()), limit.getCurrentWindow(),
              limit.getSchedule(), limit.getSource(),
              limit.getSetBy().isEmpty() ? "-" : limit.getSetBy(),
              limit.hasUpdatedAt() ? Timestamps.toString(limit.getUpdatedAt()) : "-");
        }
        table.print(out());
        return 0;
      }
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Set a scope's limit; running transfers keep to it within a second."
          + " SCHEDULE is a rate (100Mbit/s, 40MiB/s, unlimited) or time windows in the"
          + " controller's zone and a rate for the rest: 'Mon-Fri 08:00-18:00=100Mbit/s,"
          + " unlimited'.")
  static final class Set extends BandwidthCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    ScopeOption scope;

    @Parameters(paramLabel = "SCHEDULE", description = "The limit and its time windows.")
    String schedule;

    @Override
    public Integer call() throws IOException {
      return set(scope.request().setSchedule(schedule).build());
    }
  }

  @Command(name = "clear", mixinStandardHelpOptions = true,
      description = "Remove a scope's limit (the global one falls back to the configuration).")
  static final class Clear extends BandwidthCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    ScopeOption scope;

    @Override
    public Integer call() throws IOException {
      return set(scope.request().build());
    }
  }

  static String describe(BandwidthLimit limit) {
    return limit.getScope() == BandwidthScope.BANDWIDTH_GLOBAL ? "global"
        : scope(limit.getScope()) + " " + limit.getName();
  }

  static String now(BandwidthLimit limit) {
    return rate(limit.getCurrentBitsPerSecond()) + " (" + limit.getCurrentWindow() + ")";
  }

  static String scope(BandwidthScope scope) {
    return switch (scope) {
      case BANDWIDTH_RECOVERY_PLAN -> "plan";
      default -> scope.name().substring("BANDWIDTH_".length()).toLowerCase(Locale.ROOT);
    };
  }

  /** "100 Mbit/s" for a rate in bits per second, "unlimited" for 0. */
  static String rate(double bitsPerSecond) {
    return bitsPerSecond <= 0 ? "unlimited" : Rates.format(Math.round(bitsPerSecond / 8));
  }
}
