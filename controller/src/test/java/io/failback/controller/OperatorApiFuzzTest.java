package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.failback.common.testing.ArbitraryMessages;
import io.failback.common.testing.RawCalls;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every RPC of the operator API, fed arbitrary requests (huge, Unicode and traversal strings,
 * unknown enum numbers, extreme numbers, thousands of repeated items, unknown fields, bytes that
 * do not parse) through the controller's real wiring: the answer is never UNKNOWN or INTERNAL
 * (a request the controller failed to judge) and its description stays within the bound.
 */
class OperatorApiFuzzTest {
  private static final List<ServiceDescriptor> OPERATOR_API = List.of(
      FailoverServiceGrpc.getServiceDescriptor(), InventoryServiceGrpc.getServiceDescriptor(),
      JobServiceGrpc.getServiceDescriptor(), RecoveryPlanServiceGrpc.getServiceDescriptor(),
      CloudSimulationServiceGrpc.getServiceDescriptor());
  private static final List<MethodDescriptor<?, ?>> METHODS = OPERATOR_API.stream()
      .flatMap(service -> service.getMethods().stream())
      .sorted(Comparator.comparing(MethodDescriptor::getFullMethodName)).toList();
  /** Ids in the right form, so that some requests get past validation to a lookup. */
  private static final List<String> IDS = Stream.generate(() -> UUID.randomUUID().toString())
      .limit(3).toList();

  private static Path dir;
  private static InProcessController controller;
  private static ManagedChannel channel;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("operator-fuzz");
    controller = InProcessController.start(dir, pki -> pki.operator("fuzz"));
    channel = controller.channel();
  }

  @AfterContainer
  static void stop() throws Exception {
    channel.shutdownNow();
    controller.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  /** One arbitrary request for every method, in {@link #METHODS} order. */
  @Provide
  Arbitrary<List<byte[]>> requests() {
    List<Arbitrary<byte[]>> each = METHODS.stream().map(method -> ArbitraryMessages
        .of(prototype(method))
        .withField("vm_id", IDS).withField("vm_ids", IDS).withField("job_id", IDS)
        .withField("host_name", List.of("hv-01", "HV-01", "..")).wire()).toList();
    return Combinators.combine(each).as(requests -> requests);
  }

  @Property(tries = 60)
  void everyAnswerIsAJudgementWithABoundedDescription(
      @ForAll("requests") List<byte[]> requests) {
    for (int i = 0; i < METHODS.size(); i++) {
      MethodDescriptor<?, ?> method = METHODS.get(i);
      Status status = call(method, requests.get(i));
      String what = method.getFullMethodName() + " answered " + status;
      assertNotEquals(Status.Code.UNKNOWN, status.getCode(), what);
      assertNotEquals(Status.Code.INTERNAL, status.getCode(), what);
      String description = status.getDescription();
      assertTrue(description == null || description.getBytes(StandardCharsets.UTF_8).length
          <= BoundedText.MAX_DESCRIPTION_BYTES, what);
    }
  }

  private static Status call(MethodDescriptor<?, ?> method, byte[] request) {
    try {
      RawCalls.unary(channel, method, request, 10_000);
      return Status.OK;
    } catch (RuntimeException e) {
      return Status.fromThrowable(e);
    }
  }

  private static Message prototype(MethodDescriptor<?, ?> method) {
    return (Message) ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
        .getMessagePrototype();
  }
}
