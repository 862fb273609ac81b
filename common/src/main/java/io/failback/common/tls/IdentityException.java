package io.failback.common.tls;

/** A certificate that is trusted but carries no usable Failback identity. */
public final class IdentityException extends Exception {
  public IdentityException(String format, Object... args) {
    super(String.format(format, args));
  }
}
