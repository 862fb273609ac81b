package io.failback.agent.grpc;

import io.failback.agent.hyperv.GuardedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.DigestSets;
import io.failback.common.sync.DiskSync;
import io.failback.common.sync.SyncException;
import io.failback.common.sync.SyncProgress;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncReport;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.Channel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Runs the agent's side of the sync sessions the controller announces, each on its own thread,
 * and reports each one's outcome as a command result.
 *
 * <p>The agent only opens disks its hypervisor reports in its inventory: a controller cannot
 * make it read or overwrite an arbitrary file.
 */
public final class AgentSyncRunner implements AutoCloseable {
  private static final Logger log = Logger.getLogger(AgentSyncRunner.class.getName());
  private static final int MAX_ATTEMPTS_PER_LANE = 20;

  private final AgentServiceGrpc.AgentServiceStub stub;
  private final GuardedHypervisor driver;
  private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "agent-sync");
    thread.setDaemon(true);
    return thread;
  });

  private final DigestSets digestSets;

  public AgentSyncRunner(Channel channel, GuardedHypervisor driver, DigestSets digestSets) {
    this.stub = AgentServiceGrpc.newStub(channel);
    this.driver = driver;
    this.digestSets = digestSets;
  }

  /** Starts the session in the background; {@code report} gets the result once it ends. */
  public void start(String commandId, StartSync start, Consumer<CommandResult> report) {
    sessions.execute(() -> report.accept(run(commandId, start)));
  }

  private CommandResult run(String commandId, StartSync start) {
    CommandResult.Builder result = CommandResult.newBuilder().setCommandId(commandId);
    String sessionId = start.getParameters().getSessionId();
    try (BlockDevice device = open(start)) {
      SyncProgress progress = new SyncProgress();
      DiskSync.Result outcome = new DiskSync(start.getParameters(), start.getAgentRole(), device,
          new AgentLaneConnector(stub, sessionId), checkpoint -> {}, progress,
          MAX_ATTEMPTS_PER_LANE, Duration.ofSeconds(1),
          new DiskSync.Options(digestSets, null)).run();
      var counters = outcome.progress();
      result.setSyncReport(SyncReport.newBuilder().setSessionId(sessionId)
          .setDiskDigest(outcome.diskDigestHex()).setBlocksScanned(counters.blocksScanned())
          .setBlocksEqual(counters.blocksEqual()).setBlocksZero(counters.blocksZero())
          .setBlocksSent(counters.blocksSent()).setBytesRead(counters.bytesRead())
          .setBytesWritten(counters.bytesWritten()).setBytesOnWire(counters.bytesOnWire())
          .setResumes(counters.resumes()));
      log.info("sync session " + sessionId + " done: " + outcome.diskDigestHex());
    } catch (IOException | SyncException e) {
      log.warning("sync session " + sessionId + " failed: " + e.getMessage());
      result.setError("sync session " + sessionId + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.setError("sync session " + sessionId + ": agent stopping");
    }
    return result.build();
  }

  private BlockDevice open(StartSync start) throws IOException {
    boolean target = start.getAgentRole() == SyncRole.TARGET;
    for (VirtualMachine vm : driver.inventory().getVirtualMachinesList()) {
      for (VirtualDisk disk : vm.getDisksList()) {
        if (disk.getPath().equals(start.getDiskPath())) {
          driver.generations().admit(vm.getId(), start.getGeneration());
          if (target && vm.getPowerState() != PowerState.OFF) {
            // Overwriting the disk of a running VM would corrupt it under the guest.
            throw new IOException("VM " + vm.getName() + " is " + vm.getStateDetail()
                + "; it must be Off before its disk " + disk.getPath() + " is written");
          }
          if (target) {
            // Durable before the first write: from here until a verified end the disks mix
            // old and new blocks, whatever happens to this process or the controller.
            driver.marks().mark(vm.getId(), "sync session "
                + start.getParameters().getSessionId() + " is writing disk " + disk.getPath());
          }
          return BlockDevices.open(Path.of(disk.getPath()), target);
        }
      }
    }
    throw new IOException("disk '" + start.getDiskPath() + "' is not a disk of any VM on this"
        + " host");
  }

  @Override
  public void close() {
    sessions.shutdownNow();
  }
}
