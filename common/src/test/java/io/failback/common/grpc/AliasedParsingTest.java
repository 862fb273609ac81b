package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.failback.proto.v1.SyncFrame;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AliasedParsingTest {
  private static final MethodDescriptor.Marshaller<SyncDiskResponse> RESPONSES =
      AliasedParsing.marshaller(SyncDiskResponse.getDefaultInstance());

  @Test
  void aBlockSharesTheArrayItsFrameArrivedIn() throws IOException {
    byte[] block = randomBlock(1);
    SyncDiskResponse parsed = RESPONSES.parse(RESPONSES.stream(frame(block)));

    ByteString data = parsed.getFrame().getBlock().getData();
    assertArrayEquals(block, data.toByteArray());
    Backing backing = Backing.of(data);
    // An alias starts inside the frame's array, after the fields before it; a copy is an
    // array of its own, from offset 0.
    assertTrue(backing.offset > 0 && backing.array.length > block.length,
        "offset " + backing.offset + " in an array of " + backing.array.length);
    // grpc's own parser, on the same bytes, copies: what this class saves.
    SyncDiskResponse copied = ProtoUtils.marshaller(SyncDiskResponse.getDefaultInstance())
        .parse(new ByteArrayInputStream(frame(block).toByteArray()));
    assertEquals(0, Backing.of(copied.getFrame().getBlock().getData()).offset);
  }

  @Test
  void eachMessageKeepsItsOwnBytes() throws IOException {
    byte[] first = randomBlock(2);
    byte[] second = randomBlock(3);
    SyncDiskResponse one = RESPONSES.parse(RESPONSES.stream(frame(first)));
    SyncDiskResponse two = RESPONSES.parse(RESPONSES.stream(frame(second)));
    // grpc reuses one buffer per thread: an alias into it would now read the second block.
    assertArrayEquals(first, one.getFrame().getBlock().getData().toByteArray());
    assertArrayEquals(second, two.getFrame().getBlock().getData().toByteArray());
  }

  @Test
  void bytesThatDoNotParseAreInternalAsGrpcHasIt() {
    InputStream truncated = new ByteArrayInputStream(
        java.util.Arrays.copyOf(frame(randomBlock(4)).toByteArray(), 1000));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> RESPONSES.parse(truncated));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
  }

  /**
   * Over a gRPC call both ways: the server's request (parsed by MalformedRequests) and the
   * client's answer (the agent's marshaller) each alias their frame.
   */
  @Test
  void bothEndsOfACallAliasTheirBlocks() throws Exception {
    byte[] up = randomBlock(5);
    byte[] down = randomBlock(6);
    CompletableFuture<ByteString> received = new CompletableFuture<>();
    AgentServiceGrpc.AgentServiceImplBase service = new AgentServiceGrpc.AgentServiceImplBase() {
      @Override
      public StreamObserver<SyncDiskRequest> syncDisk(
          StreamObserver<SyncDiskResponse> responses) {
        return new StreamObserver<>() {
          @Override
          public void onNext(SyncDiskRequest request) {
            received.complete(request.getFrame().getBlock().getData());
            responses.onNext(frame(down));
            responses.onCompleted();
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        };
      }
    };
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name)
        .addService(MalformedRequests.refuse(service.bindService())).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      MethodDescriptor<SyncDiskRequest, SyncDiskResponse> method =
          AgentServiceGrpc.getSyncDiskMethod().toBuilder(
              ProtoUtils.marshaller(SyncDiskRequest.getDefaultInstance()), RESPONSES).build();
      CompletableFuture<ByteString> answered = new CompletableFuture<>();
      StreamObserver<SyncDiskRequest> requests = ClientCalls.asyncBidiStreamingCall(
          channel.newCall(method, io.grpc.CallOptions.DEFAULT), new StreamObserver<>() {
            @Override
            public void onNext(SyncDiskResponse response) {
              answered.complete(response.getFrame().getBlock().getData());
            }

            @Override
            public void onError(Throwable t) {
              answered.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      requests.onNext(SyncDiskRequest.newBuilder().setFrame(frame(up).getFrame()).build());
      requests.onCompleted();
      ByteString atServer = received.get(10, TimeUnit.SECONDS);
      ByteString atClient = answered.get(10, TimeUnit.SECONDS);
      assertArrayEquals(up, atServer.toByteArray());
      assertArrayEquals(down, atClient.toByteArray());
      assertTrue(Backing.of(atServer).offset > 0, "the server's request copied its block");
      assertTrue(Backing.of(atClient).offset > 0, "the client's answer copied its block");
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  private static SyncDiskResponse frame(byte[] block) {
    return SyncDiskResponse.newBuilder().setFrame(SyncFrame.newBuilder().setBlock(
        BlockPayload.newBuilder().setBlockIndex(7).setRawLength(block.length)
            .setData(ByteString.copyFrom(block)).setDigest(ByteString.copyFrom(new byte[16]))))
        .build();
  }

  private static byte[] randomBlock(long seed) {
    byte[] block = new byte[64 << 10];
    new Random(seed).nextBytes(block);
    return block;
  }

  /** The array and offset a flat ByteString holds its bytes at (as BackingArray finds them). */
  private static final class Backing extends ByteOutput {
    byte[] array;
    int offset = -1;

    static Backing of(ByteString bytes) throws IOException {
      Backing backing = new Backing();
      UnsafeByteOperations.unsafeWriteTo(bytes, backing);
      return backing;
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      array = value;
      this.offset = offset;
    }

    @Override
    public void write(byte value) {}

    @Override
    public void write(byte[] value, int offset, int length) {}

    @Override
    public void write(ByteBuffer value) {}

    @Override
    public void writeLazy(ByteBuffer value) {}
  }
}
