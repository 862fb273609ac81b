package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmGenerationsTest {
  private static final String VM = "8f6c2a1e-0b7d-4c55-9a3e-1f2d3c4b5a69";
  @TempDir Path dir;

  @Test
  void anOlderGenerationIsRefusedEvenAfterARestart() throws IOException {
    new VmGenerations(dir).admit(VM, 3);
    VmGenerations restarted = new VmGenerations(dir);
    assertEquals(3, restarted.newest(VM));
    IOException stale = assertThrows(IOException.class, () -> restarted.admit(VM, 2));
    assertTrue(stale.getMessage().contains("carries generation 2"), stale.getMessage());
    assertTrue(stale.getMessage().contains("has seen generation 3"), stale.getMessage());
    assertEquals(3, restarted.newest(VM), "a refused command changed the newest generation");
  }

  @Test
  void theSameOrANewerGenerationIsAdmittedAndRemembered() throws IOException {
    VmGenerations generations = new VmGenerations(dir);
    generations.admit(VM, 2);
    generations.admit(VM, 2);
    generations.admit(VM.toUpperCase(java.util.Locale.ROOT), 5);
    assertEquals(5, generations.newest(VM));
  }

  @Test
  void noGenerationIsAcceptedOnlyUntilARealOneWasSeen() throws IOException {
    VmGenerations generations = new VmGenerations(dir);
    generations.admit(VM, 0);
    generations.admit(VM, 1);
    assertThrows(IOException.class, () -> generations.admit(VM, 0));
  }

  @Test
  void aDamagedFileIsAnErrorNotZero() throws IOException {
    Files.createDirectories(dir.resolve("generations"));
    Files.writeString(dir.resolve("generations").resolve(VM), "x");
    IOException e = assertThrows(IOException.class, () -> new VmGenerations(dir).admit(VM, 9));
    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
  }
}
