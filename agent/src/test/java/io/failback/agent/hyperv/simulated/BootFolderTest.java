package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a simulated VM's kernel command line comes from. */
class BootFolderTest {
  @TempDir Path vms;

  @Test
  void theVmsOwnLineWinsThenTheHostsThenAPlainConsole() throws Exception {
    Path own = Files.createDirectory(vms.resolve("own"));
    Path made = Files.createDirectory(vms.resolve("made-by-the-agent"));
    assertEquals(BootFolder.DEFAULT_BOOT_ARGS, BootFolder.bootArgs(made));
    Files.writeString(vms.resolve(BootFolder.BOOT_ARGS), "console=ttyS0 fb.end=acpi\n");
    Files.writeString(own.resolve(BootFolder.BOOT_ARGS), "console=ttyS0 fb.end=poweroff");
    assertEquals("console=ttyS0 fb.end=acpi", BootFolder.bootArgs(made));
    assertEquals("console=ttyS0 fb.end=poweroff", BootFolder.bootArgs(own));
  }
}
