package io.failback.agent.hyperv;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A VM's disks frozen at one moment, readable while the VM runs on.
 *
 * <p>Reading a running VM's disk in place would copy blocks from different moments (and a real
 * Hyper-V host refuses it): a source session of a running VM reads its read point instead. On
 * Hyper-V that is a recovery checkpoint: the guest writes into a new differencing file while the
 * base disk stays as it was. Ending it either keeps it as the next change-tracking reference
 * point, or discards it; both fold the guest's writes back into the disk.
 */
public interface ReadPoint {
  /**
   * Making a read point failed in a way that may have left one behind (a timeout, a lost
   * answer): it is found and discarded by the time it was asked for.
   */
  final class OutcomeUnknownException extends IOException {
    public OutcomeUnknownException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The host's id of this read point, to discard it after an agent crash. */
  String id();

  /**
   * The file holding disk {@code diskPath} as it was at this point (on Hyper-V the same file: the
   * frozen base disk).
   *
   * @throws IOException if the disk is not in this read point, or cannot be synced (a
   *     differencing disk, another format)
   */
  Path disk(String diskPath) throws IOException;

  /**
   * The ranges of {@code diskPath} written between reference point {@code reference} and this
   * read point, sorted and within {@code [0, diskSize)}; empty when they are not known (see
   * {@link ChangeTracking#changedSince}).
   */
  Optional<List<ChangeTracking.ByteRange>> changedSince(String diskPath, String reference,
      long diskSize) throws IOException;

  /**
   * Ends the read point and keeps it as a change-tracking reference point: a later {@link
   * #changedSince} with a returned id reports exactly what the guest wrote after this point.
   *
   * @return the reference id of each of {@code diskPaths}, by path
   * @throws IOException when it could not be kept; the caller then {@link #discard}s it
   */
  Map<String, String> keep(List<String> diskPaths) throws IOException;

  /** Ends the read point without a reference point; nothing if it has already ended. */
  void discard() throws IOException;
}
