package io.failback.agent.hyperv.simulated;

import com.google.common.util.concurrent.Striped;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.VmFile;
import io.failback.proto.v1.PowerState;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the VMs of a simulated host for real: each under its own QEMU, recorded in its folder
 * ({@link QemuRecord}), so the power state follows the process and any agent, a restarted one
 * too, can stop it.
 */
final class QemuPower implements VmPower {
  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final Duration MONITOR_ANSWER = Duration.ofSeconds(10);
  /** A killed process has nothing left to finish; longer means it is stuck in the kernel. */
  private static final Duration KILLED_EXIT = Duration.ofSeconds(30);
  private static final Logger log = LoggerFactory.getLogger(QemuPower.class);

  private final SimulatedBoot boot;
  /** One start or stop of a VM at a time; other VMs go on meanwhile. */
  private final Striped<Lock> vmLocks = Striped.lazyWeakLock(64);
  /** Serializes the read-modify-write of the records by exit watchers and stops, and starts. */
  private final Object records = new Object();
  /** By pid: the QEMUs this instance started whose exit is not yet recorded. */
  private final Map<Long, CompletableFuture<Void>> watchers = new ConcurrentHashMap<>();

  QemuPower(SimulatedBoot boot) {
    this.boot = boot;
  }

  /** Running while its QEMU lives, whatever {@code vm.json} says; Off once it has ended. */
  @Override
  public ReportedState state(Path vmFolder, String recorded) throws IOException {
    Optional<QemuRecord> record = QemuRecord.read(vmFolder);
    if (record.isEmpty()) {
      // Never booted here (seeded, or edited by hand): its recorded state stands.
      return ReportedState.of(recorded);
    }
    if (record.get().live().isPresent()) {
      return ReportedState.of("Running");
    }
    if ("Running".equalsIgnoreCase(recorded)) {
      // Started, and its QEMU ended without a stop: the guest powered off, or QEMU died.
      return new ReportedState(PowerState.OFF, withExit(vmFolder, record.get()).offDetail());
    }
    return ReportedState.of(recorded);
  }

  /**
   * The record once this instance's watcher has written how the process ended: the process is
   * gone a moment before its exit status is known.
   */
  QemuRecord withExit(Path vmFolder, QemuRecord record) throws IOException {
    if (record.exitStatus() != null) {
      return record;
    }
    CompletableFuture<Void> watcher = watchers.get(record.pid());
    if (watcher != null) {
      try {
        watcher.get(MONITOR_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return record;
      } catch (ExecutionException | TimeoutException e) {
        return record;
      }
    }
    // Read again even without a watcher: it may have written the exit and gone since the
    // caller read the record (a guest's own power-off was once reported "exit status unknown").
    return QemuRecord.read(vmFolder).orElse(record);
  }

  @Override
  public void start(Path vmFile) throws IOException {
    Path folder = vmFile.getParent();
    Lock lock = vmLocks.get(folder);
    lock.lock();
    try {
      VmFile vm = SimulatedHostJson.read(vmFile, VmFile.class);
      if (state(folder, vm.state()).power() == PowerState.RUNNING) {
        // Its QEMU runs, or it was never booted and "runs" as recorded: stop it first.
        return;
      }
      List<String> command = QemuCommand.arguments(boot, vm.id(), vm.memoryBytes(),
          vm.processorCount(), BootFolder.disks(vmFile, vm),
          vm.networkAdapters() == null ? List.of() : vm.networkAdapters(),
          BootFolder.bootArgs(folder));
      Path monitor = BootFolder.monitorSocket(folder);
      Files.deleteIfExists(monitor);
      Process qemu = launch(command, folder, vm);
      QemuRecord record = QemuRecord.of(qemu.toHandle());
      // Recorded before anything else can fail: a QEMU this agent loses track of must still
      // show as Running, or its disks could be written under it. Under the lock: the exit
      // watcher of the QEMU before it may be between reading the old record and writing it
      // back as exited, which would bury this one (SimulatedBootTest once saw it).
      synchronized (records) {
        record.write(folder);
      }
      CompletableFuture<Void> watcher =
          qemu.onExit().thenAccept(exited -> recordExit(folder, record, exited.exitValue()));
      watchers.put(qemu.pid(), watcher);
      watcher.whenComplete((ignored, error) -> watchers.remove(qemu.pid(), watcher));
      awaitRunning(qemu, monitor, vm);
      SimulatedHostJson.replaceState(vmFile, "Running");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the VM of " + vmFile, e);
    } finally {
      lock.unlock();
    }
  }

  private Process launch(List<String> command, Path folder, VmFile vm) throws IOException {
    try {
      Process qemu = new ProcessBuilder(command).directory(folder.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File(nullDevice())))
          .redirectErrorStream(true)
          .redirectOutput(folder.resolve(BootFolder.LOG).toFile())
          .start();
      log.info("VM " + vm.name() + " (" + vm.id() + ") boots under QEMU, pid " + qemu.pid());
      return qemu;
    } catch (IOException e) {
      throw new IOException("cannot run QEMU ('" + boot.qemu() + "') for VM " + vm.name() + ": "
          + e.getMessage() + " (install qemu-system-x86 or name it with --qemu)", e);
    }
  }

  /** Waits until QEMU's monitor reports the machine running; kills QEMU if it does not. */
  private void awaitRunning(Process qemu, Path monitor, VmFile vm)
      throws IOException, InterruptedException {
    try (QemuMonitor qmp = QemuMonitor.connect(monitor, qemu.toHandle(), STARTUP)) {
      boolean running = qmp.execute("query-status", MONITOR_ANSWER).getAsJsonObject("return")
          .get("running").getAsBoolean();
      if (!running) {
        throw new IOException("QEMU says the machine is not running");
      }
    } catch (IOException | RuntimeException e) {
      qemu.destroyForcibly().waitFor();
      throw new IOException("VM " + vm.name() + " did not start: " + e.getMessage() + "; "
          + BootFolder.LOG + ": " + BootFolder.logTail(monitor.getParent()), e);
    }
  }

  @Override
  public void stop(Path vmFile, boolean turnOff) throws IOException {
    Path folder = vmFile.getParent();
    Lock lock = vmLocks.get(folder);
    lock.lock();
    try {
      Optional<ProcessHandle> qemu = live(folder);
      if (qemu.isPresent()) {
        boolean shutDown = !turnOff && shutDown(folder, qemu.get());
        if (!shutDown) {
          turnOff(folder, qemu.get(), turnOff);
        }
      }
      SimulatedHostJson.replaceState(vmFile, "Off");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping the VM of " + vmFile, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Pauses a running VM's QEMU around {@code work}: QMP {@code stop} returns once its disk
   * requests have completed and its disks are flushed, so the files hold one moment.
   */
  @Override
  public <T> T whileFrozen(Path vmFolder, DiskWork<T> work) throws IOException {
    Lock lock = vmLocks.get(vmFolder);
    lock.lock();
    try {
      Optional<ProcessHandle> qemu = live(vmFolder);
      if (qemu.isEmpty()) {
        return work.run();
      }
      try (QemuMonitor qmp = QemuMonitor.connect(BootFolder.monitorSocket(vmFolder),
          qemu.get(), MONITOR_ANSWER)) {
        qmp.execute("stop", MONITOR_ANSWER);
        try {
          return work.run();
        } finally {
          qmp.execute("cont", MONITOR_ANSWER);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pausing the VM in " + vmFolder, e);
    } finally {
      lock.unlock();
    }
  }

  /** Presses the ACPI power button; whether QEMU exited within the shutdown timeout. */
  private boolean shutDown(Path folder, ProcessHandle qemu) throws InterruptedException {
    try (QemuMonitor qmp =
        QemuMonitor.connect(BootFolder.monitorSocket(folder), qemu, MONITOR_ANSWER)) {
      qmp.execute("system_powerdown", MONITOR_ANSWER);
    } catch (IOException e) {
      log.warn("cannot press the power button of the VM in " + folder + " (" + e.getMessage()
          + "); turning it off");
      return false;
    }
    return awaitExit(qemu, boot.shutdownTimeout());
  }

  /** Kills QEMU and waits until it has exited: after that none of its writes can land. */
  private void turnOff(Path folder, ProcessHandle qemu, boolean asked)
      throws IOException, InterruptedException {
    if (!asked) {
      log.warn("the VM in " + folder + " did not shut down within "
          + boot.shutdownTimeout() + "; turning it off");
    }
    synchronized (records) {
      Optional<QemuRecord> record = QemuRecord.read(folder);
      if (record.isPresent() && record.get().pid() == qemu.pid()) {
        record.get().turningOff().write(folder);
      }
    }
    qemu.destroyForcibly();
    if (!awaitExit(qemu, KILLED_EXIT)) {
      throw new IOException("QEMU (pid " + qemu.pid() + ") of the VM in " + folder
          + " did not exit within " + KILLED_EXIT + " of being killed");
    }
  }

  private static boolean awaitExit(ProcessHandle qemu, Duration timeout)
      throws InterruptedException {
    try {
      qemu.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private void recordExit(Path folder, QemuRecord started, int status) {
    synchronized (records) {
      try {
        Optional<QemuRecord> record = QemuRecord.read(folder);
        // A later start may have replaced the record: only this process's is ours to end.
        if (record.isPresent() && record.get().sameProcess(started)) {
          record.get().exited(status).write(folder);
        }
      } catch (IOException e) {
        log.warn("cannot record how QEMU ended in " + folder + ": " + e.getMessage());
      }
    }
    if (status != 0) {
      log.warn("QEMU of the VM in " + folder + " exited with status " + status);
    }
  }

  private static Optional<ProcessHandle> live(Path folder) throws IOException {
    return QemuRecord.read(folder).flatMap(QemuRecord::live);
  }

  private static String nullDevice() {
    return System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null";
  }
}
