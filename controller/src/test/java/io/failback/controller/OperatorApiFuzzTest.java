package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.failback.common.testing.ArbitraryMessages;
import io.failback.common.testing.RawCalls;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every RPC of the operator API, fed random requests (huge, Unicode and traversal strings,
 * unknown enum numbers, extreme numbers, thousands of repeated items, unknown fields, bytes that
 * do not parse) through the controller's real wiring: the answer is never UNKNOWN or INTERNAL
 * (a request the controller failed to judge) and its description stays within the bound.
 * Each try is seeded; a failure names its seed, and {@code -Dfuzz.seed=N} replays it.
 */
class OperatorApiFuzzTest {
  static final int TRIES = 60;
  private static final List<ServiceDescriptor> OPERATOR_API = List.of(
      FailoverServiceGrpc.getServiceDescriptor(), InventoryServiceGrpc.getServiceDescriptor(),
      HostServiceGrpc.getServiceDescriptor(), JobServiceGrpc.getServiceDescriptor(),
      RecoveryPlanServiceGrpc.getServiceDescriptor(),
      CloudSimulationServiceGrpc.getServiceDescriptor(),
      io.failback.proto.v1.CertificateServiceGrpc.getServiceDescriptor(),
      io.failback.proto.v1.EnrollmentServiceGrpc.getServiceDescriptor());
  private static final List<MethodDescriptor<?, ?>> METHODS = OPERATOR_API.stream()
      .flatMap(service -> service.getMethods().stream())
      .sorted(Comparator.comparing(MethodDescriptor::getFullMethodName)).toList();
  /** Ids in the right form, so that some requests get past validation to a lookup. */
  private static final List<String> IDS = Stream.generate(() -> UUID.randomUUID().toString())
      .limit(3).toList();

  @RegisterExtension
  static final InProcessControllerExtension IN_PROCESS =
      new InProcessControllerExtension(pki -> pki.operator("fuzz"));

  /** The seeds to run: {@code fuzz.seed} alone when set, else {@link #TRIES} fresh ones. */
  static List<Long> seeds() {
    String replay = System.getProperty("fuzz.seed");
    if (replay != null) {
      return List.of(Long.parseLong(replay));
    }
    Random seeds = new Random();
    return Stream.generate(seeds::nextLong).limit(TRIES).toList();
  }

  @Test
  void everyAnswerIsAJudgementWithABoundedDescription() {
    for (long seed : seeds()) {
      Random random = new Random(seed);
      for (MethodDescriptor<?, ?> method : METHODS) {
        byte[] request = ArbitraryMessages.of(prototype(method))
            .withField("vm_id", IDS).withField("vm_ids", IDS).withField("job_id", IDS)
            .withField("host_name", List.of("hv-01", "HV-01", "..")).wire(random);
        assertJudged(method, call(method, request), seed);
      }
    }
  }

  /** Not UNKNOWN or INTERNAL, and a description within the bound. */
  static void assertJudged(MethodDescriptor<?, ?> method, Status status, long seed) {
    if (status == null) {
      return; // a stream the server keeps open: nothing went wrong
    }
    String what = method.getFullMethodName() + " answered " + status + " (seed " + seed + ")";
    assertNotEquals(Status.Code.UNKNOWN, status.getCode(), what);
    assertNotEquals(Status.Code.INTERNAL, status.getCode(), what);
    String description = status.getDescription();
    assertTrue(description == null || description.getBytes(StandardCharsets.UTF_8).length
        <= BoundedText.MAX_DESCRIPTION_BYTES, what);
  }

  private static Status call(MethodDescriptor<?, ?> method, byte[] request) {
    try {
      RawCalls.unary(IN_PROCESS.channel(), method, request, 10_000);
      return Status.OK;
    } catch (RuntimeException e) {
      return Status.fromThrowable(e);
    }
  }

  static Message prototype(MethodDescriptor<?, ?> method) {
    return (Message) ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
        .getMessagePrototype();
  }
}
