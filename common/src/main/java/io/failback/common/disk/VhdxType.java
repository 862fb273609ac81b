package io.failback.common.disk;

/** How a VHDX file allocates its payload blocks, from the File Parameters metadata item. */
public enum VhdxType {
  /** LeaveBlocksAllocated is set: every payload block is present in the file. */
  FIXED,
  /** Blocks are allocated on first write; absent blocks read as zeros. */
  DYNAMIC,
  /**
   * HasParent is set: absent blocks come from a parent disk. Refused for sync: merge the
   * checkpoints first.
   */
  DIFFERENCING
}
