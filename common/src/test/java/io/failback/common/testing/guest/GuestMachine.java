package io.failback.common.testing.guest;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A running tiny guest under QEMU; closing it kills QEMU if it still runs. */
public final class GuestMachine implements AutoCloseable {
  private final Process process;
  private final GuestConsole console;
  private final Qmp qmp;

  GuestMachine(Process process, GuestConsole console, Qmp qmp) {
    this.process = process;
    this.console = console;
    this.qmp = qmp;
  }

  public GuestConsole console() {
    return console;
  }

  public Qmp qmp() {
    return qmp;
  }

  /** Presses the ACPI power button, as a hypervisor's graceful shutdown does. */
  public void pressPowerButton() throws IOException {
    qmp.execute("system_powerdown", null);
  }

  /** Waits for QEMU to exit and returns its exit code; fails the test on timeout. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      fail("the guest did not power off within " + timeout + "; its console:\n"
          + console.tail());
    }
    return process.exitValue();
  }

  /** Kills QEMU (SIGKILL) at once, as a host crash would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      qmp.close();
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
