package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Read points left by a crash, a refusal or a timeout: discarded by id or by time, and only
 * the agent's own.
 */
class ReadPointRecoveryTest extends ReadPointTestBase {
  @Test
  void aReadPointMadeWhenTheAgentDiedBeforeLearningItsIdIsDiscardedAtTheNextStart()
      throws Exception {
    Files.createDirectories(state.resolve("read-points"));
    Files.writeString(state.resolve("read-points").resolve(vm.getId()),
        "creating " + java.time.Instant.now());
    driver.createReadPoint(vm.getId()); // made by the host; the agent died before the answer
    assertEquals(1, driver.openPoints().size());
    new ReadPoints(driver, state).recover();
    assertNothingLeft();
  }

  @Test
  void aCheckpointMadeLongBeforeTheAskingIsNotTheAgentsToDiscard() throws Exception {
    String other = driver.createReadPoint(vm.getId()).id(); // say, another product's
    Files.createDirectories(state.resolve("read-points"));
    Files.writeString(state.resolve("read-points").resolve(vm.getId()),
        "creating " + java.time.Instant.now().plus(java.time.Duration.ofHours(1)));
    new ReadPoints(driver, state).recover();
    assertEquals(List.of(other), driver.openPoints());
  }

  @Test
  void aRefusedCreationLeavesNothingAndDiscardsNothing() throws Exception {
    driver.refuseCreate = true;
    IOException e = assertThrows(IOException.class, () -> readPoints.join(vm.getId()));
    assertEquals("VM 'app-01' has 1 checkpoint(s)", e.getMessage());
    assertEquals(List.of(), driver.discardedSince, "nothing was made: nothing is discarded");
    assertNothingLeft();
    driver.refuseCreate = false;
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      assertTrue(Files.exists(lease.point().disk(disk1)));
    }
    assertNothingLeft();
  }

  @Test
  void aCreationThatTimedOutIsDiscardedByTimeBeforeTheNextOne() throws Exception {
    driver.timeOutCreate = true;
    IOException e = assertThrows(IOException.class, () -> readPoints.join(vm.getId()));
    assertEquals("PowerShell did not create a read point within 600 s", e.getMessage());
    assertEquals(1, driver.openPoints().size(), "made after all, id unknown");
    assertTrue(Files.readString(state.resolve("read-points").resolve(vm.getId()))
        .startsWith("creating "), "the record stays");
    driver.timeOutCreate = false;
    try (ReadPoints.Lease lease = readPoints.join(vm.getId())) {
      assertEquals(1, driver.discardedSince.size());
      assertEquals(List.of(lease.point().id()), driver.openPoints(), "only the new one");
    }
    assertNothingLeft();
  }

  @Test
  void aReadPointLeftByACrashIsDiscardedAtTheNextStart() throws Exception {
    String left = readPoints.join(vm.getId()).point().id(); // never ended: the agent died
    assertEquals(List.of(left), driver.openPoints());

    ReadPoints restarted = new ReadPoints(driver, state);
    restarted.recover();
    assertEquals(List.of(left), driver.discardedIds);
    assertNothingLeft();
  }

  @Test
  void aReadPointLeftByACrashIsDiscardedBeforeTheVmGetsANewOne() throws Exception {
    String left = readPoints.join(vm.getId()).point().id();
    ReadPoints restarted = new ReadPoints(driver, state);
    try (ReadPoints.Lease lease = restarted.join(vm.getId())) {
      assertEquals(List.of(left), driver.discardedIds);
      assertEquals(List.of(lease.point().id()), driver.openPoints(),
          "never two read points of one VM (Hyper-V cannot stack them)");
    }
    assertNothingLeft();
  }
}
