package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.ControllerMessage;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An agent's control stream reduced to what tests look at: what arrives, and how it ends. */
final class ControlStreamProbe implements StreamObserver<ControllerMessage> {
  final BlockingQueue<ControllerMessage> received = new LinkedBlockingQueue<>();
  final CompletableFuture<Status> ended = new CompletableFuture<>();
  /** What the test sends, where it opened the stream itself. */
  StreamObserver<AgentMessage> requests;

  /** Opens Connect on {@code channel} and registers as {@code hostName}. */
  static ControlStreamProbe register(ManagedChannel channel, String hostName) {
    ControlStreamProbe probe = new ControlStreamProbe();
    StreamObserver<AgentMessage> requests = AgentServiceGrpc.newStub(channel).connect(probe);
    requests.onNext(MutualTlsTest.register(hostName));
    return probe;
  }

  /** Opens Connect on {@code channel} and registers as agent process {@code instance}'s
   * {@code sequence}-th stream of {@code hostName}. */
  static ControlStreamProbe register(ManagedChannel channel, String hostName, String instance,
      long sequence) {
    ControlStreamProbe probe = new ControlStreamProbe();
    AgentMessage register = MutualTlsTest.register(hostName);
    probe.requests = AgentServiceGrpc.newStub(channel).connect(probe);
    probe.requests.onNext(register.toBuilder().setRegister(register.getRegister().toBuilder()
        .setAgentInstanceId(instance).setStreamSequence(sequence)).build());
    return probe;
  }

  /** The next message from the controller; fails the test after 10 seconds. */
  ControllerMessage next() throws InterruptedException {
    ControllerMessage message = received.poll(10, TimeUnit.SECONDS);
    assertTrue(message != null, "no message from the controller; stream ended with "
        + ended.getNow(null));
    return message;
  }

  /** How the stream ended; fails the test after 10 seconds. */
  Status awaitEnd() throws Exception {
    return ended.get(10, TimeUnit.SECONDS);
  }

  @Override
  public void onNext(ControllerMessage message) {
    received.add(message);
  }

  @Override
  public void onError(Throwable t) {
    ended.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    ended.complete(Status.OK);
  }
}
