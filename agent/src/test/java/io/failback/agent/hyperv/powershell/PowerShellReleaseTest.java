package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PowerShell driver destroys, for a VM whose protection ended, the reference points it
 * made of that VM and only those: another product's, and its own of other VMs, are never asked
 * to go (the fake fails on any call it does not expect).
 */
class PowerShellReleaseTest extends FakePowerShellTestBase {
  private static final String VM = "cd06e882-a253-4dad-8a48-a523677cb340";
  private static final String OTHER_VM = "0b0e7f57-95a6-4c1e-9d4f-2f9b1f1c8a11";
  private static final String POINT = "Microsoft:5C8E1D2A-7F7B-4C57-9A43-0E55C1F1D3B2";
  private static final String DISK = "D:\\\\Hyper-V\\\\web 01\\\\a.vhdx";

  @BeforeEach
  void keepsItsListOnDisk() {
    driver = fake.driver(SHUTDOWN, dir.resolve("state"));
  }

  @Test
  void onlyTheVmsOwnReferencePointsAreDestroyedThenNoneAreLeft() throws IOException {
    keptReferencePoint(VM, "Microsoft:RP-1");
    keptReferencePoint(OTHER_VM, "Microsoft:RP-9");
    keptReferencePoint(VM, "Microsoft:RP-2");
    // Another backup product's reference point Microsoft:RP-X of VM is on the host too: it
    // is in no list of this agent's, so no destroy-reference-point.ps1 names it.
    destroy("Microsoft:RP-1", "{\"destroyed\":true}", "", 0);
    destroy("Microsoft:RP-2", "{\"destroyed\":false}", "", 0); // gone already: not counted

    assertEquals(1, driver.destroyReferencePoints(VM));
    assertEquals(0, driver.destroyReferencePoints(VM.toUpperCase()), "nothing left");
    // After a restart the other VM's own reference point is still known, and only it goes.
    driver = fake.driver(SHUTDOWN, dir.resolve("state"));
    destroy("Microsoft:RP-9", "{\"destroyed\":true}", "", 0);
    assertEquals(1, driver.destroyReferencePoints(OTHER_VM));
    fake.assertAllCalled();
  }

  @Test
  void aFailedDestroyKeepsTheReferencePointKnownForTheNextRelease() throws IOException {
    keptReferencePoint(VM, "Microsoft:RP-1");
    keptReferencePoint(VM, "Microsoft:RP-2");
    destroy("Microsoft:RP-1", "{\"destroyed\":true}", "", 0);
    destroy("Microsoft:RP-2", "", "DestroyReferencePoint returned 32775", 1);
    IOException e = assertThrows(IOException.class, () -> driver.destroyReferencePoints(VM));
    assertTrue(e.getMessage().contains("DestroyReferencePoint returned 32775"), e.getMessage());
    destroy("Microsoft:RP-2", "{\"destroyed\":true}", "", 0);
    assertEquals(1, driver.destroyReferencePoints(VM), "only the one the host still had");
    fake.assertAllCalled();
  }

  /** Makes a read point of {@code vmId} and keeps it as reference point {@code id}. */
  private void keptReferencePoint(String vmId, String id) throws IOException {
    String disk = "{\"path\":\"" + DISK + "\",\"format\":\"VHDX\",\"type\":\"Dynamic\","
        + "\"size\":42949672960,\"blockSize\":33554432,\"logicalSectorSize\":512,"
        + "\"physicalSectorSize\":4096,\"parentPath\":\"\"}";
    fake.expect("create-read-point.ps1", "{\"vmId\":\"" + vmId + "\"}", "{\"id\":\"" + POINT
        + "\",\"disks\":" + disk + "}", "", 0);
    fake.expect("keep-read-point.ps1", "{\"vmId\":\"" + vmId + "\",\"pointId\":\"" + POINT
        + "\",\"diskPaths\":[\"" + DISK + "\"]}", "{\"references\":{\"path\":\"" + DISK
        + "\",\"reference\":\"rct:a:1\"},\"referencePointId\":\"" + id + "\"}", "", 0);
    String path = DISK.replace("\\\\", "\\");
    assertEquals(Map.of(path, "rct:a:1"), driver.createReadPoint(vmId).keep(List.of(path)));
  }

  private void destroy(String id, String stdout, String stderr, int exit) throws IOException {
    fake.expect("destroy-reference-point.ps1", "{\"referencePointId\":\"" + id + "\"}", stdout,
        stderr, exit);
  }
}
