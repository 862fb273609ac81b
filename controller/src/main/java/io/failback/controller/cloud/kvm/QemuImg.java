package io.failback.controller.cloud.kvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** qemu-img, which makes the KVM cloud's qcow2 disks: they are never written by hand. */
final class QemuImg {
  private QemuImg() {}

  /** A new empty qcow2 of {@code size} bytes with 64 KiB clusters, the dirty-bitmap granule. */
  static void createQcow2(Path file, long size) throws IOException {
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536",
        file.toString(), Long.toString(size)));
  }

  static String run(List<String> command) throws IOException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run " + command.get(0) + " (Debian package qemu-utils): "
          + e.getMessage(), e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 120 s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output.strip());
    }
    return output;
  }
}
