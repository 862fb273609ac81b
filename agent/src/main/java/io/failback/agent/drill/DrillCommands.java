package io.failback.agent.drill;

import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.CreateDrillVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.DeleteDrillVm;
import io.failback.proto.v1.DrillSeedReport;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's CreateDrillVm and DeleteDrillVm on this host. */
public final class DrillCommands {
  private static final Logger log = LoggerFactory.getLogger(DrillCommands.class);
  private final GuardedHypervisor driver;

  public DrillCommands(GuardedHypervisor driver) {
    this.driver = driver;
  }

  /** Reads the host's inventory as the controller sees it. */
  public interface InventoryReader {
    HostInventory read() throws IOException;
  }

  /** Runs CreateDrillVm or DeleteDrillVm; the result carries the host's inventory after it. */
  public void run(Command command, CommandResult.Builder result, InventoryReader inventory)
      throws IOException {
    if (command.hasCreateDrillVm()) {
      result.setCreatedVmId(create(command.getCreateDrillVm(), result));
    } else {
      delete(command.getDeleteDrillVm());
    }
    result.setInventory(inventory.read());
  }

  /**
   * Creates the drill VM (Off, no network adapter), records it as a drill VM, and seeds its
   * disks from the seed VM's; a failure after the VM exists deletes it again.
   *
   * @return the drill VM's id
   */
  String create(CreateDrillVm command, CommandResult.Builder result) throws IOException {
    CreateVm spec = command.getVm();
    if (spec.getSwitchNamesCount() > 0) {
      throw new IOException("a drill VM is isolated: it gets no network adapter, so no switch"
          + " may be named (got " + spec.getSwitchNamesList() + ")");
    }
    VirtualMachine seed = command.getSeedFromVmId().isEmpty() ? null : seedVm(command);
    VirtualMachine created = driver.createVm(NewVm.of(spec));
    try {
      driver.drills().record(created.getId(), spec.getName());
      if (seed != null) {
        long started = System.nanoTime();
        DiskSeeder.Copied copied = seedDisks(seed, created);
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        result.setDrillSeed(DrillSeedReport.newBuilder().setBytesRead(copied.bytesRead())
            .setBytesWritten(copied.bytesWritten()).setMillis(millis));
        log.info("drill VM " + created.getName() + " (" + created.getId() + ") seeded from VM "
            + seed.getName() + ": " + copied.bytesRead() + " bytes read, "
            + copied.bytesWritten() + " written in " + millis + " ms");
      }
    } catch (IOException | RuntimeException e) {
      try {
        delete(created.getId());
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return created.getId();
  }

  private VirtualMachine seedVm(CreateDrillVm command) throws IOException {
    String seedId = command.getSeedFromVmId();
    driver.generations().admit(seedId, command.getGeneration());
    VirtualMachine seed = driver.inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equalsIgnoreCase(seedId)).findFirst()
        .orElseThrow(() -> new IOException("no VM " + seedId + " on this host to seed from"));
    List<Long> sizes = seed.getDisksList().stream().map(d -> d.getVirtualSizeBytes()).toList();
    if (!sizes.equals(command.getVm().getDiskSizesList())) {
      throw new IOException("VM " + seed.getName() + " has disks of " + sizes + " bytes, the"
          + " drill VM asks for " + command.getVm().getDiskSizesList());
    }
    for (var disk : seed.getDisksList()) {
      driver.checkDiskAccess(seed.getId(), disk.getPath(), false);
    }
    return seed;
  }

  private DiskSeeder.Copied seedDisks(VirtualMachine seed, VirtualMachine created)
      throws IOException {
    DiskSeeder.Copied total = new DiskSeeder.Copied(0, 0);
    for (int i = 0; i < seed.getDisksCount(); i++) {
      String target = created.getDisks(i).getPath();
      driver.checkDiskAccess(created.getId(), target, true);
      // The seed VM's disks are opened read only: a drill never writes them.
      try (BlockDevice from = BlockDevices.open(Path.of(seed.getDisks(i).getPath()), false);
          BlockDevice to = BlockDevices.open(Path.of(target), true)) {
        total = total.plus(DiskSeeder.copy(from, to));
      }
    }
    return total;
  }

  /** Deletes a drill VM with its disks; refuses any VM this agent did not create for a drill. */
  void delete(DeleteDrillVm command) throws IOException {
    if (!driver.drills().isDrillVm(command.getVmId())) {
      throw new IOException("VM " + command.getVmId() + " was not created by this agent for a"
          + " failback drill: the agent deletes no other VM");
    }
    delete(command.getVmId());
  }

  private void delete(String vmId) throws IOException {
    driver.deleteVm(vmId);
    driver.marks().clear(vmId);
    driver.drills().forget(vmId);
    log.info("drill VM " + vmId + " deleted with its disks");
  }
}
