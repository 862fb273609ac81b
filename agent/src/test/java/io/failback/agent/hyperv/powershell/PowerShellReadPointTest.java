package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ChangeTracking.ByteRange;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.VirtualDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Read points (recovery checkpoints) and reference points of the PowerShell driver against a
 * fake powershell: the scripts run, the parameters they get, and how their answers are checked.
 */
class PowerShellReadPointTest extends FakePowerShellTestBase {
  private static final String VM = "cd06e882-a253-4dad-8a48-a523677cb340";
  private static final String POINT = "Microsoft:5C8E1D2A-7F7B-4C57-9A43-0E55C1F1D3B2";
  private static final String VM_PARAMS = "{\"vmId\":\"" + VM + "\"}";
  private static final String POINT_PARAMS = "{\"vmId\":\"" + VM + "\",\"pointId\":\"" + POINT
      + "\"}";
  private static final String A = "D:\\Hyper-V\\web 01\\a.vhdx";
  private static final String B = "D:\\Hyper-V\\web 01\\b é.vhdx";

  @Test
  void aReadPointReadsTheFrozenBaseDisksAndKeepsThemAsAReferencePoint() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Dynamic"),
        disk(B, 3, 3)), "", 0);
    fake.expect("changed-ranges.ps1", "{\"path\":\"" + json(B) + "\",\"limitId\":\"rct:b:1\","
        + "\"byteOffset\":0,\"byteLength\":1048576}", "{\"available\":true,\"ranges\":"
        + "{\"offset\":4096,\"length\":512}}", "", 0);
    fake.expect("keep-read-point.ps1", "{\"vmId\":\"" + VM + "\",\"pointId\":\"" + POINT
        + "\",\"diskPaths\":[\"" + json(A) + "\",\"" + json(B) + "\"]}",
        "{\"references\":[{\"path\":\"" + json(B) + "\",\"reference\":\"rct:b:2\"},"
        + "{\"path\":\"" + json(A) + "\",\"reference\":\"rct:a:2\"}],"
        + "\"referencePointId\":\"Microsoft:RP-1\"}", "", 0);

    ReadPoint point = driver.createReadPoint(VM);
    assertEquals(POINT, point.id());
    assertEquals(Path.of(A), point.disk(A));
    assertEquals(Path.of(B), point.disk(B.toUpperCase(Locale.ROOT)),
        "Windows paths ignore case; the file is the checkpoint's");
    assertEquals(Optional.of(List.of(new ByteRange(4096, 512))),
        point.changedSince(B, "rct:b:1", 1 << 20));
    assertEquals(Map.of(A, "rct:a:2", B, "rct:b:2"), point.keep(List.of(A, B)));
    fake.assertAllCalled();
  }

  @Test
  void whileAReadPointIsOpenTheInventoryShowsTheFrozenDisksNotTheCheckpointFiles()
      throws IOException {
    String avhdx = "D:\\Hyper-V\\web 01\\a_5C8E1D2A.avhdx";
    String live = "{\"hostName\":\"hv-01\",\"vms\":{\"id\":\"" + VM.toUpperCase(Locale.ROOT)
        + "\",\"name\":\"web 01\",\"state\":\"Running\",\"disks\":{\"path\":\"" + json(avhdx)
        + "\",\"format\":\"VHDX\",\"type\":\"Differencing\",\"size\":1048576,"
        + "\"blockSize\":2097152,\"parentPath\":\"" + json(A.toUpperCase(Locale.ROOT))
        + "\"}}}";
    fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Dynamic")), "", 0);
    fake.expect("inventory.ps1", "{}", live, "", 0);
    fake.expect("discard-read-point.ps1", POINT_PARAMS, "{\"discarded\":true}", "", 0);
    fake.expect("inventory.ps1", "{}", live, "", 0);

    ReadPoint point = driver.createReadPoint(VM);
    VirtualDisk shown = driver.inventory().getVirtualMachines(0).getDisks(0);
    assertEquals(A, shown.getPath(), "a session of the VM's other disk still finds this one");
    assertEquals(DiskType.DYNAMIC, shown.getType());
    assertEquals(40L << 30, shown.getVirtualSizeBytes());
    point.discard();
    VirtualDisk after = driver.inventory().getVirtualMachines(0).getDisks(0);
    assertEquals(DiskType.DIFFERENCING, after.getType(), "the host's own view once it ended");
    fake.assertAllCalled();
  }

  /**
   * An ISO in a DVD drive and a floppy image are Logical Disks (ResourceType 31) of the
   * checkpoint too, and Get-VHD cannot read them: a VM with an ISO inserted got no read point.
   */
  @Test
  void aReadPointListsTheCheckpointsHardDisksNotItsIsoOrFloppyImages() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Dynamic")), "", 0);
    driver.createReadPoint(VM);
    String script = fake.receivedScript(1);
    assertTrue(script.contains("$_.ResourceType -eq 31 -and $_.ResourceSubType -eq"
        + " 'Microsoft:Hyper-V:Virtual Hard Disk'"), script);
    fake.assertAllCalled();
  }

  @Test
  void aDiskOutsideTheReadPointOrNotAWholeVhdxIsRefusedBeforeAnyRead() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Differencing"),
        disk(B, "VHD", "Dynamic")), "", 0);
    ReadPoint point = driver.createReadPoint(VM);
    IOException outside = assertThrows(IOException.class, () -> point.disk("D:\\other.vhdx"));
    assertTrue(outside.getMessage().startsWith("disk D:\\other.vhdx is not in read point "
        + POINT + " of VM " + VM), outside.getMessage());
    IOException differencing = assertThrows(IOException.class, () -> point.disk(A));
    assertTrue(differencing.getMessage().contains("is a differencing disk"),
        differencing.getMessage());
    IOException format = assertThrows(IOException.class,
        () -> point.changedSince(B, "rct:b:1", 1 << 20));
    assertTrue(format.getMessage().contains("only VHDX disks"), format.getMessage());
    fake.assertAllCalled();
  }

  @Test
  void aFailureAfterCreateSnapshotWasCalledLeavesTheOutcomeUnknown() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, "", "CreateSnapshot failed: timeout\n", 2);
    fake.expect("create-read-point.ps1", VM_PARAMS, "{\"id\":\"\"}", "", 0);
    fake.expect("create-read-point.ps1", VM_PARAMS, "", "no VM with id " + VM + "\n", 1);
    IOException failed = assertThrows(ReadPoint.OutcomeUnknownException.class,
        () -> driver.createReadPoint(VM));
    assertTrue(failed.getMessage().contains("CreateSnapshot failed: timeout"),
        failed.getMessage());
    assertThrows(ReadPoint.OutcomeUnknownException.class, () -> driver.createReadPoint(VM),
        "made, but its id is missing from the answer");
    IOException refused = assertThrows(IOException.class, () -> driver.createReadPoint(VM));
    assertFalse(refused instanceof ReadPoint.OutcomeUnknownException, "nothing was made");
    fake.assertAllCalled();
  }

  @Test
  void aVmWithCheckpointsOfItsOwnGetsNoReadPoint() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, "", "VM 'web 01' has 2 checkpoint(s), a"
        + " chain of disk files: delete them (Remove-VMSnapshot) to merge before syncing its"
        + " disks\n", 1);
    IOException e = assertThrows(IOException.class, () -> driver.createReadPoint(VM));
    assertTrue(e.getMessage().contains("has 2 checkpoint(s)"), e.getMessage());
    fake.assertAllCalled();
  }

  @Test
  void discardingEndsTheCheckpointAndALeftOverOneByItsId() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Fixed")), "", 0);
    fake.expect("discard-read-point.ps1", POINT_PARAMS, "{\"discarded\":true}", "", 0);
    fake.expect("discard-read-point.ps1", POINT_PARAMS, "{\"discarded\":false}", "", 0);
    driver.createReadPoint(VM).discard();
    driver.discardReadPoint(VM, POINT); // already gone: nothing to do, no error
    fake.assertAllCalled();
  }

  @Test
  void onlyThisAgentsOwnOldReferencePointsAreDestroyedBeyondTheNewestFour() throws IOException {
    driver = fake.driver(SHUTDOWN, dir.resolve("state"));
    for (int i = 1; i <= 6; i++) {
      fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Dynamic")), "",
          0);
      fake.expect("keep-read-point.ps1", "{\"vmId\":\"" + VM + "\",\"pointId\":\"" + POINT
          + "\",\"diskPaths\":[\"" + json(A) + "\"]}", "{\"references\":{\"path\":\""
          + json(A) + "\",\"reference\":\"rct:a:" + i + "\"},\"referencePointId\":"
          + "\"Microsoft:RP-" + i + "\"}", "", 0);
      if (i == 5) {
        fake.expect("destroy-reference-point.ps1", "{\"referencePointId\":\"Microsoft:RP-1\"}",
            "", "DestroyReferencePoint returned 32775", 1);
      }
      if (i == 6) {
        fake.expect("destroy-reference-point.ps1", "{\"referencePointId\":\"Microsoft:RP-1\"}",
            "{\"destroyed\":true}", "", 0);
        fake.expect("destroy-reference-point.ps1", "{\"referencePointId\":\"Microsoft:RP-2\"}",
            "{\"destroyed\":false}", "", 0);
      }
    }
    for (int i = 1; i <= 3; i++) {
      assertEquals(Map.of(A, "rct:a:" + i), driver.createReadPoint(VM).keep(List.of(A)));
    }
    // A restart in between: the list is on disk.
    driver = fake.driver(SHUTDOWN, dir.resolve("state"));
    for (int i = 4; i <= 6; i++) {
      // A failed destroy is only logged and tried again with the next reference point.
      assertEquals(Map.of(A, "rct:a:" + i), driver.createReadPoint(VM).keep(List.of(A)));
    }
    fake.assertAllCalled();
  }

  @Test
  void aReadPointWhoseIdIsUnknownIsDiscardedByItsTime() throws IOException {
    fake.expect("discard-read-points-since.ps1", "{\"vmId\":\"" + VM + "\",\"since\":"
        + "\"2026-11-26T17:00:00Z\",\"until\":\"2026-11-26T17:01:00Z\"}",
        "{\"discarded\":1}", "", 0);
    driver.discardReadPointsSince(VM, java.time.Instant.parse("2026-11-26T17:00:00Z"));
    fake.assertAllCalled();
    // PowerShell 6+ parses these instants into [datetime]s of Kind Utc; made [string]s again
    // they were read as the host's local time, a window hours off.
    String script = fake.receivedScript(1);
    assertTrue(script.contains("if ($value -is [DateTime]) { return $value.ToUniversalTime() }"),
        script);
    assertTrue(script.contains("$jsonOptions.DateKind = 'String'"), script);
  }

  @Test
  void failuresToMakeOrKeepAReadPointSurface() throws IOException {
    fake.expect("create-read-point.ps1", VM_PARAMS, "", "CreateSnapshot returned 32775", 1);
    fake.expect("create-read-point.ps1", VM_PARAMS, created(disk(A, "VHDX", "Dynamic")), "", 0);
    fake.expect("keep-read-point.ps1", "{\"vmId\":\"" + VM + "\",\"pointId\":\"" + POINT
        + "\",\"diskPaths\":[\"" + json(A) + "\"]}",
        "{\"references\":{\"path\":\"D:\\\\other.vhdx\",\"reference\":\"rct:o:1\"},"
            + "\"referencePointId\":\"Microsoft:RP-2\"}", "", 0);
    IOException failed = assertThrows(IOException.class, () -> driver.createReadPoint(VM));
    assertTrue(failed.getMessage().contains("CreateSnapshot returned 32775"), failed.getMessage());
    ReadPoint point = driver.createReadPoint(VM);
    IOException missing = assertThrows(IOException.class, () -> point.keep(List.of(A)));
    assertEquals("the reference point of VM " + VM + " has no change tracking id for disk " + A,
        missing.getMessage());
    fake.assertAllCalled();
  }

  private static String created(String... disks) {
    return "{\"id\":\"" + POINT + "\",\"disks\":" + (disks.length == 1 ? disks[0]
        : "[" + String.join(",", disks) + "]") + "}";
  }

  private static String disk(String path, Object format, Object type) {
    return "{\"path\":\"" + json(path) + "\",\"format\":" + value(format) + ",\"type\":"
        + value(type) + ",\"size\":42949672960,\"blockSize\":33554432,"
        + "\"logicalSectorSize\":512,\"physicalSectorSize\":4096,\"parentPath\":\"\"}";
  }

  private static String value(Object value) {
    return value instanceof String text ? "\"" + text + "\"" : value.toString();
  }

  private static String json(String text) {
    return text.replace("\\", "\\\\");
  }
}
