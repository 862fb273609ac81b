package io.failback.common.nbd;

/**
 * One block-status descriptor: {@code length} bytes from {@code offset} share {@code flags}.
 *
 * <p>The flags' meaning depends on the metadata context: for {@code base:allocation} bit 0 is a
 * hole and bit 1 reads as zeros; for {@code qemu:dirty-bitmap:NAME} bit 0 is dirty.
 */
public record NbdExtent(long offset, long length, int flags) {
  public static final int ALLOCATION_HOLE = 1;
  public static final int ALLOCATION_ZERO = 2;
  public static final int DIRTY = 1;

  public long end() {
    return offset + length;
  }

  public boolean has(int flag) {
    return (flags & flag) != 0;
  }
}
