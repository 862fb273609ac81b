package io.failback.controller.cli;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The controller speaks in RPC names ("list them with ListProtectedItems", allowed actions
 * "PlannedFailover"); a CLI user types commands. These name the command for the RPC.
 */
final class CliHints {
  /** The CLI command that calls each RPC an answer may point to. */
  static final Map<String, String> COMMANDS = Map.ofEntries(
      Map.entry("EnableProtection", "failback protect"),
      Map.entry("PlannedFailover", "failback failover"),
      Map.entry("UnplannedFailover", "failback failover --unplanned"),
      Map.entry("CompleteFailover", "failback complete"),
      Map.entry("Commit", "failback commit"),
      Map.entry("RollbackFailback", "failback rollback"),
      Map.entry("TestFailback", "failback drill"),
      Map.entry("CleanupTestFailback", "failback drill-cleanup"),
      Map.entry("ReverseReplicate", "failback reverse-replicate"),
      Map.entry("CancelJob", "failback cancel"),
      Map.entry("ResumeJob", "failback resume"),
      Map.entry("GetJob", "failback job"),
      Map.entry("ListJobs", "failback jobs"),
      Map.entry("ListProtectedItems", "failback items"),
      Map.entry("SetRpoTarget", "failback rpo"),
      Map.entry("SetCloudDevices", "failback cloud-devices"),
      Map.entry("RestartCloudVm", "failback restart-cloud-vm"),
      Map.entry("DisableProtection", "failback unprotect"),
      Map.entry("ListVirtualMachines", "failback vms"),
      Map.entry("ListHosts", "failback hosts"),
      Map.entry("ListRecoveryPlans", "failback plan list"),
      Map.entry("CreateRecoveryPlan", "failback plan create"),
      Map.entry("UpdateRecoveryPlan", "failback plan update"),
      Map.entry("FenceHost", "failback fence"),
      Map.entry("UnfenceHost", "failback unfence"),
      Map.entry("ListAuditEvents", "failback audit"));

  /** An RPC named as what to do: after "with", "run", "use", "call" or "re-run". */
  private static final Pattern HINT = Pattern.compile(
      "\\b(with|run|use|call|re-run)( )(" + String.join("|", COMMANDS.keySet()) + ")\\b");

  private CliHints() {}

  /** A list of allowed actions: "allowed: PlannedFailover, UnplannedFailover". */
  private static final Pattern ALLOWED = Pattern.compile("\\ballowed: ((?:"
      + String.join("|", COMMANDS.keySet()) + ")(?:, (?:"
      + String.join("|", COMMANDS.keySet()) + "))*)\\b");

  /** {@code text} with each RPC it tells the reader to call named as the CLI command. */
  static String forCli(String text) {
    Matcher allowed = ALLOWED.matcher(text);
    StringBuilder listed = new StringBuilder();
    while (allowed.find()) {
      allowed.appendReplacement(listed, Matcher.quoteReplacement("allowed: "
          + java.util.Arrays.stream(allowed.group(1).split(", "))
              .map(rpc -> "'" + COMMANDS.get(rpc) + "'").collect(Collectors.joining(", "))));
    }
    allowed.appendTail(listed);
    Matcher m = HINT.matcher(listed.toString());
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + m.group(2) + "'"
          + COMMANDS.get(m.group(3)) + "'"));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Allowed actions as the commands that take them, e.g. "failover,commit". */
  static String actions(List<String> rpcNames) {
    return rpcNames.stream().map(rpc -> COMMANDS.getOrDefault(rpc, rpc)
        .replaceFirst("^failback ", "")).collect(Collectors.joining(","));
  }
}
