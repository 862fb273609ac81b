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
  void aFailedCreationLeavesNothingAndTheNextSessionTriesAgain() throws Exception {
    driver.failCreate = true;
    IOException e = assertThrows(IOException.class, () -> readPoints.join(vm.getId()));
    assertEquals("CreateSnapshot returned 32775", e.getMessage());
    assertNothingLeft();
    driver.failCreate = false;
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      assertTrue(Files.exists(lease.point().disk(disk1)));
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
    volatile boolean failCreate;
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
      if (failCreate) {
        super.createReadPoint(vmId); // made, but the answer never came (a timeout)
        throw new IOException("CreateSnapshot returned 32775");
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
    public void discardReadPoint(String vmId, String readPointId) throws IOException {
      discardedIds.add(readPointId);
      super.discardReadPoint(vmId, readPointId);
    }
  }
}
