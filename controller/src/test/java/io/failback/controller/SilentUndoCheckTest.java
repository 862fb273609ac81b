package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.lifecycle.ProtectedItems;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator rolls back the failback of a compromised host's VM, whose agent answers the
 * controller's probes but never the check of its undo journals. RollbackFailback asked that
 * check under the lock every job is launched under and waited the command timeout (five
 * minutes) there: no job of any VM of any host could start meanwhile.
 */
class SilentUndoCheckTest {
  private static final String VM = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aCheckTheHostNeverAnswersHoldsBackNoOtherLaunch() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    SilentDueStartTest.Host rogue = SilentDueStartTest.connect(controller, cleanup, "hv-66",
        VM, false);
    CloudVm cloudVm = controller.server.cloud().create(new CloudVmSpec("evil-01", VM,
        List.of(new DiskSpec("d0", DiskFormat.RAW, 1 << 20)), List.of(), 256 << 20, 1));
    ProtectedItems items = controller.server.protectedItems();
    items.create(VM, "evil-01", "hv-66");
    for (ProtectionState state : List.of(ProtectionState.INITIAL_REPLICATION,
        ProtectionState.PROTECTED, ProtectionState.FAILING_OVER,
        ProtectionState.FAILED_OVER_COMMIT_PENDING, ProtectionState.FAILED_OVER,
        ProtectionState.FAILING_BACK, ProtectionState.FAILBACK_SYNCED,
        ProtectionState.FAILBACK_COMPLETING, ProtectionState.FAILED_BACK_COMMIT_PENDING)) {
      items.transition(VM, null, state, b -> b.setCloudVmId(cloudVm.id())
          .setUndoJournal("undo-1"));
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!controller.server.registry().isOnline("hv-66")) {
      assertTrue(System.nanoTime() < deadline, "the rogue never came online");
      Thread.sleep(20);
    }

    // Its check waits for the rogue (validate only: nothing would start either way).
    CompletableFuture.runAsync(() -> {
      try {
        controller.server.lifecycle().rollbackFailback(Targets.of(List.of(VM)), true);
      } catch (Exception e) {
        // the command timeout, minutes later
      }
    });
    deadline = System.nanoTime() + 20_000_000_000L;
    while (rogue.commands.stream().noneMatch(c -> c.getRollbackDisks().getCheckOnly())) {
      assertTrue(System.nanoTime() < deadline, "the undo journals' check was never asked");
      Thread.sleep(20);
    }
    SilentDueStartTest.assertLaunchesGoOn(controller);
  }
}
