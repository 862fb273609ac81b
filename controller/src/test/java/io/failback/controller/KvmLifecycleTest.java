package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.failback.agent.hyperv.simulated.SimulatedBoot;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.cloud.kvm.DirectKernelBoot;
import io.failback.controller.cloud.kvm.KvmTestCloud;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.TransferOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DR loop with a real cloud VM: the controller on the KVM cloud (embedded libvirt, QEMU TCG),
 * the tiny guest booting on the replicated disks and writing while it is failed back; and, once
 * back, the on-prem VM booting for real on the simulated host, its guest reading that data.
 */
class KvmLifecycleTest {
  private static final int MIB = 1 << 20;
  private static final long LOOP_AT = 16L * MIB;
  private static final int LOOP = 256 << 10;
  /** The failback's blocks, asked for: 16 KiB, a quarter of the dirty bitmap's granule. */
  private static final int BLOCK = 16 << 10;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void protectFailOverToABootingGuestThenFailBackWhileItWritesAndTheOnPremGuestReadsItsData()
      throws Exception {
    TinyGuest guest = TinyGuest.require();
    AtomicReference<GuestScript> nextBoot = new AtomicReference<>();
    CloudChoice kvm = kvm(guest, Duration.ofSeconds(30), () -> nextBoot.getAndSet(null));
    SimulatedBoot onPremBoot = SimulatedBoot.of(guest.kernel(), guest.initrd());
    LifecycleFixture fixture = LifecycleFixture.withCloud(dir, cleanup, kvm,
        KvmLifecycleTest::smallVm, onPremBoot);
    SimulatedHypervisor onPremHost = new SimulatedHypervisor(fixture.hostDir, onPremBoot);
    cleanup.register(() -> onPremHost.stopVm(fixture.vmId, true));
    // Runs before the controller closes (last registered, first closed): no VM outlives the test.
    cleanup.register(() -> KvmTestCloud.removeAll(fixture.controller.server.cloud()));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    AtomicBoolean stopConsole = new AtomicBoolean();
    cleanup.register(() -> stopConsole.set(true));

    // Protect: a qcow2 domain shaped like the on-prem VM, written through qemu-nbd.
    Job protect = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    // The embedded libvirt driver has no networks: the job says the adapter stays unplugged.
    assertTrue(protect.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "created (off) with virtio devices (the guest does not say its OS;")
        && s.getDescription().contains("left unplugged")), protect.toString());
    String cloudVm = fixture.item().getCloudVmId();
    fixture.assertOnPremEqualsCloud(cloudVm);
    byte[] onPrem0 = Arrays.copyOf(fixture.onPremBytes(0), MIB);

    // Planned failover: the cloud VM boots; its guest reads the replicated data, writes once,
    // then keeps rewriting a region until the ACPI button.
    nextBoot.set(new GuestScript().sum("vda", 0, MIB).write("vdb", 8L * MIB, MIB, "cloud")
        .loop("vda", LOOP_AT, LOOP, "lp").awaitAcpiShutdown());
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    Path cloudDir = dir.resolve("kvm/vms").resolve(cloudVm);
    GuestConsole console = GuestConsole.followFile(cloudDir.resolve("console.log"), 0,
        stopConsole);
    assertTrue(console.await("LOOP 1", BOOT).isPresent(), console::tail);
    assertEquals(Optional.of(GuestPattern.sha256(onPrem0)), console.report().sum("vda", 0, MIB),
        "the cloud guest reads the data replicated from on-prem");

    // Failback, sync before failover: phase 1 from the point-in-time export while it writes,
    // in 16 KiB blocks (asked; the dirty bitmap's granules are 64 KiB).
    Job failback = lifecycle.plannedFailover(Targets.of(List.of(fixture.vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty(),
        TransferOptions.newBuilder().setBlockSize(BLOCK).build());
    fixture.awaitState(failback, JobState.JOB_WAITING);
    int passes = (int) console.report().lines().stream().filter(l -> l.startsWith("LOOP "))
        .count();
    assertTrue(console.await("LOOP " + (passes + 1), BOOT).isPresent(), console::tail);

    // Complete: ACPI shutdown, then phase 2 sends exactly the bitmap's blocks; then the on-prem
    // VM starts, for real: its guest reads back what the cloud guest wrote, and powers off.
    Path onPremFolder = fixture.onPremDisk(0).getParent();
    Files.writeString(onPremFolder.resolve("boot-args"), new GuestScript().sum("vda", 0, MIB)
        .sum("vdb", 8L * MIB, MIB).sum("vda", LOOP_AT, LOOP).kernelCommandLine());
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertEquals(Optional.of("acpi"), console.report().powerOffReason());
    GuestConsole onPrem = GuestConsole.followFile(onPremFolder.resolve("console.log"), 0,
        stopConsole);
    assertTrue(onPrem.await("POWEROFF", BOOT).isPresent(), onPrem::tail);
    GuestReport read = onPrem.report();
    assertEquals(List.of(), read.errors(), onPrem::tail);
    assertEquals(Optional.of(GuestPattern.sha256(onPrem0)), read.sum("vda", 0, MIB),
        "the on-prem guest reads its data from before the failover");
    assertEquals(Optional.of(GuestPattern.sha256(GuestPattern.bytes("cloud", 8L * MIB, MIB))),
        read.sum("vdb", 8L * MIB, MIB), "the on-prem guest reads the cloud guest's write");
    assertTrue(lastLoopPass(console.report()).stream().anyMatch(
        read.sum("vda", LOOP_AT, LOOP).orElseThrow()::equals),
        "the on-prem guest reads the cloud guest's last pass: " + read);
    String mac = onPremHost.inventory().getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equals(fixture.vmId)).findFirst().orElseThrow()
        .getNetworkAdapters(0).getMacAddress();
    assertEquals(Optional.of(mac), read.hyperVMac("eth0"),
        "the on-prem VM comes back with its network adapter, as the inventory has it");
    awaitOff(onPremHost, fixture.vmId);
    long[] phaseTwo = LifecycleFixture.diskTasks(done).stream()
        .mapToLong(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero())
        .toArray();
    assertArrayEquals(new long[] {LOOP / BLOCK, 0}, phaseTwo, done.toString());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "p2 (TRACKED) verified: whole-disk digests equal")), done.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
    byte[] disk1 = fixture.onPremBytes(1);
    assertArrayEquals(GuestPattern.bytes("cloud", 8L * MIB, MIB),
        Arrays.copyOfRange(disk1, 8 * MIB, 9 * MIB), "the guest's write came home");
    String loop = new String(fixture.onPremBytes(0), (int) LOOP_AT, LOOP,
        StandardCharsets.US_ASCII);
    assertTrue(loop.startsWith("lp") && loop.endsWith(String.format("%023d\n",
        LOOP_AT + LOOP - 512)), "the guest's last pass came home"); // the last sector's offset

    // Commit removes the domain and its disks; reverse replication protects it again.
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK, fixture.item().getState());
    assertTrue(fixture.controller.server.cloud().get(cloudVm).isEmpty());
    assertFalse(Files.exists(cloudDir), "the cloud VM's disks are gone");
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertTrue(reverse.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "blocks of 16 KiB (the VM's, as a job asked)")), reverse.toString());
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());

    // DisableProtection deletes the new replica (domain, disks, checkpoints); the VM stays.
    String replica = fixture.item().getCloudVmId();
    Job disable = fixture.awaitState(lifecycle.disableProtection(
        io.failback.controller.lifecycle.Targets.of(List.of(fixture.vmId)),
        fixture.controller.server.recoveryPlans(), false),
        JobState.JOB_SUCCEEDED);
    assertTrue(disable.toString().contains("cloud replica " + replica + " deleted"), "" + disable);
    assertTrue(fixture.controller.server.cloud().get(replica).isEmpty(), "no such domain");
    assertFalse(Files.exists(dir.resolve("kvm/vms").resolve(replica)), "its disks are gone");
    assertEquals(ProtectionState.UNPROTECTED, fixture.item().getState());
  }

  /**
   * QEMU of the cloud VM dies while phase 1 reads its point-in-time export: the failback fails,
   * the on-prem disks go back as they were (undo journals), the cloud VM boots again, and the
   * on-prem guest, booted on them, finds its old data; then a full download brings it home,
   * every block of every disk.
   */
  @Test
  void aCloudQemuKilledDuringPhaseOneIsRolledBackThenAFullDownloadBringsItHome()
      throws Exception {
    TinyGuest guest = TinyGuest.require();
    AtomicReference<GuestScript> nextBoot = new AtomicReference<>();
    CloudChoice kvm = kvm(guest, Duration.ofSeconds(10), nextBoot::get);
    PausingProxy[] proxy = new PausingProxy[1];
    SimulatedBoot onPremBoot = SimulatedBoot.of(guest.kernel(), guest.initrd());
    LifecycleFixture fixture = LifecycleFixture.withCloud(dir, cleanup, kvm,
        KvmLifecycleTest::smallVm, onPremBoot, PausingProxy.into(proxy, cleanup));
    SimulatedHypervisor onPremHost = new SimulatedHypervisor(fixture.hostDir, onPremBoot);
    cleanup.register(() -> onPremHost.stopVm(fixture.vmId, true));
    cleanup.register(() -> KvmTestCloud.removeAll(fixture.controller.server.cloud()));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    AtomicBoolean stopConsole = new AtomicBoolean();
    cleanup.register(() -> stopConsole.set(true));
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    // Every boot: write 2 MiB over on-prem's data on both disks, then wait for the button.
    nextBoot.set(new GuestScript().write("vda", 0, 2 * MIB, "cloud").write("vdb", 0, 2 * MIB,
        "cloud").awaitAcpiShutdown());
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    GuestConsole console = GuestConsole.followFile(
        dir.resolve("kvm/vms").resolve(cloudVm).resolve("console.log"), 0, stopConsole);
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    // The link to the agent stalls after 3 KiB more: past the few small commands before phase
    // 1 (stop the VM, start the sessions), inside its first checksum batches; the controller
    // then holds off reading the export (the window is full). QEMU dies there.
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 3 * 1024);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the failback never got going");
    Job stalled = fixture.controller.server.jobs().get(failback.getId());
    assertTrue(stalled.getTimelineList().stream().anyMatch(s -> s.getDescription().startsWith(
        "snapshot ")) && stalled.getState() == JobState.JOB_RUNNING,
        "not stalled in phase 1: " + stalled);
    Path pidFile = KvmTestCloud.root().resolve("run/qemu/failback-" + cloudVm + ".pid");
    ProcessHandle qemu = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
        .orElseThrow();
    qemu.destroyForcibly();
    qemu.onExit().get();
    proxy[0].resume();
    Job failed = fixture.awaitState(failback, JobState.JOB_FAILED);
    assertTrue(failed.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "the on-prem disks were rolled back to their state before the failback")),
        failed.toString());
    before.assertRolledBack(fixture, failed);
    assertEquals(io.failback.controller.cloud.PowerState.RUNNING, fixture.controller.server
        .cloud().get(cloudVm).orElseThrow().state(), "the cloud VM was not booted again");
    // The on-prem guest boots on the rolled-back disks and finds its old data.
    Path onPremFolder = fixture.onPremDisk(0).getParent();
    Files.writeString(onPremFolder.resolve("boot-args"), new GuestScript().sum("vda", 0, 2 * MIB)
        .sum("vdb", 0, 2 * MIB).kernelCommandLine());
    assertEquals("", fixture.startOnPremDirectly(), "the rolled-back VM does not start");
    GuestConsole onPrem = GuestConsole.followFile(onPremFolder.resolve("console.log"), 0,
        stopConsole);
    assertTrue(onPrem.await("POWEROFF", BOOT).isPresent(), onPrem::tail);
    assertEquals(Optional.of(GuestPattern.sha256(Arrays.copyOf(before.disks()[0], 2 * MIB))),
        onPrem.report().sum("vda", 0, 2 * MIB), "the on-prem guest finds its old data");
    assertEquals(Optional.of(GuestPattern.sha256(Arrays.copyOf(before.disks()[1], 2 * MIB))),
        onPrem.report().sum("vdb", 0, 2 * MIB), "the on-prem guest finds its old data");
    awaitOff(onPremHost, fixture.vmId);

    // (The rebooted guest may still be booting: its shutdown then ends after 10 s, hard.)
    Job full = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    long blocks = LifecycleFixture.diskTasks(full).stream().mapToLong(t -> t.getProgress()
        .getBlocksSent() + t.getProgress().getBlocksZero()).sum();
    assertEquals((32 + 16) * MIB / (64 << 10), blocks, "a full download covers every block");
    // The guest's ACPI shutdown held the job: the transfer path was warmed up meanwhile with
    // 48 MiB of synthetic blocks (as much as the VM holds), or as many as the shutdown allowed.
    String warmUp = full.getTimelineList().stream().map(s -> s.getDescription())
        .filter(s -> s.startsWith("warm-up of the transfer path")).findFirst().orElseThrow();
    assertTrue(warmUp.contains(", all of them;") ? warmUp.contains(": 768 synthetic blocks"
        + " settled (576 sent, 192 zero, 384 held) in ")
        : warmUp.contains(", stopped when the VM was off;"), warmUp);
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertArrayEquals(GuestPattern.bytes("cloud", 0, 2 * MIB),
        Arrays.copyOf(fixture.onPremBytes(1), 2 * MIB), "the cloud guest's write came home");
  }

  /**
   * A failback cancelled after its tracked phase 1 is tracked again when re-run; a cloud QEMU
   * killed after that phase 1 loses the tracking, and phase 2 compares checksums.
   */
  @Test
  void aCloudQemuKilledAfterPhaseOneLosesTrackingSoPhaseTwoComparesChecksumsAndIsStillExact()
      throws Exception {
    TinyGuest guest = TinyGuest.require();
    AtomicReference<GuestScript> nextBoot = new AtomicReference<>();
    CloudChoice kvm = kvm(guest, Duration.ofSeconds(30), () -> nextBoot.getAndSet(null));
    LifecycleFixture fixture = LifecycleFixture.withCloud(dir, cleanup, kvm,
        KvmLifecycleTest::smallVm);
    // Runs before the controller closes (last registered, first closed): no VM outlives the test.
    cleanup.register(() -> KvmTestCloud.removeAll(fixture.controller.server.cloud()));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    AtomicBoolean stopConsole = new AtomicBoolean();
    cleanup.register(() -> stopConsole.set(true));
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    nextBoot.set(new GuestScript().loop("vda", LOOP_AT, LOOP, "lp").awaitAcpiShutdown());
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    GuestConsole console = GuestConsole.followFile(
        dir.resolve("kvm/vms").resolve(cloudVm).resolve("console.log"), 0, stopConsole);
    assertTrue(console.await("LOOP 0", BOOT).isPresent(), console::tail);

    Job failback = null;
    for (int run = 0; run < 2; run++) {
      if (failback != null) {
        // Cancelled: the on-prem disks go back, the failover's checkpoint stays (the run's own
        // was merged into it as it went), and the re-run is tracked from it again.
        fixture.controller.server.jobs().cancel(failback.getId());
        fixture.awaitState(failback, JobState.JOB_CANCELLED);
      }
      failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
      Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
      // Phase 1 read the checkpoint the failover took before the guest's first instruction:
      // the guest wrote only its loop's 256 KiB, four 64 KiB blocks.
      assertTrue(waiting.getTimelineList().stream().anyMatch(s -> s.getDescription().equals(
          "phase 1 sends only the " + LOOP / 65536 + " blocks the cloud VM wrote since the"
              + " failover; the verify pass re-reads every on-prem block later")),
          waiting::toString);
      assertTrue(waiting.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
          "p1 (TRACKED) verified: whole-disk digests equal on both sides")), waiting::toString);
    }
    int passes = (int) console.report().lines().stream().filter(l -> l.startsWith("LOOP "))
        .count();
    assertTrue(console.await("LOOP " + (passes + 1), BOOT).isPresent(), console::tail);
    // QEMU dies (SIGKILL) after phase 1: the checkpoint's bitmap of this run is lost with it.
    Path pidFile = KvmTestCloud.root().resolve("run/qemu/failback-" + cloudVm + ".pid");
    ProcessHandle qemu = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
        .orElseThrow();
    qemu.destroyForcibly();
    qemu.onExit().get();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (fixture.controller.server.cloud().get(cloudVm).orElseThrow().state()
        != io.failback.controller.cloud.PowerState.OFF) {
      assertTrue(System.nanoTime() < deadline, "libvirt saw QEMU die");
      Thread.sleep(100);
    }

    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "change tracking unavailable: phase 2 falls back to a checksum pass")), done.toString());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "p2 (DELTA) verified: whole-disk digests equal")), done.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /**
   * The sums the loop region can have once the cloud guest powered off after reporting pass
   * {@code n}: pass n, with the first 0 to 4 of its 64 KiB writes (the guest's O_DIRECT block)
   * overwritten by pass n + 1.
   */
  private static Set<String> lastLoopPass(GuestReport cloud) {
    int last = cloud.lines().stream().filter(l -> l.matches("LOOP \\d+"))
        .mapToInt(l -> Integer.parseInt(l.substring("LOOP ".length()))).reduce((a, b) -> b)
        .orElseThrow();
    byte[] done = GuestPattern.bytes("lp" + last, LOOP_AT, LOOP);
    byte[] next = GuestPattern.bytes("lp" + (last + 1) % 1000, LOOP_AT, LOOP);
    Set<String> sums = new HashSet<>();
    for (int chunk = 0; chunk <= LOOP; chunk += 64 << 10) {
      byte[] region = done.clone();
      System.arraycopy(next, 0, region, 0, chunk);
      sums.add(GuestPattern.sha256(region));
    }
    return sums;
  }

  /** Waits until the VM is Off: its QEMU has exited after the guest's power-off. */
  private static void awaitOff(SimulatedHypervisor host, String vmId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (host.inventory().getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equals(vmId)).findFirst().orElseThrow().getPowerState()
        != io.failback.proto.v1.PowerState.OFF) {
      assertTrue(System.nanoTime() < deadline, "the on-prem VM did not turn Off");
      Thread.sleep(100); // QEMU exits a moment after the guest's last console line
    }
  }

  /**
   * The KVM cloud in the test's folder; a VM starting boots the tiny guest with the script
   * {@code next} gives, or its own disks when it gives none.
   */
  private CloudChoice kvm(TinyGuest guest, Duration shutdownTimeout,
      java.util.function.Supplier<GuestScript> next) throws Exception {
    return kvm(dir, guest, shutdownTimeout, next);
  }

  /** As {@link #kvm(TinyGuest, Duration, java.util.function.Supplier)}, in {@code dir}. */
  static CloudChoice kvm(Path dir, TinyGuest guest, Duration shutdownTimeout,
      java.util.function.Supplier<GuestScript> next) throws Exception {
    return new CloudChoice(CloudChoice.Kind.KVM, dir.resolve("kvm"),
        "qemu:///embed?root=" + KvmTestCloud.root(), "qemu", shutdownTimeout,
        vm -> Optional.ofNullable(next.get()).map(script -> new DirectKernelBoot(
            guest.kernel(), guest.initrd(), script.kernelCommandLine())));
  }

  /** The seeded VM gets the memory and CPU count a test guest should have. */
  static void smallVm(Path hostDir) throws Exception {
    try (Stream<Path> files = Files.walk(hostDir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().equals("vm.json"))
          .toList()) {
        JsonObject vm = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        vm.addProperty("memoryBytes", 256L * MIB);
        vm.addProperty("processorCount", 1);
        Files.writeString(file, vm.toString());
      }
    }
  }

}
