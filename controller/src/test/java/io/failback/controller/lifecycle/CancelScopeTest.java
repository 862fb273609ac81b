package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CancelScopeTest {
  @Test
  void aWaitInsideAStepEndsOnceItsJobIsCancelled() throws Exception {
    AtomicBoolean cancelled = new AtomicBoolean();
    CompletableFuture<String> never = new CompletableFuture<>();
    try (CancelScope.Entered scope = CancelScope.enter(cancelled::get)) {
      CompletableFuture.delayedExecutor(200, java.util.concurrent.TimeUnit.MILLISECONDS)
          .execute(() -> cancelled.set(true));
      // The timeout is far away: only the cancel can end this wait.
      assertThrows(CancelScope.CancelledWaitException.class,
          () -> CancelScope.await(never, Duration.ofHours(1)));
      assertEquals("answer", CancelScope.await(CompletableFuture.completedFuture("answer"),
          Duration.ofHours(1)), "an answer already there wins over the cancel");
    }
  }

  @Test
  void aShieldedStepWaitsOutItsAnswerThoughTheJobIsCancelled() throws Exception {
    CompletableFuture<String> late = new CompletableFuture<>();
    String[] answer = new String[1];
    try (CancelScope.Entered scope = CancelScope.enter(() -> true)) {
      CompletableFuture.delayedExecutor(300, java.util.concurrent.TimeUnit.MILLISECONDS)
          .execute(() -> late.complete("started"));
      // The target VM's start, once sent, cannot be taken back: its answer is waited for.
      CancelScope.shielded(() -> answer[0] = CancelScope.await(late, Duration.ofSeconds(30)));
      assertThrows(CancelScope.CancelledWaitException.class,
          () -> CancelScope.await(new CompletableFuture<>(), Duration.ofSeconds(30)),
          "the shield ends with its step");
    }
    assertEquals("started", answer[0]);
  }

  @Test
  void outsideAStepAndAfterItAWaitIsAPlainTimedOne() throws Exception {
    CompletableFuture<String> never = new CompletableFuture<>();
    assertThrows(TimeoutException.class, () -> CancelScope.await(never, Duration.ofMillis(50)));
    try (CancelScope.Entered scope = CancelScope.enter(() -> true)) {
      try (CancelScope.Entered inner = CancelScope.enter(() -> false)) {
        assertThrows(TimeoutException.class,
            () -> CancelScope.await(never, Duration.ofMillis(50)));
      }
      assertThrows(CancelScope.CancelledWaitException.class,
          () -> CancelScope.await(never, Duration.ofMillis(50)));
    }
    assertThrows(TimeoutException.class, () -> CancelScope.await(never, Duration.ofMillis(50)));
  }
}
