package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.JobState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host whose delta cycle never ends (its lanes stop sending, just as one that
 * sends a batch now and then, short of the stall timeout, would) beside a legitimate host, both
 * with a protected VM, over real mutual TLS. Every protected VM's cycle ran in turn on the one
 * replication thread: the rogue's cycle held it, and no VM of any other host cycled again, its
 * recovery point aging without end. Now only the rogue's own VMs wait.
 */
class HungHostCyclesTest {
  private static final String ROGUE = "hv-66";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void anotherHostsVmKeepsCyclingWhileTheRoguesCycleHangs() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withControllerSettings(dir, cleanup,
        port -> "localhost:" + port, c -> c.replicationInterval = Duration.ofMillis(300));
    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    RogueAgent rogue = RogueHost.start(fixture, cleanup, dir, ROGUE, "evil-01",
        fixture.controller.port());
    RogueHost.protect(fixture, ROGUE, JobState.JOB_SUCCEEDED);
    String evil = fixture.controller.server.registry().host(ROGUE).orElseThrow()
        .getInventory().getVirtualMachines(0).getId();

    CountDownLatch hung = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    cleanup.register(release::countDown);
    rogue.frames = frame -> {
      hung.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return frame;
    };
    assertTrue(hung.await(30, TimeUnit.SECONDS), "the rogue's VM never cycled");

    AtomicInteger cycled = new AtomicInteger();
    AtomicInteger rogueEnded = new AtomicInteger();
    fixture.controller.server.lifecycle().addCycleListener(end -> {
      if (end.vmId().equalsIgnoreCase(fixture.vmId) && end.succeeded()) {
        cycled.incrementAndGet();
      } else if (end.vmId().equalsIgnoreCase(evil)) {
        rogueEnded.incrementAndGet();
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (cycled.get() < 3) {
      assertTrue(System.nanoTime() < deadline, "hv-01's VM cycled " + cycled.get()
          + " times in 30 s while the rogue's cycle hung (every 300 ms before)");
      Thread.sleep(50);
    }
    assertEquals(0, rogueEnded.get(), "the rogue's cycle was meant to hang all along");
  }
}
