package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class FirstDiskFailureTest {
  private final List<String> stops = new CopyOnWriteArrayList<>();
  private final FirstDiskFailure first = new FirstDiskFailure("of host hv-01", stops::add);

  @Test
  void theDiskThatFailedFirstInTimeIsTheCauseWhateverItsPlace() {
    CompletableFuture<Object> disk0 = new CompletableFuture<>();
    CompletableFuture<Object> disk1 = new CompletableFuture<>();
    first.watch("d0.vhdx", disk0);
    first.watch("d1.raw", disk1);

    disk1.completeExceptionally(new IOException("writing block 97: No space left on device"));
    assertEquals(List.of("another disk of the VM failed"), stops, "the others stop at once");
    disk0.completeExceptionally(new ClosedChannelException());
    first.failed("d0.vhdx", new ClosedChannelException());

    LifecycleException e = assertThrows(LifecycleException.class, first::throwIfAny);
    assertEquals("disk d1.raw of host hv-01: java.io.IOException: writing block 97: No space"
        + " left on device", e.getMessage());
    assertEquals(1, stops.size(), "one stop, not one per failure");
  }

  @Test
  void aFailureWrappedByACompletionStageIsUnwrapped() {
    CompletableFuture<Object> disk0 = new CompletableFuture<>();
    first.watch("d0.vhdx", disk0.thenApply(x -> x));
    disk0.completeExceptionally(new IOException("link broke"));
    LifecycleException e = assertThrows(LifecycleException.class, first::throwIfAny);
    assertEquals("disk d0.vhdx of host hv-01: java.io.IOException: link broke", e.getMessage());
  }

  @Test
  void noFailureNoStop() {
    CompletableFuture<Object> disk0 = new CompletableFuture<>();
    first.watch("d0.vhdx", disk0);
    disk0.complete("done");
    assertDoesNotThrow(first::throwIfAny);
    assertEquals(List.of(), stops);
  }
}
