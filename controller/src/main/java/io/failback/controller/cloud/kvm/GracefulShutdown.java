package io.failback.controller.cloud.kvm;

import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.PowerState;
import java.time.Duration;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/**
 * Shuts a domain down: the ACPI power button, a wait of up to the timeout for the guest to power
 * off, then a hard stop (at once with a zero timeout). It returns only once QEMU has exited, so
 * no guest write can still land.
 */
final class GracefulShutdown {
  private static final long POLL_MILLIS = 100;
  private static final Duration DESTROY_WAIT = Duration.ofSeconds(30);

  private final Domain domain;
  private final Duration timeout;
  private final String label;

  GracefulShutdown(Domain domain, Duration timeout, String label) {
    this.domain = domain;
    this.timeout = timeout;
    this.label = label;
  }

  void run() throws CloudException {
    try {
      if (KvmDomains.state(domain) == PowerState.OFF) {
        return;
      }
      if (!timeout.isZero()) { // zero: destroyed at once, its guest not asked
        try {
          domain.shutdown(); // QEMU driver without a guest agent: the ACPI power button.
        } catch (LibvirtException e) {
          if (!stoppingByItself(e)) {
            throw e;
          }
        }
        if (awaitOff(timeout)) {
          return;
        }
      }
      try {
        domain.destroy();
      } catch (LibvirtException e) {
        if (!stoppingByItself(e)) {
          throw e;
        }
      }
      if (!awaitOff(DESTROY_WAIT)) {
        throw CloudException.io(new IllegalStateException("QEMU still runs"),
            "cloud VM %s did not stop", label);
      }
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot shut down cloud VM %s", label);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CloudException.io(e, "interrupted shutting down cloud VM %s", label);
    }
  }

  /**
   * Whether a refused shutdown or destroy means the guest got there first. When a guest powers
   * off, libvirt marks the domain inactive a moment before its state reads "shut off" (it drops
   * the domain's lock while stopping QEMU), so the call says "domain is not running" while the
   * state still reads running: wait for the state rather than fail.
   */
  private static boolean stoppingByItself(LibvirtException e) {
    return e.getError() != null
        && e.getError().getCode() == ErrorNumber.VIR_ERR_OPERATION_INVALID;
  }

  /** Whether the domain is off within {@code wait}; libvirt has no blocking wait for it. */
  private boolean awaitOff(Duration wait) throws LibvirtException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (KvmDomains.state(domain) != PowerState.OFF) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(POLL_MILLIS);
    }
    return true;
  }
}
