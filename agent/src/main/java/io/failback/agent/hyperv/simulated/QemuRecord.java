package io.failback.agent.hyperv.simulated;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code qemu.json} in a VM's folder: the QEMU process that runs the VM now or ran it last, so
 * that any agent (a restarted one too) finds it, and how it ended.
 *
 * @param pid its process id
 * @param startedMillis when it started, as the OS reports it (guards against a reused pid);
 *     null where the OS does not tell
 * @param exitStatus its exit status, once a watching agent saw it exit; null while it runs or
 *     when no agent saw it end
 * @param turnedOff whether the agent killed it on purpose (a power cut): its exit status is then
 *     no crash
 */
record QemuRecord(long pid, Long startedMillis, Integer exitStatus, boolean turnedOff) {
  static final String FILE = "qemu.json";

  static QemuRecord of(ProcessHandle process) {
    return new QemuRecord(process.pid(), startMillis(process).orElse(null), null, false);
  }

  static Optional<QemuRecord> read(Path vmFolder) throws IOException {
    Path file = vmFolder.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(SimulatedHostJson.read(file, QemuRecord.class));
  }

  void write(Path vmFolder) throws IOException {
    SimulatedHostJson.replace(vmFolder.resolve(FILE), this);
  }

  QemuRecord exited(int status) {
    return new QemuRecord(pid, startedMillis, status, turnedOff);
  }

  QemuRecord turningOff() {
    return new QemuRecord(pid, startedMillis, exitStatus, true);
  }

  /** Whether {@code other} describes the same process (not a later one with a reused pid). */
  boolean sameProcess(QemuRecord other) {
    return pid == other.pid && Objects.equals(startedMillis, other.startedMillis);
  }

  /** The process, while it still runs. */
  Optional<ProcessHandle> live() {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> startedMillis == null
            || startMillis(p).map(startedMillis::equals).orElse(true));
  }

  /** The state word of a VM whose QEMU has ended; a crash says so. */
  String offDetail() {
    if (exitStatus == null) {
      return "Off (its QEMU, pid " + pid + ", ended while no agent watched it: exit status"
          + " unknown)";
    }
    if (exitStatus == 0 || turnedOff) {
      return "Off";
    }
    return "Off (QEMU exited with status " + exitStatus + "; see console.log and qemu.log)";
  }

  private static Optional<Long> startMillis(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli);
  }
}
