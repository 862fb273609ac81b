package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.PowerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running VM is replicated from a read point over real mTLS: the copy is the disks as they
 * were when the read point froze them, whatever the guest writes meanwhile, and the next cycle
 * sends exactly those writes. Nothing of the read points is left behind.
 */
class RunningVmReadPointTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  /** Runs once, right after the next read point is made: the guest writing during a cycle. */
  private final AtomicReference<GuestWrites> afterNextReadPoint = new AtomicReference<>();
  private final AtomicInteger readPoints = new AtomicInteger();

  @FunctionalInterface
  private interface GuestWrites {
    void write() throws Exception;
  }

  @Test
  void theCopyIsTheFrozenDiskAndWritesDuringTheCycleComeWithTheNext() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withDriver(dir, cleanup,
        GuestWritingHost::new);
    assertEquals(PowerState.RUNNING, fixture.onPremVm().getPowerState());
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    Job protection = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertTrue(readPoints.get() >= 1, "the running VM was read through a read point");
    List<String> steps = protection.getTimelineList().stream().map(JobStep::getDescription)
        .toList();
    for (int i = 0; i < 2; i++) {
      String disk = fixture.onPremDisk(i).toString();
      // The simulated host copies the disks: the sessions waited for that, and say so.
      assertTrue(steps.stream().anyMatch(step -> step.startsWith("disk")
          && step.contains(disk) && step.contains(" copied as read point sim-rp-")
          && step.matches(".* \\(the host took [0-9]+\\.[0-9] s to make it\\)")), steps
          .toString());
    }

    BitSet before0 = fixture.scribbleOnPrem(0, 5, 41);
    BitSet before1 = fixture.scribbleOnPrem(1, 3, 42);
    List<byte[]> frozen = new ArrayList<>();
    List<BitSet> during = new ArrayList<>();
    afterNextReadPoint.set(() -> {
      frozen.add(fixture.onPremBytes(0));
      frozen.add(fixture.onPremBytes(1));
      during.add(fixture.scribbleOnPrem(0, 4, 43));
      during.add(fixture.scribbleOnPrem(1, 2, 44));
    });
    List<SyncOutcome> cycle = lifecycle.replicateNow(fixture.vmId);
    assertEquals(2, during.size(), "the guest wrote while the cycle ran");
    assertSent(cycle, before0.cardinality(), before1.cardinality());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(frozen.get(i), fixture.cloudBytes(cloudVm, i),
          "cloud disk " + i + " is the on-prem disk as the read point froze it");
    }

    List<SyncOutcome> next = lifecycle.replicateNow(fixture.vmId);
    assertSent(next, during.get(0).cardinality(), during.get(1).cardinality());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertNothingLeft(fixture);
  }

  @Test
  void aHostThatCannotCheckpointAnOffVmStillFailsItOverToTheCloud() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withDriver(dir, cleanup,
        host -> new ForwardingHypervisor(host) {
          @Override
          public ReadPoint createReadPoint(String vmId) throws IOException {
            if (inventory().getVirtualMachinesList().stream().anyMatch(vm -> vm.getId()
                .equalsIgnoreCase(vmId) && vm.getPowerState() == PowerState.OFF)) {
              throw new IOException("CreateSnapshot returned 32775 (invalid state)");
            }
            return super.createReadPoint(vmId);
          }
        });
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    fixture.scribbleOnPrem(0, 3, 51);
    fixture.scribbleOnPrem(1, 2, 52);
    // The final delta runs with the on-prem VM Off: no read point, so the disks are read in
    // place, with checksums.
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    assertEquals(PowerState.OFF, fixture.onPremVm().getPowerState());
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  private static void assertSent(List<SyncOutcome> outcomes, long disk0, long disk1) {
    assertEquals(List.of(disk0, disk1), outcomes.stream()
        .map(o -> o.agent().getBlocksSent() + o.agent().getBlocksZero()).toList(),
        outcomes.toString());
    outcomes.forEach(o -> assertTrue(o.digestsMatch(), o.toString()));
  }

  /** Every read point ended: no frozen copies on the host, none recorded by the agent. */
  private static void assertNothingLeft(LifecycleFixture fixture) throws IOException {
    for (Path folder : List.of(fixture.hostDir.resolve("read-points"),
        fixture.hostDir.resolve(".agent").resolve("read-points"))) {
      if (Files.exists(folder)) {
        try (var left = Files.list(folder)) {
          assertEquals(List.of(), left.toList(), folder.toString());
        }
      }
    }
  }

  /** The simulated host, with a guest that may write right after a read point is made. */
  private final class GuestWritingHost extends ForwardingHypervisor {
    GuestWritingHost(HypervisorDriver inner) {
      super(inner);
    }

    @Override
    public ReadPoint createReadPoint(String vmId) throws IOException {
      ReadPoint point = super.createReadPoint(vmId);
      readPoints.incrementAndGet();
      GuestWrites writes = afterNextReadPoint.getAndSet(null);
      if (writes != null) {
        try {
          writes.write();
        } catch (Exception e) {
          throw new IOException(e);
        }
      }
      return point;
    }
  }
}
