package io.failback.common.nbd;

import java.io.IOException;

/** The NBD server refused an option or failed a request; {@link #error()} is its errno value. */
public final class NbdException extends IOException {
  private final int error;

  NbdException(int error, String message) {
    super(message);
    this.error = error;
  }

  /** The server's error: an errno value for a request (EIO 5, EINVAL 22, ENOSPC 28, ...). */
  public int error() {
    return error;
  }
}
