package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.SyncFrame;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/** A session in which one frame is changed on the way, as a hostile peer would send it. */
final class TamperedFrame {
  private TamperedFrame() {}

  /** Runs a session over the transport it is given. */
  interface Session {
    void run(MemoryTransport transport) throws Throwable;
  }

  /**
   * Runs {@code session} with the first frame that {@code which} picks replaced by
   * {@code change}; returns the target's refusal, which must be INVALID_ARGUMENT.
   *
   * <p>The session should keep a small window (8): the memory transport's queues (64 frames)
   * then never fill, so the source is not left blocked sending to a target that stopped
   * reading (a real link is closed).
   */
  static SyncException refused(Predicate<SyncFrame> which, UnaryOperator<SyncFrame> change,
      Session session) {
    AtomicBoolean done = new AtomicBoolean();
    MemoryTransport transport = MemoryTransport.reliable();
    transport.tamper(frame -> which.test(frame) && done.compareAndSet(false, true)
        ? change.apply(frame) : frame);
    SyncException e = assertThrows(SyncException.class, () -> session.run(transport));
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
    assertTrue(done.get(), "no frame was changed");
    return e;
  }

  /** The first block a zero range, batch end or checksum batch covers; else none. */
  static long firstBlockOf(SyncFrame frame) {
    return frame.hasZeros() ? frame.getZeros().getFirstBlock()
        : frame.hasBatchEnd() ? frame.getBatchEnd().getFirstBlock()
        : frame.hasChecksums() ? frame.getChecksums().getFirstBlock() : Long.MAX_VALUE;
  }
}
