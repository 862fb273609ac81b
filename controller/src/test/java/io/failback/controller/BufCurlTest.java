package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The operator API through an independent client: the real {@code buf curl} binary. */
class BufCurlTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  ControllerFixture controller;

  @BeforeEach
  void start() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
  }

  @Test
  void listsTheFailbackServicesThroughReflection() throws Exception {
    Result result = bufCurl(controller.pki.operator("ops"), "--list-services",
        "https://localhost:" + controller.port());
    assertEquals(0, result.exit(), result.toString());
    for (String service : List.of("failback.v1.AgentService", "failback.v1.InventoryService",
        "failback.v1.RecoveryPlanService", "failback.v1.FailoverService",
        "failback.v1.JobService")) {
      assertTrue(result.out().contains(service), service + " missing: " + result);
    }
  }

  @Test
  void operatorCallsListHosts() throws Exception {
    registerHost("hv-01");
    Result result = bufCurl(controller.pki.operator("ops"), "-d", "{}",
        "https://localhost:" + controller.port() + "/failback.v1.InventoryService/ListHosts");
    assertEquals(0, result.exit(), result.toString());
    assertTrue(result.out().contains("\"name\": \"hv-01\""), result.toString());
    assertTrue(result.out().contains("\"status\": \"ONLINE\""), result.toString());
  }

  @Test
  void agentCertificateGetsPermissionDenied() throws Exception {
    Result result = bufCurl(controller.pki.agent("hv-01"), "--schema",
        descriptorSet().toString(), "-d", "{}",
        "https://localhost:" + controller.port() + "/failback.v1.InventoryService/ListHosts");
    // buf curl exits with the gRPC status code times 8.
    assertEquals(Status.Code.PERMISSION_DENIED.value() * 8, result.exit(), result.toString());
    assertTrue(result.err().contains("permission_denied"), result.toString());
  }

  @Test
  void operatorCreatesARecoveryPlanAndAnUnknownVmIsNamed() throws Exception {
    String db = "4B3C0000-0000-4000-8000-0000000000DB";
    String ghost = "deadbeef-0000-4000-8000-000000000000";
    controller.server.protectedItems().create(db, "db-01", "hv-01");
    String url = "https://localhost:" + controller.port()
        + "/failback.v1.RecoveryPlanService/CreateRecoveryPlan";

    Result created = bufCurl(controller.pki.operator("ops"), "-d", "{\"plan\": {\"name\":"
        + " \"tiers\", \"groups\": [{\"vmIds\": [\"" + db.toLowerCase(java.util.Locale.ROOT)
        + "\"], \"delayAfter\": \"300s\"}]}}",
        url);
    assertEquals(0, created.exit(), created.toString());
    assertTrue(created.out().contains("\"" + db + "\"")
        && created.out().contains("\"delayAfter\": \"300s\""), created.toString());
    assertEquals(1, controller.server.recoveryPlans().list().size());

    Result unknown = bufCurl(controller.pki.operator("ops"), "-d", "{\"plan\": {\"name\":"
        + " \"web\", \"groups\": [{\"vmIds\": [\"" + ghost + "\"]}]}}", url);
    assertEquals(Status.Code.INVALID_ARGUMENT.value() * 8, unknown.exit(), unknown.toString());
    assertTrue(unknown.err().contains("group 1: vm '" + ghost + "' is not a protected item"),
        unknown.toString());
    assertEquals(1, controller.server.recoveryPlans().list().size());
  }

  /** Agents may not use reflection, so the agent case reads the schema from the protos. */
  private Path descriptorSet() throws Exception {
    Path image = dir.resolve("failback.binpb");
    Path protoRoot = RepoPaths.root().resolve("proto/src/main/proto");
    Result build = run(List.of(buf().toString(), "build", protoRoot.toString(), "-o",
        image.toString()));
    assertEquals(0, build.exit(), build.toString());
    return image;
  }

  private void registerHost(String host) throws Exception {
    ManagedChannel channel = controller.channel(controller.pki.agent(host));
    cleanup.register(channel::shutdownNow);
    CompletableFuture<io.failback.proto.v1.ControllerMessage> registered =
        new CompletableFuture<>();
    StreamObserver<AgentMessage> requests = AgentServiceGrpc.newStub(channel)
        .connect(MutualTlsTest.observer(new CompletableFuture<Status>(), registered));
    requests.onNext(MutualTlsTest.register(host));
    registered.get(10, TimeUnit.SECONDS);
  }

  private Result bufCurl(TlsFiles identity, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(buf().toString(), "curl", "--protocol",
        "grpc", "--cacert", identity.trustBundle().toString(), "--cert",
        identity.certificate().toString(), "--key", identity.privateKey().toString()));
    command.addAll(List.of(args));
    return run(command);
  }

  private Result run(List<String> command) throws IOException, InterruptedException {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("buf did not finish: " + command);
    }
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** The buf binary installed by tools/install-test-deps (npm @bufbuild/buf). */
  private static Path buf() {
    String configured = System.getenv("FAILBACK_BUF");
    Path path = configured != null ? Path.of(configured)
        : RepoPaths.root().resolve("tools/buf/node_modules/.bin/buf");
    if (!Files.isExecutable(path)) {
      fail("buf not found at " + path + "; run tools/install-test-deps (npm @bufbuild/buf)");
    }
    return path;
  }

  private record Result(int exit, String out, String err) {}
}
