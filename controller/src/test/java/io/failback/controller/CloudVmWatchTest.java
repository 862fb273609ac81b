package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed-over VM whose cloud copy stops without the controller asking (its guest powered off)
 * is down: the item says so with when it was seen, the metric counts it, until RestartCloudVm
 * starts it; a cloud VM a failback stopped on purpose is no such warning.
 */
class CloudVmWatchTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aCloudVmThatStoppedByItselfIsSaidUntilItRunsAgain() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    ControllerServer server = fixture.controller.server;
    Lifecycle lifecycle = server.lifecycle();
    Cloud cloud = server.cloud();
    lifecycle.settleDue(java.time.Duration.ofMinutes(1));
    assertEquals("", fixture.item().getCloudVmWarning(), "it runs");
    assertEquals(0, down(server, fixture.vmId));

    cloud.shutdown(cloudVm); // as its guest powering off does
    lifecycle.settleDue(java.time.Duration.ofMinutes(1));
    ProtectedItem down = fixture.item();
    assertTrue(down.getCloudVmWarning().startsWith("cloud VM " + cloudVm + " is OFF (seen ")
        && down.getCloudVmWarning().endsWith("the failed-over VM is down; its guest powered off"
            + " or crashed, or it was stopped outside Failback. RestartCloudVm starts it"),
        down.getCloudVmWarning());
    assertEquals(1, down(server, fixture.vmId));
    lifecycle.settleDue(java.time.Duration.ofMinutes(1));
    assertEquals(down.getCloudVmWarning(), fixture.item().getCloudVmWarning(),
        "the first sighting is kept");
    assertEquals(PowerState.OFF, cloud.get(cloudVm).orElseThrow().state(), "not started by it");

    fixture.awaitState(lifecycle.restartCloudVm(Targets.of(List.of(fixture.vmId)),
        CloudDevices.CLOUD_DEVICES_UNSPECIFIED, false), JobState.JOB_SUCCEEDED);
    lifecycle.settleDue(java.time.Duration.ofMinutes(1));
    assertEquals("", fixture.item().getCloudVmWarning(), "runs again");
    assertEquals(0, down(server, fixture.vmId));

    // A full download stops the cloud VM on purpose; the item moves on, and nothing is said.
    cloud.shutdown(cloudVm);
    lifecycle.settleDue(java.time.Duration.ofMinutes(1));
    assertTrue(!fixture.item().getCloudVmWarning().isEmpty());
    Job failback = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState(),
        failback.toString());
    lifecycle.settleDue(java.time.Duration.ofMinutes(1));
    assertEquals("", fixture.item().getCloudVmWarning());
  }

  /** The controller's gauge of the item's cloud VM being down, as a scrape shows it. */
  private static double down(ControllerServer server, String vmId) {
    server.metrics().refresh();
    return Scrape.parse(server.metrics().registry().scrape())
        .value("failback_item_cloud_vm_down", "vm", vmId);
  }
}
