package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One reference point per VM after a failback's writes, never made while a disk is written. */
class AfterWriteReferencesTest extends ReadPointTestBase {
  @Test
  void aTargetSessionStartingWhileTheVmsReferencePointIsMadeWaitsForIt() throws Exception {
    driver.stopVm(vm.getId(), false);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch keeping = pauseKeeping(release);
    AfterWriteReferences afterWrite = new AfterWriteReferences(readPoints);
    afterWrite.starting(vm.getId());
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
      try {
        return afterWrite.finished(vm.getId(), disk0, true);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(keeping.await(10, TimeUnit.SECONDS));
    CompletableFuture<Void> late = CompletableFuture.runAsync(() -> {
      try {
        afterWrite.starting(vm.getId());
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> late.get(200, TimeUnit.MILLISECONDS), "no write while the checkpoint is made");
    release.countDown();
    assertNotEquals("", first.get(10, TimeUnit.SECONDS));
    late.get(10, TimeUnit.SECONDS);
    assertNotEquals("", afterWrite.finished(vm.getId(), disk1, true));
    assertEquals(List.of(List.of(disk0), List.of(disk1)), driver.kept,
        "the late writer's disk got a reference point of its own, made after its writes");
    assertNothingLeft();
  }

  @Test
  void targetSessionsOfAVmGetOneReferencePointOnceTheLastHasWritten() throws Exception {
    driver.stopVm(vm.getId(), false); // a failback writes the disks of an Off VM
    AfterWriteReferences afterWrite = new AfterWriteReferences(readPoints);
    afterWrite.starting(vm.getId());
    afterWrite.starting(vm.getId());
    afterWrite.starting(vm.getId());
    assertEquals("", afterWrite.finished(vm.getId(), "failed-disk", false),
        "a session that did not write gets none, at once");
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
      try {
        return afterWrite.finished(vm.getId(), disk0, true);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThrows(java.util.concurrent.TimeoutException.class,
        () -> first.get(200, TimeUnit.MILLISECONDS), "waits while another disk is written");
    assertEquals(0, driver.created, "no checkpoint while a disk of the VM is being written");
    String second = afterWrite.finished(vm.getId(), disk1, true);
    assertEquals(1, driver.created);
    assertEquals(List.of(List.of(disk0, disk1)), driver.kept);
    assertNotEquals("", first.get(10, TimeUnit.SECONDS));
    assertNotEquals("", second);
    assertNothingLeft();
  }
}
