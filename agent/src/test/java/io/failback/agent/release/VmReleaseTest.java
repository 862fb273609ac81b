package io.failback.agent.release;

import static io.failback.agent.release.ReplicatedHost.files;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.state.OpenSessions;
import io.failback.proto.v1.ReleaseReport;
import io.failback.proto.v1.ReleaseVm;
import io.failback.proto.v1.VirtualDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ReleaseVm on a simulated host after a real replication of the VM: what the agent kept for
 * it goes, counted exactly; nothing goes when the command is refused; the VM, its disks, its
 * generation and another VM's reference point stay.
 */
class VmReleaseTest {
  private static final long GENERATION = 3;

  @TempDir Path dir;
  private ReplicatedHost rig;
  private VmRelease release;

  @BeforeEach
  void replicate() throws Exception {
    rig = new ReplicatedHost(dir);
    rig.replicate(GENERATION);
    rig.failedSession("job-7/app-01/1");
    release = new VmRelease(rig.driver, rig.digestSets, rig.parked);
    assertEquals(1, rig.parked.size());
    assertEquals(1, files(rig.host.resolve("read-points")).size(), "the parked read point");
    assertEquals(1, files(rig.state.resolve("read-points")).size(), "its record");
    assertEquals(3, rig.referencePoints(), "app-01's two disks and db-01's one");
    assertEquals(2, files(rig.state.resolve("digests")).size());
  }

  @AfterEach
  void close() {
    rig.close();
  }

  @Test
  void everythingKeptForTheVmGoesAndIsCountedThenASecondReleaseFindsNothing() throws Exception {
    List<byte[]> disks = diskContents();
    List<String> sets = new ArrayList<>(rig.sets);
    sets.add(rig.app.getId() + "-disk-9"); // named by the controller, never made here

    assertEquals(ReleaseReport.newBuilder().setReadPointsDiscarded(1)
        .setReferencePointsDestroyed(2).setDigestSetsDeleted(2).build(),
        release.release(command(GENERATION, sets)));
    assertNothingKeptOfApp();
    assertEquals(1, rig.referencePoints());
    assertTrue(rig.dbReferenceKnown(), "another VM's reference point stays");
    assertEquals(GENERATION, rig.driver.generations().newest(rig.app.getId()),
        "fencing outlives the release");
    assertTrue(equal(disks, diskContents()), "the VM's disks are untouched");
    assertEquals(2, rig.driver.inventory().getVirtualMachinesCount());

    assertEquals(ReleaseReport.getDefaultInstance(),
        release.release(command(GENERATION, sets)), "idempotent");
  }

  @Test
  void aReadPointACrashLeftIsDiscardedByItsRecord() throws Exception {
    rig.parked.close(); // its share ends: the parked read point is discarded, its record gone
    // A read point the agent made and recorded, then crashed: nobody holds a share of it.
    String id = rig.driver.createReadPoint(rig.app.getId()).id();
    Files.writeString(rig.state.resolve("read-points").resolve(rig.app.getId()), id);
    assertEquals(1, files(rig.host.resolve("read-points")).size());
    assertEquals(ReleaseReport.newBuilder().setReadPointsDiscarded(1)
        .setReferencePointsDestroyed(2).setDigestSetsDeleted(2).build(),
        release.release(command(GENERATION, rig.sets)));
    assertNothingKeptOfApp();
  }

  @Test
  void anOlderGenerationIsRefusedAndNothingIsRemoved() throws Exception {
    IOException e = assertThrows(IOException.class,
        () -> release.release(command(GENERATION - 1, rig.sets)));
    assertTrue(e.getMessage().startsWith("refused: the command for VM " + rig.app.getId()
        + " carries generation 2, but this agent has seen generation 3"), e.getMessage());
    assertNothingRemoved();
  }

  @Test
  void aBadDigestSetNameIsRefusedAndNothingIsRemoved() throws Exception {
    List<String> sets = new ArrayList<>(rig.sets);
    sets.add("../x");
    IOException e = assertThrows(IOException.class,
        () -> release.release(command(GENERATION, sets)));
    assertEquals("digest set '../x' is not a valid name; nothing of VM " + rig.app.getId()
        + " was released", e.getMessage());
    assertNothingRemoved();
  }

  @Test
  void aBadVmIdIsRefused() {
    IOException e = assertThrows(IOException.class,
        () -> release.release(command("../app-01", GENERATION, List.of())));
    assertEquals("'../app-01' is not a VM id", e.getMessage());
  }

  @Test
  void anOpenSessionOfTheVmRefusesTheReleaseAndAReleaseRefusesNewSessions() throws Exception {
    OpenSessions.Handle session = rig.driver.sessions().session(rig.app.getId().toUpperCase());
    IOException e = assertThrows(IOException.class,
        () -> release.release(command(GENERATION, rig.sets)));
    assertEquals("1 sync session(s) of VM " + rig.app.getId() + " are open on this agent;"
        + " nothing was released: end them (cancel the VM's job) and release again",
        e.getMessage());
    assertNothingRemoved();
    session.close();

    OpenSessions.Handle releasing = rig.driver.sessions().release(rig.app.getId());
    IOException refused = assertThrows(IOException.class,
        () -> rig.driver.sessions().session(rig.app.getId()));
    assertTrue(refused.getMessage().contains("is being released"), refused.getMessage());
    rig.driver.sessions().session(rig.db.getId()).close(); // another VM's sessions run on
    releasing.close();
    rig.driver.sessions().session(rig.app.getId()).close();
  }

  private void assertNothingKeptOfApp() throws Exception {
    assertEquals(0, rig.parked.size());
    assertEquals(List.of(), files(rig.host.resolve("read-points")), "no frozen copy left");
    assertEquals(List.of(), files(rig.state.resolve("read-points")), "no record left");
    assertEquals(List.of(), files(rig.state.resolve("digests")));
  }

  private void assertNothingRemoved() throws Exception {
    assertEquals(1, rig.parked.size());
    assertEquals(1, files(rig.host.resolve("read-points")).size());
    assertEquals(1, files(rig.state.resolve("read-points")).size());
    assertEquals(3, rig.referencePoints());
    assertEquals(2, files(rig.state.resolve("digests")).size());
  }

  private ReleaseVm command(long generation, List<String> sets) {
    return command(rig.app.getId(), generation, sets);
  }

  private static ReleaseVm command(String vmId, long generation, List<String> sets) {
    return ReleaseVm.newBuilder().setVmId(vmId).setGeneration(generation)
        .addAllDigestSets(sets).build();
  }

  private List<byte[]> diskContents() throws IOException {
    List<byte[]> contents = new ArrayList<>();
    for (VirtualDisk disk : rig.app.getDisksList()) {
      contents.add(Files.readAllBytes(Path.of(disk.getPath())));
    }
    return contents;
  }

  private static boolean equal(List<byte[]> a, List<byte[]> b) {
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return a.size() == b.size();
  }
}
