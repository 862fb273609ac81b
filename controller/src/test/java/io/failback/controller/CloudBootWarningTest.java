package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.EfiBootDisk;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.grpc.ManagedChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generation 2 guest whose boot loader is only where its NVRAM entry points (Debian's GRUB
 * by default): its cloud copy starts without that entry and would not boot. Protection reads
 * the replica's EFI system partition and says so, in the job and on the item (operator API,
 * mutual TLS); once the guest also has the removable-media loader, a delta cycle clears it.
 */
class CloudBootWarningTest {
  private static final long DISK = 32L << 20; // the seeded VM's system disk

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aGuestWithoutTheRemovableMediaLoaderIsWarnedOfUntilItHasIt() throws Exception {
    TinyGuest guest = TinyGuest.require();
    GuestScript script = new GuestScript().awaitAcpiShutdown();
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> OnPremDisks.replaceSystemDisk(host, EfiBootDisk.write(dir.resolve("debian.img"),
            DISK, guest, script, "debian", "shimx64.efi")), false);
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(() -> channel.shutdownNow());
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    var lifecycle = fixture.controller.server.lifecycle();

    Job protect = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    String warning = "the cloud copy may not boot by itself: its EFI system partition has no"
        + " \\EFI\\BOOT\\BOOTX64.EFI, only \\EFI\\DEBIAN\\SHIMX64.EFI (disk 0); this cloud"
        + " keeps no boot entries; it starts without the on-prem VM's boot entries";
    assertTrue(protect.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .startsWith("boot check: " + warning)), protect.toString());
    String said = failover.getProtectedItem(GetProtectedItemRequest.newBuilder()
        .setVmId(fixture.vmId).build()).getBootWarning();
    assertTrue(said.startsWith(warning) && said.contains("grub-install --force-extra-removable"),
        said);

    fixture.controller.server.lifecycle().replicateNow(fixture.vmId);
    assertTrue(fixture.item().getBootWarning().startsWith(warning), "still without the loader");

    // The guest installs its loader at the removable-media path too: the disk then is what
    // such a disk is, and the next cycle carries it into the replica.
    byte[] fixed = Files.readAllBytes(EfiBootDisk.write(dir.resolve("fixed.img"), DISK, guest,
        script));
    try (BlockDevice disk = BlockDevices.open(fixture.onPremDisk(0), true)) {
      disk.write(0, ByteBuffer.wrap(fixed));
      disk.flush();
    }
    fixture.controller.server.lifecycle().replicateNow(fixture.vmId);
    assertEquals("", failover.getProtectedItem(GetProtectedItemRequest.newBuilder()
        .setVmId(fixture.vmId).build()).getBootWarning(), "cleared once the replica has it");
  }
}
