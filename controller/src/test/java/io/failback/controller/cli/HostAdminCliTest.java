package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.LifecycleFixtures;
import io.failback.controller.cli.CliRuns.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** fence, unfence, remove-host, move-vm and audit through the CLI, against a real controller. */
class HostAdminCliTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private static Run cli(LifecycleFixtures.Handle handle, String... command) throws Exception {
    return CliRuns.as(handle.operator(), handle.target(), command);
  }

  @Test
  void fenceShowsInHostsAndAuditAndBadInputExitsNonZero() throws Exception {
    LifecycleFixtures.Handle handle = LifecycleFixtures.start(dir, cleanup);
    Run fence = cli(handle, "fence", "hv-01", "--reason", "disk encrypted by ransomware");
    assertEquals(0, fence.exit(), fence.toString());
    Run hosts = cli(handle, "hosts");
    assertTrue(hosts.out().contains("FENCED"), hosts.out());
    Run audit = cli(handle, "audit", "--target", "host/hv-01", "-o", "json");
    assertEquals(0, audit.exit(), audit.toString());
    assertTrue(audit.out().contains("\"action\": \"host.fence\"")
        && audit.out().contains("ransomware"), audit.out());
    Run noReason = cli(handle, "fence", "hv-01");
    assertTrue(noReason.exit() != 0 && noReason.err().contains("--reason"), noReason.toString());
    Run badVm = cli(handle, "move-vm", "../x", "--to-host", "hv-02", "--reason", "r");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, badVm.exit(), badVm.toString());
    assertTrue(badVm.err().contains("INVALID_ARGUMENT") && badVm.err().contains("not a VM id"),
        badVm.err());
    assertEquals(0, cli(handle, "unfence", "hv-01").exit());
    Run help = cli(handle, "remove-host", "--help");
    assertEquals(0, help.exit(), help.toString());
  }
}
