package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.controller.bandwidth.BandwidthSchedule;
import io.failback.controller.cli.CliRuns.Run;
import io.failback.controller.agents.AgentConnection;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.ListBandwidthLimitsResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code failback bandwidth} and a plan's limit against a real controller over mutual TLS. */
class BandwidthCliTest {
  private static final String DB = "4b3c0000-0000-4000-8000-0000000000db";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  TestPki pki;
  ControllerServer server;

  @BeforeEach
  void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    server = cleanup.register(ControllerServer.start(ControllerConfig.withDefaults("127.0.0.1",
        0, dir.resolve("state"), pki.controller()).withBandwidth(new io.failback.controller.bandwidth.ConfiguredLimit(
            BandwidthSchedule.parse("1Gbit/s"), ZoneOffset.UTC)), Clock.systemUTC()));
    server.protectedItems().create(DB, "db-01", "hv-01");
    // The host has registered once: limits are set only for hosts the controller knows.
    server.registry().register("hv-01", HostInventory.newBuilder().setHostName("hv-01")
        .setHypervisorKind(HypervisorKind.SIMULATED).build(), "127.0.0.1:1", "i-1", 0,
        new AgentConnection() {
          @Override
          public void send(ControllerMessage message) {}

          @Override
          public void close(String reason) {}
        });
  }

  private Run cli(String... command) throws Exception {
    return CliRuns.as(pki.operator("ops"), "localhost:" + server.port(), command);
  }

  @Test
  void setListClearAndAPlansLimit() throws Exception {
    Run set = cli("bandwidth", "set", "--host", "hv-01", "00:00-24:00=100Mbit/s");
    assertEquals(0, set.exit(), set.toString());
    assertEquals("host hv-01: 00:00-24:00=100Mbit/s; now 100 Mbit/s (00:00-24:00)",
        set.out().strip());

    Run plan = cli("plan", "create", "db", "--group", DB, "--bandwidth-limit", "50Mbit/s");
    assertEquals(0, plan.exit(), plan.toString());
    assertTrue(plan.out().contains("bandwidth       50Mbit/s (the plan's transfers together)"),
        plan.out());
    Run kept = cli("plan", "update", "db", "--group", DB);
    assertTrue(kept.out().contains("bandwidth       50Mbit/s"), kept.out());

    Run list = cli("bandwidth", "list");
    assertEquals(0, list.exit(), list.toString());
    List<String> lines = list.out().lines().toList();
    assertEquals(4, lines.size(), list.out());
    assertTrue(lines.get(0).startsWith("SCOPE   NAME   NOW"), list.out());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("global  -      1 Gbit/s    always")
        && l.contains("configuration")), list.out());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("host    hv-01  100 Mbit/s")
        && l.contains("operator") && l.contains("/operator/ops")), list.out());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("plan    db     50 Mbit/s")
        && l.contains("recovery plan")), list.out());

    Run json = cli("bandwidth", "list", "-o", "json");
    ListBandwidthLimitsResponse.Builder parsed = ListBandwidthLimitsResponse.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed);
    assertEquals(3, parsed.getLimitsCount(), json.out());

    Run clear = cli("bandwidth", "clear", "--plan", "DB");
    assertEquals(0, clear.exit(), clear.toString());
    assertEquals("plan db: limit removed; now unlimited (no limit set)", clear.out().strip());
    assertEquals("", server.recoveryPlans().get("db").getBandwidthLimit());
    Run global = cli("bandwidth", "set", "--global", "unlimited", "-o", "json");
    assertTrue(global.out().contains("\"source\": \"operator\""), global.out());
  }

  @Test
  void badInputIsAUsageErrorOrTheControllersRefusal() throws Exception {
    Run two = cli("bandwidth", "set", "--host", "hv-01", "--global", "10Mbit/s");
    assertEquals(2, two.exit(), two.toString());
    assertTrue(two.err().contains("mutually exclusive"), two.err());
    Run none = cli("bandwidth", "set", "10Mbit/s");
    assertEquals(2, none.exit(), none.toString());
    Run fast = cli("bandwidth", "set", "--global", "fast");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, fast.exit(), fast.toString());
    assertEquals("error: INVALID_ARGUMENT: schedule: 'fast' is neither a window such as"
        + " 'Mon-Fri 08:00-18:00=100Mbit/s' nor a rate: 'fast' is not a rate: write e.g."
        + " 100Mbit/s, 1.5Gbit/s, 40MiB/s, 500kbit/s or unlimited", fast.err().strip());
    Run plan = cli("plan", "create", "db", "--group", DB, "--bandwidth-limit", "08:00=1Gbit");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, plan.exit(), plan.toString());
    assertTrue(plan.err().contains("INVALID_ARGUMENT: bandwidth_limit: '08:00=1Gbit'"),
        plan.err());
    // A host no agent registered as (a typo) gets no limit, which would limit nothing; the
    // limit of a host the controller no longer knows can still be cleared.
    Run typo = cli("bandwidth", "set", "--host", "hv-0l", "10Mbit/s");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, typo.exit(), typo.toString());
    assertEquals("error: NOT_FOUND: host hv-0l is not known: no agent has registered under that"
        + " name (list the hosts with 'failback hosts')", typo.err().strip());
    assertEquals(0, cli("bandwidth", "clear", "--host", "hv-0l").exit());
    assertEquals(1, cli("bandwidth", "list", "-o", "json").out().split("\"scope\"").length - 1);
  }
}
