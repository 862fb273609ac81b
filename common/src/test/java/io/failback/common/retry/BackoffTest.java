package io.failback.common.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void growsExponentiallyUpToTheMaxWithinTheJitterBand() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 2.0, 0.2,
        new Random(42));
    long[] nominal = {1000, 2000, 4000, 8000, 8000, 8000};
    for (long expected : nominal) {
      long delay = backoff.next().toMillis();
      assertTrue(delay >= expected * 0.8 && delay <= expected * 1.2,
          "delay " + delay + " outside 20 % of " + expected);
    }
  }

  @Test
  void resetStartsOver() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 2.0, 0.0,
        new Random(1));
    backoff.next();
    backoff.next();
    backoff.reset();
    assertEquals(100, backoff.next().toMillis());
  }

  @Test
  void jitterSpreadsAgentsApart() {
    Set<Long> delays = new HashSet<>();
    Random random = new Random(7);
    for (int agent = 0; agent < 20; agent++) {
      delays.add(Backoff.agentDefault(random).next().toMillis());
    }
    assertTrue(delays.size() > 10, "delays barely differ: " + delays);
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO,
        Duration.ofSeconds(1), 2, 0.2, new Random()));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2),
        Duration.ofSeconds(1), 2, 0.2, new Random()));
  }
}
