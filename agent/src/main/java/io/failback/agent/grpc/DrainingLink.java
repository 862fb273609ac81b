package io.failback.agent.grpc;

import io.failback.common.sync.FrameLink;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncRole;
import java.util.function.BooleanSupplier;

/**
 * A lane link that lets a stopping agent end the lane at a batch boundary instead of in the
 * middle of a disk write.
 *
 * <p>Once {@code stopping}: a target lane takes frames up to the end of the batch it is
 * receiving, then its next receive fails as a broken link, so the lane flushes and
 * acknowledges every complete batch (its flush steps send the acknowledgements through this
 * link, which still sends) before the stream is closed. A source lane fails its next send that
 * would begin a new batch; it has nothing to flush, and the peer keeps what it acknowledged.
 * Either way the controller resumes the session from the last acknowledged checkpoint.
 *
 * <p>Used by the lane's own thread only, as {@link FrameLink} requires.
 */
final class DrainingLink implements FrameLink {
  private final FrameLink inner;
  private final SyncRole role;
  private final BooleanSupplier stopping;
  /** Runs when the lane closes the link: its connection is free for another lane. */
  private final Runnable closed;
  /** No batch is half received (target) or half sent (source). */
  private boolean atBoundary = true;

  DrainingLink(FrameLink inner, SyncRole role, BooleanSupplier stopping, Runnable closed) {
    this.inner = inner;
    this.role = role;
    this.stopping = stopping;
    this.closed = closed;
  }

  @Override
  public void send(SyncFrame frame) throws SyncException, LinkException, InterruptedException {
    if (role == SyncRole.SOURCE) {
      if (beginsBatch(frame) && atBoundary && stopping.getAsBoolean()) {
        throw new LinkException("agent stopping");
      }
      atBoundary = frame.getKindCase() == SyncFrame.KindCase.BATCH_END;
    }
    inner.send(frame);
  }

  @Override
  public SyncFrame receive() throws SyncException, LinkException, InterruptedException {
    stopIfAtBoundary();
    return received(inner.receive());
  }

  @Override
  public SyncFrame poll() throws SyncException, LinkException {
    stopIfAtBoundary();
    SyncFrame frame = inner.poll();
    return frame == null ? null : received(frame);
  }

  private void stopIfAtBoundary() throws LinkException {
    if (role == SyncRole.TARGET && atBoundary && stopping.getAsBoolean()) {
      throw new LinkException("agent stopping");
    }
  }

  private SyncFrame received(SyncFrame frame) {
    if (role == SyncRole.TARGET) {
      atBoundary = frame.getKindCase() == SyncFrame.KindCase.BATCH_END;
    }
    return frame;
  }

  /** A source's first frame of a batch: its checksums, or any data after a batch end. */
  private static boolean beginsBatch(SyncFrame frame) {
    return switch (frame.getKindCase()) {
      case CHECKSUMS, BLOCK, ZEROS -> true;
      default -> false;
    };
  }

  @Override
  public void fail(SyncException reason) {
    inner.fail(reason);
  }

  @Override
  public void close() {
    inner.close();
    closed.run();
  }
}
