package io.failback.controller.tuning;

import java.util.OptionalInt;

/**
 * The block size of a transfer, and why: the unit of its digests, of its change sets and of
 * what it sends for one changed byte.
 *
 * @param bytes a power of two from {@link #MIN} to {@link #MAX}
 * @param because "asked for the job", "the VM's, as a job asked", "the default", …
 */
public record BlockSize(int bytes, String because) {
  /**
   * Unless asked: the granularity of the KVM cloud's dirty bitmaps and of the agent's undo
   * journal, so that a tracked pass would send no less with smaller blocks; and a checksum pass
   * of 1 TiB exchanges 256 MiB of digests, four times that at 16 KiB.
   */
  public static final int DEFAULT = 64 * 1024;
  /** A cloud's change sets come in no finer unit (a 4 KiB sector). */
  public static final int MIN = 4096;
  /** A block is one message: well inside the 4 MiB gRPC accepts, sealed or not. */
  public static final int MAX = 1 << 20;
  /** A batch carries this many bytes of blocks whatever their size, as 256 of 64 KiB did. */
  public static final int BATCH_BYTES = 16 << 20;

  public static final BlockSize STANDARD = new BlockSize(DEFAULT, "the default");

  public BlockSize {
    if (!valid(bytes)) {
      throw new IllegalArgumentException("block size " + bytes + " is not a power of two from "
          + MIN + " to " + MAX);
    }
  }

  /** Whether {@code bytes} is a block size a transfer may have. */
  public static boolean valid(long bytes) {
    return bytes >= MIN && bytes <= MAX && Long.bitCount(bytes) == 1;
  }

  /**
   * A transfer's block size: the one its job asked for, else the VM's ({@code vmBlockSize},
   * 0 for none recorded), else the default.
   */
  public static BlockSize choose(OptionalInt asked, int vmBlockSize) {
    return choose(asked, vmBlockSize, false);
  }

  /**
   * As the other; {@code chosen}: the VM's size is the one the controller chose for a slow link
   * ({@link BlockSizePolicy}) rather than one a job asked for.
   */
  public static BlockSize choose(OptionalInt asked, int vmBlockSize, boolean chosen) {
    if (asked.isPresent()) {
      return new BlockSize(asked.getAsInt(), "asked for the job");
    }
    if (vmBlockSize != 0 && valid(Integer.toUnsignedLong(vmBlockSize))) {
      return new BlockSize(vmBlockSize, vmBlockSize == DEFAULT ? "the default"
          : chosen ? "the VM's, chosen by the controller for a slow link"
          : "the VM's, as a job asked");
    }
    return STANDARD;
  }

  /** The size stored for the VM: 0 for the default, so that records without one read alike. */
  public static int stored(int bytes) {
    return bytes == DEFAULT ? 0 : bytes;
  }

  /** The bytes a stored size stands for. */
  public static int fromStored(int stored) {
    return stored == 0 ? DEFAULT : stored;
  }

  /** How many blocks a batch of the transfer carries. */
  public int blocksPerBatch() {
    return BATCH_BYTES / bytes;
  }

  /** "4 KiB", "64 KiB", "1 MiB". */
  public static String describe(int bytes) {
    return bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB"
        : bytes % 1024 == 0 ? (bytes >> 10) + " KiB" : bytes + " bytes";
  }

  @Override
  public String toString() {
    return "blocks of " + describe(bytes) + " (" + because + ")";
  }
}
