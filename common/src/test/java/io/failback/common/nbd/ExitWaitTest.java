package io.failback.common.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A process's exit is seen within one pause of 5 ms, on a fake clock. */
class ExitWaitTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final List<Duration> pauses = new ArrayList<>();

  private boolean await(int checksAlive, Duration timeout) throws InterruptedException {
    AtomicInteger checks = new AtomicInteger();
    return ExitWait.await(() -> checks.incrementAndGet() <= checksAlive, timeout, pause -> {
      pauses.add(pause);
      now.addAndGet(pause.toNanos());
    }, now::get);
  }

  @Test
  void anExitIsSeenAtTheNextLookFiveMillisecondsApart() throws InterruptedException {
    assertTrue(await(3, Duration.ofSeconds(10)));
    assertEquals(List.of(ExitWait.POLL, ExitWait.POLL, ExitWait.POLL), pauses,
        "one pause per look that found it alive, 5 ms each");
    assertEquals(Duration.ofMillis(5), ExitWait.POLL);
  }

  @Test
  void aProcessGoneAlreadyCostsNoPause() throws InterruptedException {
    assertTrue(await(0, Duration.ZERO));
    assertEquals(List.of(), pauses);
  }

  @Test
  void aProcessStillAliveAtTheTimeoutIsReportedSo() throws InterruptedException {
    assertFalse(await(Integer.MAX_VALUE, Duration.ofMillis(50)));
    assertEquals(10, pauses.size(), "50 ms of 5 ms pauses, then the answer");
    assertFalse(await(Integer.MAX_VALUE, Duration.ZERO), "no wait when none is allowed");
    assertEquals(10, pauses.size());
  }

  @Test
  void aZombieHasExitedWhateverItsNameHolds() {
    assertTrue(ExitWait.exited("4242 (qemu-nbd) Z 1 4242 4242 0 -1 4194560"));
    assertTrue(ExitWait.exited("4242 (a) b) X 1 4242"));
    assertFalse(ExitWait.exited("4242 (qemu-nbd) S 1 4242 4242 0 -1 4194560"));
    assertFalse(ExitWait.exited("4242 (Z) R 1 4242"), "a name that looks like a state");
  }

  @Test
  void thisProcessRuns() {
    assertTrue(ExitWait.running(ProcessHandle.current()));
  }
}
