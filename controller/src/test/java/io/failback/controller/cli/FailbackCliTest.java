package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.controller.agents.AgentConnection;
import io.failback.controller.cli.CliRuns.Run;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The operator CLI against a real controller over mutual TLS. */
class FailbackCliTest {
  private static final String VM_ID = "0f1e0000-0000-4000-8000-000000000001";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  TestPki pki;
  ControllerServer server;
  TlsFiles operator;

  @BeforeEach
  void start() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    server = cleanup.register(ControllerServer.start(ControllerConfig.withDefaults("127.0.0.1",
        0, dir.resolve("state"), pki.controller()), Clock.systemUTC()));
    operator = pki.operator("ops");
    // An agent that answers round-trip probes at once.
    AgentConnection agent = new AgentConnection() {
      @Override
      public void send(ControllerMessage message) {
        if (message.hasRoundTrip()) {
          server.registry().roundTripAnswered("hv-01", message.getRoundTrip(), this);
        }
      }

      @Override
      public void close(String reason) {}

      @Override
      public boolean answersRoundTrips() {
        return true;
      }

      @Override
      public Optional<Instant> certificateNotAfter() {
        return Optional.of(Instant.now().plus(Duration.ofMinutes(1200)));
      }
    };
    server.registry().register("hv-01", HostInventory.newBuilder().setHostName("hv-01")
        .setHypervisorKind(io.failback.proto.v1.HypervisorKind.SIMULATED)
        .addVirtualMachines(VirtualMachine.newBuilder().setId(VM_ID).setName("web-01")
            .setHostName("hv-01").setStateDetail("Running").setGuestOs("Windows Server 2022"))
        .build(), "127.0.0.1:1", "i-1", 0, agent);
    server.registry().probeRoundTrip("hv-01", agent);
  }

  private static Run cli(String... args) {
    return CliRuns.run(args);
  }

  private List<String> connection() {
    return List.of("--controller", "localhost:" + server.port(), "--ca",
        operator.trustBundle().toString(), "--cert", operator.certificate().toString(), "--key",
        operator.privateKey().toString());
  }

  private String[] args(String... command) {
    List<String> all = new ArrayList<>(connection());
    all.addAll(List.of(command));
    return all.toArray(String[]::new);
  }

  @Test
  void hostsListsTheRegisteredHost() {
    Run run = cli(args("hosts"));
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains("hv-01"), run.out());
    assertTrue(run.out().contains("ONLINE"), run.out());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(
        "hv-01 +ONLINE +\\S+ +0\\.[0-9] ms .* expires in (20\\.0|19\\.9) hours")),
        "the round trip and the certificate's expiry in their columns: " + run.out());
    Run detail = cli(args("host", "hv-01"));
    assertTrue(detail.out().contains("round trip  0."), detail.out());
    // The agent's certificate as its connection presented it: 20 hours left.
    assertTrue(detail.out().lines().anyMatch(l -> l.matches(
        "certificate expires \\S+Z \\(in (20\\.0|19\\.9) hours\\)")), detail.out());
  }

  @Test
  void revokedOperatorIsToldWhereToLookForTheReason() throws Exception {
    pki.revoke(operator);
    server.revocations().reloadIfChanged();
    Run run = cli(args("hosts"));
    assertEquals(3, run.exit(), run.toString());
    assertTrue(run.err().contains("error: UNAVAILABLE"), run.err());
    assertTrue(run.err().contains("the TLS handshake failed"), run.err());
    assertTrue(run.err().contains("its log says why"), run.err());
  }

  @Test
  void vmsListsTheVmsAsJson() {
    Run run = cli(args("vms", "--output", "json"));
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains("\"name\": \"web-01\""), run.out());
  }

  @Test
  void itemsSayWhyACloudCopyMayNotBoot() throws Exception {
    server.protectedItems().create(VM_ID, "web-01", "hv-01");
    server.protectedItems().setBootWarning(VM_ID, "the cloud copy may not boot by itself");
    Run run = cli(args("items"));
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains("warning: web-01: the cloud copy may not boot by itself"),
        run.out());
  }

  @Test
  void vmShowsTheGuestsOs() {
    Run run = cli(args("vm", "web-01"));
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains("guest OS    Windows Server 2022\n"), run.out());
  }

  @Test
  void everyReadCommandPrintsTheApiMessageAsJsonAndYaml() throws Exception {
    String job = server.jobs().create("EnableProtection",
        io.failback.proto.v1.FailoverDirection.ON_PREM_TO_CLOUD, "",
        java.util.Map.of(VM_ID, List.of())).getId();
    for (List<String> command : List.of(List.of("hosts"), List.of("host", "hv-01"),
        List.of("vms"), List.of("vm", VM_ID), List.of("items"), List.of("jobs"),
        List.of("job", job), List.of("plan", "list"), List.of("audit"))) {
      for (String format : List.of("json", "yaml")) {
        List<String> args = new ArrayList<>(command);
        args.addAll(List.of("-o", format));
        Run run = cli(args(args.toArray(String[]::new)));
        assertEquals(0, run.exit(), args + ": " + run);
        Object parsed = format.equals("json")
            ? com.google.gson.JsonParser.parseString(run.out())
            : new org.yaml.snakeyaml.Yaml().load(run.out());
        assertTrue(parsed != null, args + " printed nothing");
      }
    }
    Run jobs = cli(args("jobs", "-o", "json", "--state", "queued", "--limit", "1"));
    assertTrue(com.google.gson.JsonParser.parseString(jobs.out()).getAsJsonObject()
        .getAsJsonArray("jobs").get(0).getAsJsonObject().get("id").getAsString().equals(job),
        jobs.out());
    Run table = cli(args("jobs"));
    assertTrue(table.out().startsWith("JOB ID"), table.out());
    assertTrue(table.out().contains("web-01") || table.out().contains(VM_ID), table.out());
  }

  @Test
  void aVmIsNamedByNameOrIdPrefix() {
    for (String ref : List.of("web-01", VM_ID.substring(0, 8), VM_ID)) {
      Run run = cli(args("vm", ref));
      assertEquals(0, run.exit(), ref + ": " + run);
      assertTrue(run.out().contains("web-01 (" + VM_ID + ")"), run.out());
    }
  }

  @Test
  void connectionComesFromTheConfigFile() throws Exception {
    Path config = dir.resolve("cli.properties");
    List<String> c = connection();
    Files.writeString(config, "controller=" + c.get(1) + "\nca=" + c.get(3) + "\ncert="
        + c.get(5) + "\nkey=" + c.get(7) + "\n");
    Run run = cli("--config", config.toString(), "vms", "--host", "hv-01");
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains("web-01"), run.out());
  }

  @Test
  void serverErrorPrintsTheDescriptionAndExitsNonZero() {
    Run run = cli(args("host", "hv-99"));
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, run.exit(), run.toString());
    assertTrue(run.err().contains("NOT_FOUND: no agent has registered host 'hv-99'"),
        run.err());
  }

  @Test
  void missingConnectionOptionIsNamed() {
    Run run = cli("hosts");
    assertTrue(run.exit() != 0);
    assertTrue(run.err().contains("missing --controller"), run.err());
  }

  @Test
  void agentCertificateIsRefusedWithTheReason() throws Exception {
    TlsFiles agent = pki.agent("hv-01");
    Run run = cli("--controller", "localhost:" + server.port(), "--ca",
        agent.trustBundle().toString(), "--cert", agent.certificate().toString(), "--key",
        agent.privateKey().toString(), "hosts");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, run.exit(), run.toString());
    assertTrue(run.err().contains("PERMISSION_DENIED"), run.err());
  }
}
