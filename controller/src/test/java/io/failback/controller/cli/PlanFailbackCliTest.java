package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.LifecycleFixtures;
import io.failback.controller.cli.CliRuns.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** An operator fails a recovery plan back with the CLI, through a manual action. */
class PlanFailbackCliTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aPlanFailsBackThroughItsManualActionWithResume() throws Exception {
    LifecycleFixtures.FailedOver hosts = LifecycleFixtures.failedOver(dir, cleanup, "web", "db");
    String db = hosts.idsByName().get("db");
    String web = hosts.idsByName().get("web");
    assertEquals(0, cli(hosts, "plan", "create", "tiers", "--group", db, "--group", web,
        "--manual-action", "1=check the database").exit());

    Run failover = cli(hosts, "failover", "--plan", "tiers", "--data-sync", "full", "--watch");
    assertEquals(0, failover.exit(), failover.toString());
    assertTrue(failover.out().contains("WAITING") && failover.out().contains("ResumeJob")
        && failover.out().contains("manual action: check the database")
        && failover.out().contains("plan tiers (1 of 2 groups finished)"), failover.out());
    String job = failover.out().lines().findFirst().orElseThrow().split("\\s+")[1];

    Run early = cli(hosts, "complete", job);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, early.exit(), early.toString());
    assertTrue(early.err().contains("cannot CompleteFailover"), early.err());

    Run resume = cli(hosts, "resume", job);
    assertEquals(0, resume.exit(), resume.toString());
    Run watch = cli(hosts, "job", job, "--watch");
    assertEquals(0, watch.exit(), watch.toString());
    assertTrue(watch.out().contains("SUCCEEDED")
        && watch.out().contains("plan tiers (2 of 2 groups finished)"), watch.out());
    assertTrue(hosts.onPremEqualsCloud("db") && hosts.onPremEqualsCloud("web"));

    Run again = cli(hosts, "resume", job);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, again.exit(), again.toString());
    assertTrue(again.err().contains("cannot ResumeJob"), again.err());
  }

  private static Run cli(LifecycleFixtures.FailedOver hosts, String... command)
      throws Exception {
    return CliRuns.as(hosts.operator(), hosts.target(), command);
  }
}
