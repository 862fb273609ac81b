package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.controller.cli.CliRuns.Run;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.RecoveryPlan;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code failback plan} against a real controller over mutual TLS. */
class PlanCliTest {
  private static final String DB = "4B3C0000-0000-4000-8000-0000000000DB";
  private static final String DB_LOWER = DB.toLowerCase(java.util.Locale.ROOT);
  private static final String DB2 = "4B3D0000-0000-4000-8000-0000000000DB";
  private static final String WEB = "0F1E0000-0000-4000-8000-00000000000E";
  private static final String GHOST = "deadbeef-0000-4000-8000-000000000000";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  TestPki pki;
  ControllerServer server;

  @BeforeEach
  void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    server = cleanup.register(ControllerServer.start(ControllerConfig.withDefaults("127.0.0.1",
        0, dir.resolve("state"), pki.controller()), Clock.systemUTC()));
    server.protectedItems().create(DB, "db-01", "hv-01");
    server.protectedItems().create(DB2, "db-02", "hv-01");
    server.protectedItems().create(WEB, "web-01", "hv-02");
  }

  private Run cli(TlsFiles identity, String... command) {
    return CliRuns.as(identity, "localhost:" + server.port(), command);
  }

  private Run cli(String... command) throws Exception {
    return cli(pki.operator("ops"), command);
  }

  private static final String TIERS_SHOWN = String.join(System.lineSeparator(),
      "plan            tiers (2 groups, 3 VMs)",
      "group 1         db-01 (" + DB + "), db-02 (" + DB2 + ")",
      "  delay after   1h30m",
      "  manual action check replication = caught up",
      "group 2         web-01 (" + WEB + ")",
      "");

  @Test
  void createShowListUpdateDelete() throws Exception {
    Run create = cli("plan", "create", "tiers", "--group", DB_LOWER + ", " + DB2, "--group",
        WEB, "--delay-after", "1=1h30m", "--manual-action",
        "1=check replication = caught up");
    assertEquals(0, create.exit(), create.toString());
    assertEquals("created recovery plan tiers" + System.lineSeparator() + TIERS_SHOWN,
        create.out());

    Run show = cli("plan", "show", "TIERS");
    assertEquals(0, show.exit(), show.toString());
    assertEquals(TIERS_SHOWN, show.out());

    Run web = cli("plan", "create", "web", "--group", WEB, "--rpo-target", "10m");
    assertEquals(0, web.exit(), web.toString());
    assertTrue(web.out().contains("RPO target      10m (every VM of the plan)"), web.out());
    assertEquals(600, server.protectedItems().get(WEB).getRpoTarget().getSeconds());
    Run list = cli("plan", "list");
    assertEquals(0, list.exit(), list.toString());
    assertEquals(List.of("PLAN   GROUPS  VMS  ORDER", "tiers  2       3    db-01,db-02 > web-01",
        "web    1       1    web-01"), list.out().lines().toList());

    Run update = cli("plan", "update", "Tiers", "--group", WEB, "--group", DB,
        "--delay-after", "2=PT45S");
    assertEquals(0, update.exit(), update.toString());
    assertTrue(update.out().contains("group 1         web-01 (" + WEB + ")"), update.out());
    RecoveryPlan stored = server.recoveryPlans().get("tiers");
    assertEquals(List.of(WEB), stored.getGroups(0).getVmIdsList());
    assertEquals(45, stored.getGroups(1).getDelayAfter().getSeconds());
    assertEquals("", stored.getGroups(1).getManualAction());

    Run delete = cli("plan", "delete", "tiers");
    assertEquals(0, delete.exit(), delete.toString());
    assertEquals(List.of("web"), server.recoveryPlans().list().stream()
        .map(RecoveryPlan::getName).toList());
  }

  @Test
  void serverRefusalsPrintTheDescriptionAndExitThree() throws Exception {
    Run unknown = cli("plan", "create", "tiers", "--group", DB, "--group", GHOST);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, unknown.exit(), unknown.toString());
    assertEquals("error: INVALID_ARGUMENT: group 2: vm '" + GHOST + "' is not a protected item;"
        + " list"
        + " them with 'failback items'", unknown.err().strip());

    assertEquals(0, cli("plan", "create", "tiers", "--group", DB).exit());
    Run duplicate = cli("plan", "create", "TIERS", "--group", WEB);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, duplicate.exit(), duplicate.toString());
    assertTrue(duplicate.err().contains("ALREADY_EXISTS: recovery plan 'tiers' already exists"),
        duplicate.err());

    Run negative = cli("plan", "update", "tiers", "--group", DB, "--delay-after",
        "1=PT-5M");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, negative.exit(), negative.toString());
    assertTrue(negative.err().contains("group 1: delay_after -300s is negative"),
        negative.err());

    Job job = server.jobs().create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM,
        "tiers", Map.of(DB, List.of()));
    Run inUse = cli("plan", "delete", "tiers");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, inUse.exit(), inUse.toString());
    assertTrue(inUse.err().contains("FAILED_PRECONDITION: cannot delete recovery plan 'tiers':"
        + " job " + job.getId()), inUse.err());

    Run missing = cli("plan", "show", "nope");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, missing.exit(), missing.toString());
    assertTrue(missing.err().contains("NOT_FOUND: name 'nope' names no recovery plan; the plans"
        + " are tiers"), missing.err());
    assertEquals(List.of(DB), server.recoveryPlans().get("tiers").getGroups(0)
        .getVmIdsList());
  }

  @Test
  void badOptionsAreNamedAndNothingIsStored() throws Exception {
    Run noGroup = cli("plan", "create", "tiers", "--group", DB, "--delay-after", "2=5m");
    assertEquals(1, noGroup.exit(), noGroup.toString());
    assertEquals("error: --delay-after 2=5m: there is no group 2; the plan has 1 (numbered from"
        + " 1)", noGroup.err().strip());

    Run badDuration = cli("plan", "create", "tiers", "--group", DB, "--delay-after",
        "1=soon");
    assertEquals(1, badDuration.exit(), badDuration.toString());
    assertTrue(badDuration.err().contains("--delay-after 1=soon: 'soon' is not a duration"),
        badDuration.err());

    Run emptyId = cli("plan", "create", "tiers", "--group", DB + ",");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, emptyId.exit(), emptyId.toString());
    assertTrue(emptyId.err().contains("plan.groups[0].vm_ids[1] is empty"), emptyId.err());

    Run noGroups = cli("plan", "create", "tiers");
    assertTrue(noGroups.exit() != 0 && noGroups.err().contains("--group"), noGroups.toString());
    assertEquals(List.of(), server.recoveryPlans().list());
  }

  @Test
  void agentCertificateIsRefused() throws Exception {
    Run run = cli(pki.agent("hv-01"), "plan", "list");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, run.exit(), run.toString());
    assertTrue(run.err().contains("PERMISSION_DENIED"), run.err());
  }
}
