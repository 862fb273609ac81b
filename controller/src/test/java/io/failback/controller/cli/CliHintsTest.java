package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The controller's RPC names, where they tell a CLI user what to do, become CLI commands. */
class CliHintsTest {
  @Test
  void hintsNameTheCommandAndLeaveTheRestAlone() {
    assertEquals("no protected item for vm id 'x'; list them with 'failback items', or enable"
        + " protection first", CliHints.forCli("no protected item for vm id 'x'; list them with"
        + " ListProtectedItems, or enable protection first"));
    assertEquals("the disks may mix old and new blocks. re-run 'failback failover'",
        CliHints.forCli("the disks may mix old and new blocks. re-run PlannedFailover"));
    assertEquals("cannot CompleteFailover: job j (PlannedFailover) is JOB_SUCCEEDED; allowed:"
        + " 'failback commit'", CliHints.forCli("cannot CompleteFailover: job j"
        + " (PlannedFailover) is JOB_SUCCEEDED; allowed: Commit"));
    assertEquals("is PROTECTED; allowed: 'failback failover', 'failback failover --unplanned'",
        CliHints.forCli("is PROTECTED; allowed: PlannedFailover, UnplannedFailover"));
  }

  @Test
  void allowedActionsAreTheSubcommands() {
    assertEquals("complete,cancel", CliHints.actions(List.of("CompleteFailover", "CancelJob")));
    assertEquals("failover,failover --unplanned,Unknown",
        CliHints.actions(List.of("PlannedFailover", "UnplannedFailover", "Unknown")));
  }
}
