package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.RawCalls;
import io.failback.common.text.BoundedText;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Whatever a service closes a call with, the caller gets a bounded description. */
class BoundedDescriptionsTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();

  /** A service that echoes its input in full, as the controller once did with a 1 MiB id. */
  private static final class Echoing extends HealthGrpc.HealthImplBase {
    @Override
    public void check(HealthCheckRequest request,
        StreamObserver<HealthCheckResponse> responses) {
      responses.onError(Status.NOT_FOUND.withDescription("no service '" + request.getService()
          + "'").asRuntimeException());
    }
  }

  @Test
  void aHugeDescriptionIsTruncatedAndSaysSo() throws Exception {
    String name = InProcessServerBuilder.generateName();
    cleanup.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new Echoing(), new BoundedDescriptions()))
        .build().start()::shutdownNow);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    cleanup.register(channel::shutdownNow);

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
            .setService("x".repeat(1 << 20)).build()));

    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    String description = e.getStatus().getDescription();
    assertTrue(description.getBytes(StandardCharsets.UTF_8).length
        <= BoundedText.MAX_DESCRIPTION_BYTES, description.length() + " chars");
    assertTrue(description.startsWith("no service 'xxx"), description);
    assertTrue(description.endsWith("[truncated: 1048589 bytes in all]"), description);
  }

  @Test
  void aRequestThatDoesNotParseIsInvalidArgumentNotUnknown() throws Exception {
    String name = InProcessServerBuilder.generateName();
    cleanup.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(MalformedRequests.refuse(new Echoing().bindService()))
        .build().start()::shutdownNow);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    cleanup.register(channel::shutdownNow);
    // Field 1 (service, a string) holding bytes that are not UTF-8.
    byte[] notUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28};

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> RawCalls.unary(channel, HealthGrpc.getCheckMethod(), notUtf8));

    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().startsWith("the request is not a valid"
        + " grpc.health.v1.Health/Check request message"), e.getStatus().getDescription());
  }
}
