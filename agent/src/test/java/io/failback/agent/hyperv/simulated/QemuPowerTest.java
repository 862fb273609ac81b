package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuPowerTest {
  @TempDir Path dir;

  /**
   * The exit watcher writes how QEMU ended and then goes: a caller that read the record just
   * before must still get the exit, not "exit status unknown" (SimulatedBootTest once saw a
   * guest's own power-off reported so).
   */
  @Test
  void anExitWrittenSinceTheRecordWasReadIsNotReportedUnknown() throws Exception {
    QemuPower power = new QemuPower(SimulatedBoot.of(dir.resolve("vmlinux"),
        dir.resolve("initrd.img")));
    QemuRecord read = new QemuRecord(4242, 1L, null, false);
    read.exited(0).write(dir);

    assertEquals("Off", power.withExit(dir, read).offDetail());
    // A QEMU no agent watched (the record holds no exit) stays unknown.
    read.write(dir);
    assertEquals("Off (its QEMU, pid 4242, ended while no agent watched it: exit status"
        + " unknown)", power.withExit(dir, read).offDetail());
  }
}
