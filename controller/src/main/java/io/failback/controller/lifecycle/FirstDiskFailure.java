package io.failback.controller.lifecycle;

import io.failback.common.sync.SyncException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The first of a VM's disks to fail, in time, and the stop of the others.
 *
 * <p>The failure that came first is the cause (a full disk, a broken link); what the other disks
 * report after it is mostly its consequence (a session cancelled, a channel closed), and the
 * order of the disks says nothing about which came first. One failed disk fails the VM, so the
 * others are stopped at once rather than when their turn to be awaited comes.
 */
final class FirstDiskFailure {
  private final String where;
  private final Consumer<String> stopOthers;
  private final AtomicReference<LifecycleException> first = new AtomicReference<>();

  /**
   * @param where what follows a disk's path in the message ("of host hv-01")
   * @param stopOthers cancels this transfer's sessions, with the reason
   */
  FirstDiskFailure(String where, Consumer<String> stopOthers) {
    this.where = where;
    this.stopOthers = stopOthers;
  }

  /** Records {@code disk}'s failure the moment its session fails. */
  void watch(String disk, CompletableFuture<?> session) {
    session.whenComplete((outcome, failure) -> {
      if (failure != null) {
        failed(disk, failure);
      }
    });
  }

  /** Records a failure of {@code disk}; only the first one counts. */
  void failed(String disk, Throwable failure) {
    Throwable cause = FlowSupport.cause(failure);
    String reason = cause instanceof SyncException sync ? sync.getMessage()
        : String.valueOf(cause);
    if (first.compareAndSet(null,
        new LifecycleException("disk " + disk + " " + where + ": " + reason, cause))) {
      stopOthers.accept("another disk of the VM failed");
    }
  }

  void throwIfAny() throws LifecycleException {
    LifecycleException failure = first.get();
    if (failure != null) {
      throw failure;
    }
  }
}
