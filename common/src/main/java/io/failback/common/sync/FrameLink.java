package io.failback.common.sync;

import com.google.protobuf.UnsafeByteOperations;
import io.failback.proto.v1.SyncFrame;

/**
 * One lane's connection to the peer: an ordered, flow-controlled pipe of frames each way.
 *
 * <p>{@link #send} blocks while the transport is not ready, which is how back-pressure reaches
 * the disk readers; it is only ever called from the lane's own thread, never a transport thread.
 */
public interface FrameLink extends AutoCloseable {
  /** Queues {@code frame} for the peer, blocking while the link is full. */
  void send(SyncFrame frame) throws SyncException, LinkException, InterruptedException;

  /**
   * As {@link #send}, for a frame whose block bytes are borrowed: they alias a read buffer the
   * caller reuses once this returns, so a link must have written them out or copied them by
   * then. This one copies them; a link that writes them out at once can spare the copy.
   */
  default void sendBorrowed(SyncFrame frame)
      throws SyncException, LinkException, InterruptedException {
    send(owned(frame));
  }

  /** {@code frame} with its block bytes (if any) copied into an array of its own. */
  static SyncFrame owned(SyncFrame frame) {
    if (!frame.hasBlock()) {
      return frame;
    }
    return frame.toBuilder().setBlock(frame.getBlock().toBuilder()
        .setData(UnsafeByteOperations.unsafeWrap(frame.getBlock().getData().toByteArray())))
        .build();
  }

  /**
   * The next frame from the peer, blocking until one arrives.
   *
   * @throws SyncException when the peer gave up on the lane ({@link SyncException#remote()})
   */
  SyncFrame receive() throws SyncException, LinkException, InterruptedException;

  /** The next frame if one is already there, else null. */
  SyncFrame poll() throws SyncException, LinkException;

  /** Tells the peer this side gives up on the lane, and why; no retry follows. */
  void fail(SyncException reason);

  /** Ends the link after a completed lane. */
  @Override
  void close();
}
