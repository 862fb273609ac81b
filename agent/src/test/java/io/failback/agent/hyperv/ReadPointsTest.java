package io.failback.agent.hyperv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read points on the simulated host, shared by overlapping sessions of a VM's disks, kept or
 * discarded when the last leaves, and discarded after a crash.
 */
class ReadPointsTest {
  private static final long MIB = 1L << 20;

  @TempDir Path tmp;
  private Path host;
  private Path state;
  private Recording driver;
  private ReadPoints readPoints;
  private VirtualMachine vm;
  private String disk0;
  private String disk1;

  @BeforeEach
  void seedRunningVm() throws IOException {
    host = tmp.resolve("hv-01");
    state = tmp.resolve("state");
    SimulatedHostSeeder.seed(host, "hv-01", List.of(new SimulatedHostSeeder.VmSpec("app-01",
        "Running", List.of("LAN"), List.of(new SimulatedHostSeeder.DiskSpec(DiskFormat.RAW,
            2 * MIB), new SimulatedHostSeeder.DiskSpec(DiskFormat.VHDX, 4 * MIB)))));
    driver = new Recording(new SimulatedHypervisor(host));
    readPoints = new ReadPoints(driver, state);
    vm = driver.inventory().getVirtualMachines(0);
    disk0 = vm.getDisks(0).getPath();
    disk1 = vm.getDisks(1).getPath();
  }

  @Test
  void aReadPointHoldsTheDisksAsTheyWereWhileTheGuestWritesOn() throws Exception {
    byte[] before = Files.readAllBytes(Path.of(disk0));
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      byte[] guest = new byte[4096];
      java.util.Arrays.fill(guest, (byte) 0x5a);
      Files.write(Path.of(disk0), guest, java.nio.file.StandardOpenOption.WRITE);
      byte[] now = Files.readAllBytes(Path.of(disk0));
      assertFalse(java.util.Arrays.equals(before, now), "the guest wrote");
      assertArrayEquals(before, Files.readAllBytes(lease.point().disk(disk0)));
      assertThrows(IOException.class, () -> lease.point().disk(host.resolve("x").toString()));
    }
  }

  @Test
  void overlappingSessionsShareOneReadPointKeptWhenTheLastLeaves() throws Exception {
    ReadPoints.Lease first = readPoints.join(vm.getId());
    ReadPoints.Lease second = readPoints.join(vm.getId());
    assertSame(first.point(), second.point());
    assertEquals(1, driver.created);

    CompletableFuture<String> firstReference = succeedLater(first, disk0);
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> firstReference.get(200, TimeUnit.MILLISECONDS),
        "a session's reference waits for the other sessions of its read point");
    String secondReference = second.succeeded(disk1);
    String reference0 = firstReference.get(10, TimeUnit.SECONDS);

    assertEquals(List.of(List.of(disk0, disk1)), driver.kept);
    assertNotEquals("", reference0);
    assertNotEquals("", secondReference);
    // The reference stands for the disk as read: nothing changed since.
    assertEquals(Optional.of(List.of()), driver.changeTracking().orElseThrow()
        .changedSince(disk0, reference0, 2 * MIB));
    assertNothingLeft();
  }

  @Test
  void onlyDisksReadCompletelyGetAReferenceAndAPointNobodyReadIsDiscarded() throws Exception {
    ReadPoints.Lease read = readPoints.join(vm.getId());
    ReadPoints.Lease failed = readPoints.join(vm.getId());
    failed.close();
    assertNotEquals("", read.succeeded(disk0));
    assertEquals(List.of(List.of(disk0)), driver.kept);
    assertEquals(0, driver.discarded);

    ReadPoints.Lease a = readPoints.join(vm.getId());
    ReadPoints.Lease b = readPoints.join(vm.getId());
    a.close();
    b.close();
    assertEquals(2, driver.created, "a session after the last one ended gets a new read point");
    assertEquals(1, driver.kept.size());
    assertEquals(1, driver.discarded);
    assertNothingLeft();
  }

  @Test
  void aSessionJoiningWhileTheLastReadPointEndsWaitsForItsEnd() throws Exception {
    CountDownLatch keeping = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    driver.beforeKeep = () -> {
      keeping.countDown();
      release.await();
    };
    ReadPoints.Lease first = readPoints.join(vm.getId());
    String firstId = first.point().id();
    CompletableFuture<String> firstReference = succeedLater(first, disk0);
    assertTrue(keeping.await(10, TimeUnit.SECONDS));
    CompletableFuture<ReadPoints.Lease> next = joinLater();
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> next.get(200, TimeUnit.MILLISECONDS),
        "no second read point while the first is being kept");
    release.countDown();
    assertNotEquals("", firstReference.get(10, TimeUnit.SECONDS));
    try (ReadPoints.Lease lease = next.get(10, TimeUnit.SECONDS)) {
      assertNotEquals(firstId, lease.point().id());
    }
    assertEquals(List.of(), driver.discardedIds, "the read point being kept was not discarded");
    assertEquals(List.of(List.of(disk0)), driver.kept);
    assertNothingLeft();
  }

  @Test
  void aBugWhileKeepingStillAnswersTheSessionsAndFreesTheVm() throws Exception {
    driver.keepBug = new IllegalStateException("unexpected answer");
    ReadPoints.Lease lease = readPoints.join(vm.getId());
    assertEquals("", lease.succeeded(disk0));
    driver.keepBug = null;
    try (ReadPoints.Lease next = readPoints.join(vm.getId())) {
      assertEquals(2, driver.created);
    }
    assertNothingLeft();
  }

  @Test
  void aSessionInterruptedWhileWaitingForTheLastReadPointDoesNotLetTheNextOneSkipTheWait()
      throws Exception {
    CountDownLatch keeping = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    driver.beforeKeep = () -> {
      keeping.countDown();
      release.await();
    };
    ReadPoints.Lease first = readPoints.join(vm.getId());
    CompletableFuture<String> firstReference = succeedLater(first, disk0);
    assertTrue(keeping.await(10, TimeUnit.SECONDS));
    java.util.concurrent.atomic.AtomicReference<Throwable> interrupted =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread stopping = new Thread(() -> {
      try {
        readPoints.join(vm.getId()).close();
      } catch (Throwable e) {
        interrupted.set(e);
      }
    });
    stopping.start();
    // Only a wait can be interrupted here; the join cannot have finished.
    while (stopping.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    stopping.interrupt();
    stopping.join(10_000);
    assertTrue(interrupted.get() instanceof InterruptedException, String.valueOf(interrupted));

    CompletableFuture<ReadPoints.Lease> next = joinLater();
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> next.get(200, TimeUnit.MILLISECONDS), "still waits for the read point being kept");
    release.countDown();
    assertNotEquals("", firstReference.get(10, TimeUnit.SECONDS));
    next.get(10, TimeUnit.SECONDS).close();
    assertEquals(List.of(), driver.discardedIds, "the read point being kept was not discarded");
    assertNothingLeft();
  }

  @Test
  void aReadPointMadeWhenTheAgentDiedBeforeLearningItsIdIsDiscardedAtTheNextStart()
      throws Exception {
    Files.createDirectories(state.resolve("read-points"));
    Files.writeString(state.resolve("read-points").resolve(vm.getId()),
        "creating " + java.time.Instant.now());
    driver.createReadPoint(vm.getId()); // made by the host; the agent died before the answer
    assertEquals(1, driver.openPoints().size());
    new ReadPoints(driver, state).recover();
    assertNothingLeft();
  }

  @Test
  void aCheckpointMadeLongBeforeTheAskingIsNotTheAgentsToDiscard() throws Exception {
    String other = driver.createReadPoint(vm.getId()).id(); // say, another product's
    Files.createDirectories(state.resolve("read-points"));
    Files.writeString(state.resolve("read-points").resolve(vm.getId()),
        "creating " + java.time.Instant.now().plus(java.time.Duration.ofHours(1)));
    new ReadPoints(driver, state).recover();
    assertEquals(List.of(other), driver.openPoints());
  }

  @Test
  void anOffVmsReadPointTakesItsReferenceBeforeAnyRead() throws Exception {
    driver.stopVm(vm.getId(), false);
    String reference;
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      assertEquals(Path.of(disk0), lease.point().disk(disk0), "read in place, no copy");
      byte[] write = new byte[4096];
      java.util.Arrays.fill(write, (byte) 0x33);
      Files.write(Path.of(disk0), write, java.nio.file.StandardOpenOption.WRITE); // started?
      reference = lease.succeeded(disk0);
    }
    assertEquals(Optional.of(List.of(new ChangeTracking.ByteRange(0, 64 * 1024))),
        driver.changeTracking().orElseThrow().changedSince(disk0, reference, 2 * MIB),
        "a write after the read point was made is in the next changed set");
  }

  @Test
  void aTargetSessionStartingWhileTheVmsReferencePointIsMadeWaitsForIt() throws Exception {
    driver.stopVm(vm.getId(), false);
    CountDownLatch keeping = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    driver.beforeKeep = () -> {
      keeping.countDown();
      release.await();
    };
    AfterWriteReferences afterWrite = new AfterWriteReferences(readPoints);
    afterWrite.starting(vm.getId());
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
      try {
        return afterWrite.finished(vm.getId(), disk0, true);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(keeping.await(10, TimeUnit.SECONDS));
    CompletableFuture<Void> late = CompletableFuture.runAsync(() -> {
      try {
        afterWrite.starting(vm.getId());
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> late.get(200, TimeUnit.MILLISECONDS), "no write while the checkpoint is made");
    release.countDown();
    assertNotEquals("", first.get(10, TimeUnit.SECONDS));
    late.get(10, TimeUnit.SECONDS);
    assertNotEquals("", afterWrite.finished(vm.getId(), disk1, true));
    assertEquals(List.of(List.of(disk0), List.of(disk1)), driver.kept,
        "the late writer's disk got a reference point of its own, made after its writes");
    assertNothingLeft();
  }

  @Test
  void targetSessionsOfAVmGetOneReferencePointOnceTheLastHasWritten() throws Exception {
    driver.stopVm(vm.getId(), false); // a failback writes the disks of an Off VM
    AfterWriteReferences afterWrite = new AfterWriteReferences(readPoints);
    afterWrite.starting(vm.getId());
    afterWrite.starting(vm.getId());
    afterWrite.starting(vm.getId());
    assertEquals("", afterWrite.finished(vm.getId(), "failed-disk", false),
        "a session that did not write gets none, at once");
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
      try {
        return afterWrite.finished(vm.getId(), disk0, true);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> first.get(200, TimeUnit.MILLISECONDS), "waits while another disk is written");
    assertEquals(0, driver.created, "no checkpoint while a disk of the VM is being written");
    String second = afterWrite.finished(vm.getId(), disk1, true);
    assertEquals(1, driver.created);
    assertEquals(List.of(List.of(disk0, disk1)), driver.kept);
    assertNotEquals("", first.get(10, TimeUnit.SECONDS));
    assertNotEquals("", second);
    assertNothingLeft();
  }

  @Test
  void aSessionThatCannotFindItsDiskCanWaitForTheReadPointsBeingMade() throws Exception {
    assertEquals(false, readPoints.awaitCreations(), "none being made: no wait");
    CountDownLatch creating = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    driver.beforeCreate = () -> {
      creating.countDown();
      release.await();
    };
    CompletableFuture<ReadPoints.Lease> first = joinLater();
    assertTrue(creating.await(10, TimeUnit.SECONDS));
    CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(() -> {
      try {
        return readPoints.awaitCreations();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> waited.get(200, TimeUnit.MILLISECONDS), "waits while the host makes one");
    release.countDown();
    assertTrue(waited.get(10, TimeUnit.SECONDS));
    first.get(10, TimeUnit.SECONDS).close();
    assertNothingLeft();
  }

  @Test
  void aReadPointThatCannotBeKeptIsDiscardedAndGivesNoReference() throws Exception {
    driver.failKeep = true;
    ReadPoints.Lease lease = readPoints.join(vm.getId());
    assertEquals("", lease.succeeded(disk0));
    assertEquals(1, driver.discarded);
    assertNothingLeft();
  }

  @Test
  void aRefusedCreationLeavesNothingAndDiscardsNothing() throws Exception {
    driver.refuseCreate = true;
    IOException e = assertThrows(IOException.class, () -> readPoints.join(vm.getId()));
    assertEquals("VM 'app-01' has 1 checkpoint(s)", e.getMessage());
    assertEquals(List.of(), driver.discardedSince, "nothing was made: nothing is discarded");
    assertNothingLeft();
    driver.refuseCreate = false;
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      assertTrue(Files.exists(lease.point().disk(disk1)));
    }
    assertNothingLeft();
  }

  @Test
  void aCreationThatTimedOutIsDiscardedByTimeBeforeTheNextOne() throws Exception {
    driver.timeOutCreate = true;
    IOException e = assertThrows(IOException.class, () -> readPoints.join(vm.getId()));
    assertEquals("PowerShell did not create a read point within 600 s", e.getMessage());
    assertEquals(1, driver.openPoints().size(), "made after all, id unknown");
    assertTrue(Files.readString(state.resolve("read-points").resolve(vm.getId()))
        .startsWith("creating "), "the record stays");
    driver.timeOutCreate = false;
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      assertEquals(1, driver.discardedSince.size());
      assertEquals(List.of(lease.point().id()), driver.openPoints(), "only the new one");
    }
    assertNothingLeft();
  }

  @Test
  void aReadPointLeftByACrashIsDiscardedAtTheNextStart() throws Exception {
    String left = readPoints.join(vm.getId()).point().id(); // never ended: the agent died
    assertEquals(List.of(left), driver.openPoints());

    ReadPoints restarted = new ReadPoints(driver, state);
    restarted.recover();
    assertEquals(List.of(left), driver.discardedIds);
    assertNothingLeft();
  }

  @Test
  void aReadPointLeftByACrashIsDiscardedBeforeTheVmGetsANewOne() throws Exception {
    String left = readPoints.join(vm.getId()).point().id();
    ReadPoints restarted = new ReadPoints(driver, state);
    try (ReadPoints.Lease lease = restarted.join(vm.getId())) {
      assertEquals(List.of(left), driver.discardedIds);
      assertEquals(List.of(lease.point().id()), driver.openPoints(),
          "never two read points of one VM (Hyper-V cannot stack them)");
    }
    assertNothingLeft();
  }

  private static CompletableFuture<String> succeedLater(ReadPoints.Lease lease, String disk) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return lease.succeeded(disk);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private CompletableFuture<ReadPoints.Lease> joinLater() {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return readPoints.join(vm.getId());
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** No frozen copies on the host and no read point recorded by the agent. */
  private void assertNothingLeft() throws IOException {
    assertEquals(List.of(), driver.openPoints());
    Path records = state.resolve("read-points");
    if (Files.exists(records)) {
      try (var files = Files.list(records)) {
        assertEquals(List.of(), files.toList());
      }
    }
  }

  @FunctionalInterface
  private interface Pause {
    void await() throws InterruptedException;
  }

  /** The simulated host, counting its read points and failing where a test asks. */
  private final class Recording extends ForwardingHypervisor {
    int created;
    int discarded;
    final List<String> discardedIds = new ArrayList<>();
    final List<List<String>> kept = new ArrayList<>();
    volatile boolean refuseCreate;
    volatile boolean timeOutCreate;
    final List<java.time.Instant> discardedSince = new ArrayList<>();
    volatile boolean failKeep;
    volatile RuntimeException keepBug;
    volatile Pause beforeKeep = () -> { };
    volatile Pause beforeCreate = () -> { };

    Recording(SimulatedHypervisor inner) {
      super(inner);
    }

    List<String> openPoints() throws IOException {
      Path dir = host.resolve("read-points");
      if (!Files.exists(dir)) {
        return List.of();
      }
      try (var files = Files.list(dir)) {
        return files.map(f -> f.getFileName().toString()).toList();
      }
    }

    @Override
    public ReadPoint createReadPoint(String vmId) throws IOException {
      try {
        beforeCreate.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      if (refuseCreate) {
        throw new IOException("VM 'app-01' has 1 checkpoint(s)");
      }
      if (timeOutCreate) {
        super.createReadPoint(vmId); // made, but the answer never came
        throw new ReadPoint.OutcomeUnknownException(
            "PowerShell did not create a read point within 600 s", null);
      }
      created++;
      ReadPoint point = super.createReadPoint(vmId);
      return new ReadPoint() {
        @Override
        public String id() {
          return point.id();
        }

        @Override
        public Path disk(String diskPath) throws IOException {
          return point.disk(diskPath);
        }

        @Override
        public Optional<List<ChangeTracking.ByteRange>> changedSince(String diskPath,
            String reference, long diskSize) throws IOException {
          return point.changedSince(diskPath, reference, diskSize);
        }

        @Override
        public Map<String, String> keep(List<String> diskPaths) throws IOException {
          if (failKeep) {
            throw new IOException("ConvertToReferencePoint returned 32768");
          }
          if (keepBug != null) {
            throw keepBug;
          }
          try {
            beforeKeep.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          kept.add(List.copyOf(diskPaths));
          return point.keep(diskPaths);
        }

        @Override
        public void discard() throws IOException {
          discarded++;
          point.discard();
        }
      };
    }

    @Override
    public void discardReadPointsSince(String vmId, java.time.Instant since) throws IOException {
      discardedSince.add(since);
      super.discardReadPointsSince(vmId, since);
    }

    @Override
    public void discardReadPoint(String vmId, String readPointId) throws IOException {
      discardedIds.add(readPointId);
      super.discardReadPoint(vmId, readPointId);
    }
  }
}
