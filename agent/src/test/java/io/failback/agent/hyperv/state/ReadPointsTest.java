package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ChangeTracking;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Read points on the simulated host, shared by overlapping sessions of a VM's disks, kept or
 * discarded when the last leaves.
 */
class ReadPointsTest extends ReadPointTestBase {
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
    assertEquals(Optional.of(List.of()), tracking().changedSince(disk0, reference0, 2 * MIB));
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
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch keeping = pauseKeeping(release);
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
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch keeping = pauseKeeping(release);
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
        tracking().changedSince(disk0, reference, 2 * MIB),
        "a write after the read point was made is in the next changed set");
  }

  @Test
  void aSessionThatCannotFindItsDiskCanWaitForTheReadPointsBeingMade() throws Exception {
    long before = readPoints.creationsEnded();
    assertEquals(false, readPoints.awaitCreationsSince(before), "none being made: no wait");
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
        return readPoints.awaitCreationsSince(before);
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
}
