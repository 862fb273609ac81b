package io.failback.common.nbd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Waits for a process that is not this JVM's child (a daemonized qemu-nbd) to exit, looking
 * every {@link #POLL}.
 *
 * <p>Why not {@code ProcessHandle.onExit()}: for a process it cannot reap, the JDK looks with
 * pauses that grow, and counts a zombie as alive ({@link #running}); it answered 1.2–1.8 s after
 * the exit here. A cloud disk's qemu-nbd exits as its client leaves, and closing the disk is on
 * the way to starting the on-prem VM: that wait was downtime.
 */
final class ExitWait {
  static final Duration POLL = Duration.ofMillis(5);

  /** Pauses the caller; the tests count the pauses instead. */
  interface Sleeper {
    void sleep(Duration pause) throws InterruptedException;
  }

  private ExitWait() {}

  /**
   * Whether {@code process} runs: not a zombie. Why: an exited qemu-nbd (a daemon, not this
   * JVM's child) stays a zombie until the machine's init reaps it, and {@code isAlive} says
   * true meanwhile; the init of these test machines reaped after 1.2–2.0 s.
   */
  static boolean running(ProcessHandle process) {
    if (!process.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
      return !exited(stat);
    } catch (IOException | RuntimeException gone) {
      return process.isAlive(); // no /proc (not Linux), or gone meanwhile
    }
  }

  /** Whether a {@code /proc/PID/stat} line is of a process that exited (zombie, dead). */
  static boolean exited(String stat) {
    // The command name is in parentheses and may hold spaces or parentheses itself.
    String after = stat.substring(stat.lastIndexOf(')') + 1).strip();
    return after.startsWith("Z") || after.startsWith("X");
  }

  /** Whether {@code alive} turned false within {@code timeout}. */
  static boolean await(BooleanSupplier alive, Duration timeout) throws InterruptedException {
    return await(alive, timeout, pause -> Thread.sleep(pause.toMillis()), System::nanoTime);
  }

  static boolean await(BooleanSupplier alive, Duration timeout, Sleeper sleeper,
      LongSupplier nanos) throws InterruptedException {
    long deadline = nanos.getAsLong() + timeout.toNanos();
    while (alive.getAsBoolean()) {
      if (nanos.getAsLong() - deadline >= 0) {
        return false;
      }
      sleeper.sleep(POLL);
    }
    return true;
  }
}
