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

/** The lifecycle through the operator CLI, against a real controller and agent. */
class LifecycleCliTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private static Run cli(LifecycleFixtures.Handle handle, String... command) throws Exception {
    return CliRuns.as(handle.operator(), handle.target(), command);
  }

  @Test
  void protectFailOverAndFailBackFromTheCli() throws Exception {
    LifecycleFixtures.Handle handle = LifecycleFixtures.start(dir, cleanup);
    String vm = handle.vmId();

    Run badBlocks = cli(handle, "protect", vm, "--block-size", "48k");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, badBlocks.exit(), badBlocks.toString());
    assertEquals("error: --block-size must be a power of two from 4KiB to 1MiB, got '48k'"
        + " (see 'failback protect --help')", badBlocks.err().strip());
    Run badSync = cli(handle, "failover", vm, "--data-sync", "later");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, badSync.exit(), badSync.toString());
    assertTrue(badSync.err().contains("--data-sync must be before or full, got 'later'"),
        badSync.err());
    Run badDevices = cli(handle, "protect", vm, "--cloud-devices", "scsi");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, badDevices.exit(), badDevices.toString());
    assertTrue(badDevices.err().contains("--cloud-devices must be virtio or emulated"),
        badDevices.err());
    Run protect = cli(handle, "protect", vm, "--block-size", "16KiB", "--watch");
    assertEquals(0, protect.exit(), protect.toString());
    assertTrue(protect.out().contains("EnableProtection  SUCCEEDED"), protect.out());
    Run protectedItems = cli(handle, "items");
    assertTrue(protectedItems.out().lines().anyMatch(l -> l.contains(vm)
        && l.matches(".*\\s16KiB\\s.*")), protectedItems.out());
    assertTrue(protect.out().contains("100%"), "no progress bar: " + protect.out());
    Run unconfirmed = cli(handle, "unprotect", vm);
    assertEquals(picocli.CommandLine.ExitCode.USAGE, unconfirmed.exit(), unconfirmed.toString());
    assertTrue(unconfirmed.err().contains("add --yes to go ahead"), unconfirmed.err());
    Run unprotect = cli(handle, "unprotect", vm, "--yes", "--watch", "-o", "json");
    assertEquals(0, unprotect.exit(), unprotect.toString());
    assertTrue(unprotect.out().contains("\"kind\": \"DisableProtection\"")
        && unprotect.out().contains("\"state\": \"JOB_SUCCEEDED\""), unprotect.out());
    assertTrue(cli(handle, "items").out().contains("UNPROTECTED"));
    assertEquals(0, cli(handle, "protect", vm, "--watch").exit(), "protected again");
    badDevices = cli(handle, "cloud-devices", vm, "--set", "ide");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, badDevices.exit(), badDevices.toString());
    assertTrue(badDevices.err().contains("--set must be virtio or emulated, got 'ide'"),
        badDevices.err());
    Run devices = cli(handle, "cloud-devices", vm, "--set", "emulated");
    assertEquals(0, devices.exit(), devices.toString());
    assertTrue(devices.out().contains("cloud devices emulated (cloud VM ")
        && devices.out().contains("from its next start"), devices.out());
    Run devicesJson = cli(handle, "cloud-devices", vm, "--set", "virtio", "-o", "json");
    assertTrue(devicesJson.out().contains("\"cloudDevices\": \"VIRTIO\""), devicesJson.out());

    Run wrong = cli(handle, "commit", vm);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, wrong.exit(), wrong.toString());
    assertTrue(wrong.err().contains("FAILED_PRECONDITION") && wrong.err().contains("PROTECTED")
        && wrong.err().contains("allowed: 'failback failover', 'failback failover --unplanned'"),
        wrong.err());

    assertEquals(0, cli(handle, "failover", vm, "--watch").exit());
    assertEquals(0, cli(handle, "commit", vm, "--watch").exit());
    Run dryRun = cli(handle, "failover", vm, "--validate-only");
    assertEquals(0, dryRun.exit(), dryRun.toString());
    assertTrue(dryRun.out().contains("pre-flight: no problems")
        && dryRun.out().contains("recommended: --data-sync before"), dryRun.out());
    // After a planned failover phase 1 sends only the cloud VM's tracked writes: no checksums.
    assertTrue(dryRun.out().contains(" to send, 0 B to checksum, ~"), dryRun.out());
    String unknown = "00000000-0000-4000-8000-0000000000aa";
    Run problems = cli(handle, "failover", vm, unknown, "--validate-only");
    assertEquals(PreflightView.PROBLEMS_FOUND, problems.exit(), problems.toString());
    assertTrue(problems.out().contains("pre-flight: 1 problem(s)")
        && problems.out().contains(unknown), problems.out());
    Run failback = cli(handle, "failover", vm, "--data-sync", "before", "--watch");
    assertEquals(0, failback.exit(), failback.toString());
    assertTrue(failback.out().lines().anyMatch(l -> l.contains("WAITING")
        && l.matches(".*next: [a-z, -]*complete.*")), failback.out());
    String job = failback.out().lines().findFirst().orElseThrow().split("\\s+")[1];

    Run complete = cli(handle, "complete", job, "--watch");
    assertEquals(0, complete.exit(), complete.toString());
    assertTrue(complete.out().contains("on-prem disk == cloud disk at shutdown: yes"),
        complete.out());
    Run items = cli(handle, "items");
    assertTrue(items.out().contains("FAILED_BACK_COMMIT_PENDING"), items.out());
    Run jobs = cli(handle, "jobs", "--vm", vm);
    assertTrue(jobs.out().lines().count() >= 4, jobs.out());

    Run checked = cli(handle, "rollback", vm, "--validate-only");
    assertEquals(0, checked.exit(), checked.toString());
    assertTrue(checked.out().contains("nothing was changed"), checked.out());
    // As scripts use it: the API's answer, once the job ended.
    Run rollback = cli(handle, "rollback", vm, "--watch", "-o", "json");
    assertEquals(0, rollback.exit(), rollback.toString());
    com.google.gson.JsonObject answer = com.google.gson.JsonParser.parseString(rollback.out())
        .getAsJsonObject();
    assertEquals("RollbackFailback", answer.getAsJsonObject("job").get("kind").getAsString());
    assertEquals("JOB_SUCCEEDED", answer.getAsJsonObject("job").get("state").getAsString());
    assertTrue(cli(handle, "items").out().contains("FAILED_OVER"));
    Run again = cli(handle, "rollback", vm);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, again.exit(), again.toString());
    assertTrue(again.err().contains("allowed: 'failback failover', 'failback drill'"),
        again.err());

    Run drill = cli(handle, "drill", vm, "--watch", "-o", "json");
    assertEquals(0, drill.exit(), drill.toString());
    assertEquals("TestFailback", com.google.gson.JsonParser.parseString(drill.out())
        .getAsJsonObject().getAsJsonObject("job").get("kind").getAsString());
    Run blocked = cli(handle, "failover", vm);
    assertTrue(blocked.err().contains("'failback drill-cleanup' first"), blocked.err());
    Run cleaned = cli(handle, "drill-cleanup", vm, "--watch");
    assertEquals(0, cleaned.exit(), cleaned.toString());
    assertTrue(cleaned.out().contains("CleanupTestFailback  SUCCEEDED"), cleaned.out());
    Run badRestart = cli(handle, "restart-cloud-vm", vm, "--cloud-devices", "ide");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, badRestart.exit(), badRestart.toString());
    assertTrue(badRestart.err().contains("--cloud-devices must be virtio or emulated"),
        badRestart.err());
    Run restart = cli(handle, "restart-cloud-vm", vm, "--cloud-devices", "emulated", "--force",
        "--watch");
    assertEquals(0, restart.exit(), restart.toString());
    assertTrue(restart.out().contains("RestartCloudVm  SUCCEEDED"), restart.out());
    assertTrue(cli(handle, "items", "-o", "json").out().contains("\"cloudDevices\": \"EMULATED\""));

    Run badMode = cli(handle, "failover", vm, "--data-sync", "sometimes");
    assertTrue(badMode.exit() != 0 && badMode.err().contains("--data-sync"), badMode.err());
    Run cancelDone = cli(handle, "cancel", job);
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, cancelDone.exit(), cancelDone.toString());

    // It stays in the cloud: only with --keep-cloud-vm, and --yes.
    Run keepUnconfirmed = cli(handle, "unprotect", vm, "--keep-cloud-vm");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, keepUnconfirmed.exit());
    assertTrue(keepUnconfirmed.err().contains("their cloud VMs stay but can fail back no more;"
        + " add --yes"), keepUnconfirmed.err());
    Run deleting = cli(handle, "unprotect", vm, "--yes");
    assertEquals(FailbackMain.EXIT_SERVER_ERROR, deleting.exit(), deleting.toString());
    assertTrue(deleting.err().contains("(failback unprotect --keep-cloud-vm)"), deleting.err());
    Run kept = cli(handle, "unprotect", vm, "--keep-cloud-vm", "--yes", "--watch");
    assertEquals(0, kept.exit(), kept.toString());
    assertTrue(kept.out().contains("DisableProtection  SUCCEEDED"), kept.out());
    assertTrue(cli(handle, "items").out().contains("UNPROTECTED"));
  }

  /** An unplanned failover's pre-flight changes nothing; failback options are refused. */
  @Test
  void unplannedValidateOnlySaysWhatEachVmStartsFromAndChangesNothing() throws Exception {
    LifecycleFixtures.Handle handle = LifecycleFixtures.start(dir, cleanup);
    String vm = handle.vmId();
    assertEquals(0, cli(handle, "protect", vm, "--watch").exit());

    Run elsewhere = cli(handle, "failover", vm, "--unplanned", "--target-host", "hv-02");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, elsewhere.exit(), elsewhere.toString());
    assertTrue(elsewhere.err().contains("--unplanned starts the cloud replicas as they are; it"
        + " takes no --target-host"), elsewhere.err());
    Run transfer = cli(handle, "failover", vm, "--unplanned", "--data-sync", "full",
        "--compression", "lz4");
    assertEquals(picocli.CommandLine.ExitCode.USAGE, transfer.exit(), transfer.toString());
    assertTrue(transfer.err().contains("it takes no --data-sync, --compression"), transfer.err());

    Run check = cli(handle, "failover", vm, "--unplanned", "--validate-only");
    assertEquals(0, check.exit(), check.toString());
    assertTrue(check.out().contains("pre-flight: no problems")
        && check.out().contains("): starts from the recovery point of ")
        && check.out().contains("host hv-01 is online: the on-prem VM is stopped first"),
        check.out());
    Run json = cli(handle, "failover", vm, "--unplanned", "--validate-only", "-o", "json");
    assertEquals(0, json.exit(), json.toString());
    assertTrue(json.out().contains("\"recoveryPoints\"") && json.out().contains("\"hostOnline\":"
        + " true"), json.out());
    String unknown = "00000000-0000-4000-8000-0000000000aa";
    Run problems = cli(handle, "failover", vm, unknown, "--unplanned", "--validate-only");
    assertEquals(PreflightView.PROBLEMS_FOUND, problems.exit(), problems.toString());
    assertTrue(problems.out().contains("pre-flight: 1 problem(s)") && problems.out()
        .contains(unknown) && problems.out().contains("starts from the recovery point"),
        problems.out());

    assertTrue(cli(handle, "items").out().lines().anyMatch(l -> l.contains(vm)
        && l.contains(" PROTECTED ")), "still PROTECTED");
    Run jobs = cli(handle, "jobs", "--vm", vm);
    assertEquals(2, jobs.out().lines().count(), "only the protection's job: " + jobs.out());
  }
}
