package io.failback.controller.cli;

import io.failback.common.grpc.ControllerTargets;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.grpc.TransportLimits;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;

/** One operator connection to the controller, over mutual TLS with host-name verification. */
final class OperatorClient implements AutoCloseable {
  private static final long DEADLINE_SECONDS = 30;

  private final ManagedChannel channel;

  /** Over {@code channel}, which it closes; {@link #connect} makes the operator's. */
  OperatorClient(ManagedChannel channel) {
    this.channel = channel;
  }

  /**
   * Given several controllers, a call made during a takeover waits for the new active one
   * (until its deadline), saying so once on {@code err}.
   */
  static OperatorClient connect(String controller, TlsFiles tls, PrintWriter err)
      throws IOException {
    TlsMaterial material = TlsMaterial.load(tls, true);
    ManagedChannelBuilder<?> builder = ControllerTargets.oneShotChannelBuilder(controller,
        material.channelCredentials());
    if (ControllerTargets.several(controller)) {
      builder.intercept(new SayingWhileWaiting(err, controller).interceptor());
    }
    return new OperatorClient(TransportLimits.DEFAULTS.applyToOperatorChannel(builder)
        .build());
  }

  InventoryServiceGrpc.InventoryServiceBlockingStub inventory() {
    return InventoryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  io.failback.proto.v1.HostServiceGrpc.HostServiceBlockingStub hostAdmin() {
    return io.failback.proto.v1.HostServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  io.failback.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub certificates() {
    return io.failback.proto.v1.CertificateServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  FailoverServiceGrpc.FailoverServiceBlockingStub failover() {
    return FailoverServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  JobServiceGrpc.JobServiceBlockingStub jobs() {
    return JobServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  RecoveryPlanServiceGrpc.RecoveryPlanServiceBlockingStub plans() {
    return RecoveryPlanServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  io.failback.proto.v1.BandwidthServiceGrpc.BandwidthServiceBlockingStub bandwidth() {
    return io.failback.proto.v1.BandwidthServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  CloudSimulationServiceGrpc.CloudSimulationServiceBlockingStub simulation() {
    return CloudSimulationServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  /** For WatchJob: no deadline, a watch lasts as long as the job. */
  JobServiceGrpc.JobServiceBlockingStub watch() {
    return JobServiceGrpc.newBlockingStub(channel);
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
