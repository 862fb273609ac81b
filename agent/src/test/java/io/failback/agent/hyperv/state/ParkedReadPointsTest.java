package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Read points of source sessions that ended early, kept under the controller's token for the
 * job's continued session: taken once, ended when unwanted, when they expire or at the stop.
 */
class ParkedReadPointsTest extends ReadPointTestBase {
  private static final String JOB = "job-1/vm/replication";

  @Test
  void aContinuedSessionTakesTheSameReadPointAndKeepsItAsItsReference() throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints()) {
      ReadPoints.Lease cut = readPoints.join(vm.getId());
      parked.park(vm.getId(), JOB, disk0, cut);
      assertEquals(List.of(), driver.discardedIds, "kept, not discarded");

      Optional<ReadPoints.Lease> taken = parked.take(JOB, disk0);
      assertSame(cut, taken.orElseThrow());
      assertEquals(Optional.empty(), parked.take(JOB, disk0), "taken once");
      assertTrue(!taken.get().succeeded(disk0).isEmpty(), "kept as the reference point");
      assertEquals(1, driver.created, "no second read point");
      assertNothingLeft();
    }
  }

  @Test
  void nothingIsTakenUnderAnotherTokenOrDiskAndAnotherJobsSessionEndsIt() throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints()) {
      parked.park(vm.getId(), JOB, disk0, readPoints.join(vm.getId()));
      assertEquals(Optional.empty(), parked.take("job-2/vm/replication", disk0));
      assertEquals(Optional.empty(), parked.take(JOB, disk1));
      assertEquals(1, parked.size());

      parked.endUnwanted(vm.getId(), "job-2/vm/replication", disk0, false);
      assertEquals(0, parked.size());
      assertEquals(1, driver.discarded, "a new moment is wanted: the kept one is discarded");
      assertNothingLeft();
    }
  }

  @Test
  void aSessionStartingOverUnderTheSameTokenEndsItsDisksShareOnceTheCutSessionParked()
      throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints()) {
      ReadPoints.Lease cut = readPoints.join(vm.getId());
      parked.started(vm.getId(), JOB, disk0);
      CompletableFuture<Object> startingOver = later(() -> {
        parked.endUnwanted(vm.getId(), JOB, disk0, false);
        return null;
      });
      Thread.sleep(200);
      assertTrue(!startingOver.isDone(), "waits for the cut session to end");
      parked.park(vm.getId(), JOB, disk0, cut);
      parked.ended(vm.getId(), JOB, disk0);
      startingOver.get(10, TimeUnit.SECONDS);
      assertEquals(0, parked.size());
      assertNothingLeft();
    }
  }

  @Test
  void aContinuedSessionWaitsForTheCutSessionToPark() throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints()) {
      ReadPoints.Lease cut = readPoints.join(vm.getId());
      parked.started(vm.getId(), JOB, disk0);
      CompletableFuture<Optional<ReadPoints.Lease>> continued =
          later(() -> parked.take(JOB, disk0));
      Thread.sleep(200);
      assertTrue(!continued.isDone(), "the cut session has not ended yet");
      parked.park(vm.getId(), JOB, disk0, cut);
      parked.ended(vm.getId(), JOB, disk0);
      assertSame(cut, continued.get(10, TimeUnit.SECONDS).orElseThrow());
      cut.close();
    }
  }

  /**
   * Disk 1's session read its disk to its end and waits for the read point to end when its
   * controller goes away; disk 0's was cut and parked. The continued session of disk 1 joins
   * the same read point at once (no wait for a park that never comes), and the read point is
   * kept as the reference point once both continued sessions succeeded.
   */
  @Test
  void aContinuedSessionJoinsTheReadPointOfASessionThatReadItsDiskToTheEnd() throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints()) {
      ReadPoints.Lease cut = readPoints.join(vm.getId());
      ReadPoints.Lease done = readPoints.join(vm.getId());
      parked.started(vm.getId(), JOB, disk0);
      parked.started(vm.getId(), JOB, disk1);
      parked.finished(JOB, disk1, done);
      CompletableFuture<String> waiting = later(() -> done.succeeded(disk1));
      parked.park(vm.getId(), JOB, disk0, cut);
      parked.ended(vm.getId(), JOB, disk0);

      ReadPoints.Lease continued = later(() -> parked.take(JOB, disk1)).get(10,
          TimeUnit.SECONDS).orElseThrow();
      assertSame(done.point(), continued.point(), "the same read point");
      ReadPoints.Lease disk0Again = parked.take(JOB, disk0).orElseThrow();
      CompletableFuture<String> disk1Again = later(() -> continued.succeeded(disk1));
      Thread.sleep(200);
      assertTrue(!waiting.isDone() && !disk1Again.isDone(), "disk 0 is still being read");
      assertTrue(!disk0Again.succeeded(disk0).isEmpty());
      assertTrue(!disk1Again.get(10, TimeUnit.SECONDS).isEmpty(), "kept as the reference");
      assertTrue(!waiting.get(10, TimeUnit.SECONDS).isEmpty());
      parked.ended(vm.getId(), JOB, disk1);
      parked.ended(vm.getId(), JOB, disk1);
      assertEquals(1, driver.created, "no second read point");
      assertEquals(Optional.empty(), parked.take(JOB, disk1), "both sessions of disk 1 ended");
      assertNothingLeft();
    }
  }

  /**
   * A cancelled job's session parks after the next job's session of the VM began (an operator
   * who cancels and runs again at once): not kept, or it would hold the read point the new
   * session joined open for 15 minutes, and that session, done, would wait for it.
   */
  @Test
  void aShareIsNotKeptWhileASessionOfTheVmUnderAnotherTokenRuns() throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints()) {
      ReadPoints.Lease cut = readPoints.join(vm.getId());
      parked.started(vm.getId(), JOB, disk1);
      ReadPoints.Lease next = readPoints.join(vm.getId());
      parked.started(vm.getId(), "job-2/vm/replication", disk0);
      parked.park(vm.getId(), JOB, disk1, cut);
      parked.ended(vm.getId(), JOB, disk1);
      assertEquals(0, parked.size());
      CompletableFuture<String> done = later(() -> next.succeeded(disk0));
      assertTrue(!done.get(10, TimeUnit.SECONDS).isEmpty(), "the new session's read point ends");
      parked.ended(vm.getId(), "job-2/vm/replication", disk0);
      assertNothingLeft();
    }
  }

  @FunctionalInterface
  private interface Waiting<T> {
    T call() throws InterruptedException;
  }

  private static <T> CompletableFuture<T> later(Waiting<T> call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call.call();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void aKeptReadPointNotContinuedInTimeIsDiscarded() throws Exception {
    try (ParkedReadPoints parked = new ParkedReadPoints(Duration.ofMillis(100))) {
      parked.park(vm.getId(), JOB, disk0, readPoints.join(vm.getId()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try {
          // Ended on the timer's thread: the host's copy and the agent's record go.
          assertEquals(1, driver.discarded);
          assertNothingLeft();
          break;
        } catch (AssertionError notYet) {
          if (System.nanoTime() > deadline) {
            throw notYet;
          }
          Thread.sleep(20);
        }
      }
      assertEquals(Optional.empty(), parked.take(JOB, disk0));
    }
  }

  @Test
  void theAgentsStopEndsWhatIsKept() throws Exception {
    ParkedReadPoints parked = new ParkedReadPoints();
    parked.park(vm.getId(), JOB, disk0, readPoints.join(vm.getId()));
    parked.close();
    assertEquals(1, driver.discarded);
    assertNothingLeft();
  }

  /**
   * The agent closes what is kept before it waits for its sessions (a session that read its
   * disk to the end waits for the read point a parked share holds): one that fails meanwhile
   * ("agent stopping") keeps nothing.
   */
  @Test
  void aSessionThatFailsAfterTheStopKeepsNothing() throws Exception {
    ParkedReadPoints parked = new ParkedReadPoints();
    parked.close();
    parked.park(vm.getId(), JOB, disk0, readPoints.join(vm.getId()));
    assertEquals(0, parked.size());
    assertEquals(1, driver.discarded);
    assertNothingLeft();
  }
}
