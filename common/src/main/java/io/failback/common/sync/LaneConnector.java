package io.failback.common.sync;

import io.failback.proto.v1.LaneCheckpoint;

/** Gives a lane a link to its peer, and the checkpoint both ends (re)start from. */
public interface LaneConnector {
  /** A lane's link and where it starts; a null start means the lane's first block. */
  record OpenLane(FrameLink link, LaneCheckpoint start) {}

  /**
   * Opens lane {@code lane}, or waits for the peer to open it; after a broken link it is called
   * again and must return the last durable checkpoint.
   */
  OpenLane open(int lane) throws SyncException, LinkException, InterruptedException;
}
