package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.ProtectedItem;
import io.grpc.ManagedChannel;

/** What tests of the operator API over mutual TLS ask and check, as an operator would. */
final class OperatorCalls {
  private OperatorCalls() {}

  /** The failover service as operator "ops" reaches it; the channel closes with the test. */
  static FailoverServiceBlockingStub failover(LifecycleFixture fixture, GrpcCleanup cleanup)
      throws Exception {
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(() -> channel.shutdownNow());
    return FailoverServiceGrpc.newBlockingStub(channel);
  }

  /** EnableProtection of the fixture's VM, to its success. */
  static Job protect(FailoverServiceBlockingStub failover, LifecycleFixture fixture)
      throws Exception {
    return fixture.awaitState(failover.enableProtection(EnableProtectionRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
  }

  /** The fixture's item, as GetProtectedItem answers. */
  static ProtectedItem item(FailoverServiceBlockingStub failover, LifecycleFixture fixture) {
    return failover.getProtectedItem(GetProtectedItemRequest.newBuilder()
        .setVmId(fixture.vmId).build());
  }

  /** A step of the job's timeline contains {@code text}. */
  static void assertStep(Job job, String text) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(text)), text + " not in " + job.getTimelineList());
  }
}
