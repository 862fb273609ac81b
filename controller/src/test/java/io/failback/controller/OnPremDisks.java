package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The seeded on-prem VM's disks, changed before the agent starts. */
final class OnPremDisks {
  private OnPremDisks() {}

  /** Makes the raw image {@code raw} the system disk (disk 0, a VHDX) of the VM in {@code host}. */
  static void replaceSystemDisk(Path host, Path raw) throws Exception {
    Path vhdx;
    try (Stream<Path> files = Files.walk(host)) {
      vhdx = files.filter(f -> f.toString().endsWith("-disk0.vhdx")).findFirst().orElseThrow();
    }
    Files.delete(vhdx);
    Process convert = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "vhdx",
        raw.toString(), vhdx.toString()).inheritIO().start();
    assertTrue(convert.waitFor(60, TimeUnit.SECONDS) && convert.exitValue() == 0);
  }
}
