package io.failback.controller.cloud.kvm;

import io.failback.common.disk.BlockDevice;
import io.failback.common.nbd.NbdBlockDevice;
import io.failback.common.nbd.QemuNbd;
import io.failback.controller.cloud.CloudException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The disks of OFF VMs opened through qemu-nbd: QEMU's block layer writes the qcow2, the NBD
 * client reads and writes through it. Tracks the open handles so a VM does not start under one.
 *
 * <p>Threading: safe for use from several threads.
 */
final class DiskExports {
  private final Path socketDir;
  private final AtomicLong counter = new AtomicLong();
  private final Map<String, Set<NbdBlockDevice>> open = new HashMap<>();

  DiskExports(Path socketDir) {
    this.socketDir = socketDir;
  }

  BlockDevice open(String vmId, int index, Path image, boolean writable) throws CloudException {
    try {
      Files.createDirectories(socketDir);
      // Unix socket paths are limited to 107 bytes: a short name.
      Path socket = socketDir.resolve(vmId.substring(0, 8) + "-" + index + "-"
          + counter.incrementAndGet() + ".sock");
      QemuNbd server = QemuNbd.serve(image, "qcow2", writable, socket, Optional.empty());
      NbdBlockDevice[] device = new NbdBlockDevice[1];
      NbdBlockDevice opened = new NbdBlockDevice(
          server.open(writable, List.of()).client(), writable, () -> {
            try {
              server.close();
            } finally {
              forget(vmId, device[0]);
            }
          });
      device[0] = opened;
      synchronized (this) {
        open.computeIfAbsent(vmId, k -> new HashSet<>()).add(opened);
      }
      return opened;
    } catch (IOException e) {
      throw CloudException.io(e, "cannot open disk %d of cloud VM %s", index, vmId);
    }
  }

  synchronized boolean anyOpen(String vmId) {
    return !open.getOrDefault(vmId, Set.of()).isEmpty();
  }

  private synchronized void forget(String vmId, NbdBlockDevice device) {
    Set<NbdBlockDevice> devices = open.get(vmId);
    if (devices != null) {
      devices.remove(device);
    }
  }

  /** Closes every handle still open, e.g. when the cloud closes. */
  void closeAll() {
    List<NbdBlockDevice> all;
    synchronized (this) {
      all = open.values().stream().flatMap(Set::stream).toList();
    }
    for (NbdBlockDevice device : new ArrayList<>(all)) {
      try {
        device.close();
      } catch (IOException e) {
        // Closing on the way out: the server is killed by QemuNbd.close either way.
      }
    }
  }
}
