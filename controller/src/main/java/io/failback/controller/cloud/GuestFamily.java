package io.failback.controller.cloud;

import java.util.Locale;

/**
 * The family of a cloud VM's guest OS, for what the guest expects of the machine it boots on
 * beyond its devices: Windows keeps its real-time clock in local time (Hyper-V gives it local
 * time) and runs better with Hyper-V's enlightenments; other guests (Linux) keep UTC.
 */
public enum GuestFamily {
  WINDOWS,
  /** Linux, or a guest that does not say its OS: the clock in UTC, no enlightenments. */
  OTHER;

  /** The family of a guest whose host reports {@code guestOs} ("" when it does not say). */
  public static GuestFamily of(String guestOs) {
    return guestOs.toLowerCase(Locale.ROOT).contains("windows") ? WINDOWS : OTHER;
  }
}
