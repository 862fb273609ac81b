package io.failback.controller.agents;

import com.google.protobuf.ByteString;
import io.failback.common.text.BoundedText;
import io.failback.controller.lifecycle.CancelScope;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.controller.lifecycle.OnPremHosts;
import io.failback.controller.lifecycle.UndoUnusableException;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ClearInconsistent;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.CreateDrillVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.DeleteDrillVm;
import io.failback.proto.v1.DiscardUndo;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.RefreshInventory;
import io.failback.proto.v1.ReleaseReport;
import io.failback.proto.v1.ReleaseVm;
import io.failback.proto.v1.RollbackDisks;
import io.failback.proto.v1.RollbackReport;
import io.failback.proto.v1.SampleDigests;
import io.failback.proto.v1.StartVm;
import io.failback.proto.v1.StopVm;
import io.failback.proto.v1.VirtualMachine;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The on-prem hosts as the lifecycle sees them: VM lookups and commands to their agents. */
public final class AgentHosts implements OnPremHosts {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(AgentHosts.class);
  private final AgentRegistry registry;
  private static final Duration REFRESH_TIMEOUT = Duration.ofSeconds(5);
  private final Duration commandTimeout;

  public AgentHosts(AgentRegistry registry, Duration commandTimeout) {
    this.registry = registry;
    this.commandTimeout = commandTimeout;
  }

  /**
   * The VM from its owner's inventory: the host that reported the id first (or that an
   * operator moved it to). Another host reporting the same id is never consulted.
   */
  @Override
  public VirtualMachine vm(String vmId) throws LifecycleException {
    try {
      Optional<String> owner = registry.ownerOf(vmId);
      if (owner.isEmpty()) {
        throw new LifecycleException("no host reports a VM with id "
            + BoundedText.quote(vmId));
      }
      Optional<Host> host = registry.host(owner.get());
      Optional<VirtualMachine> vm = host.stream()
          .flatMap(h -> h.getInventory().getVirtualMachinesList().stream())
          .filter(v -> v.getId().equalsIgnoreCase(vmId)).findFirst();
      if (vm.isEmpty()) {
        throw new LifecycleException("host " + owner.get() + ", which owns VM " + vmId
            + ", does not report it now");
      }
      return vm.get().toBuilder().setHostName(owner.get()).build();
    } catch (StoreException e) {
      throw new LifecycleException("controller store unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public void stopVm(String host, String vmId, long generation) throws LifecycleException {
    run(host, Command.newBuilder().setStopVm(StopVm.newBuilder().setVmId(vmId)
        .setGeneration(generation)), "stop");
  }

  @Override
  public void startVm(String host, String vmId, long generation) throws LifecycleException {
    run(host, Command.newBuilder().setStartVm(StartVm.newBuilder().setVmId(vmId)
        .setGeneration(generation)), "start");
  }

  @Override
  public Sent sendStartVm(String host, String vmId, long generation) throws LifecycleException {
    CompletableFuture<CommandResult> answer = dispatch(host, Command.newBuilder().setStartVm(
        StartVm.newBuilder().setVmId(vmId).setGeneration(generation)), "start");
    return () -> check(await(answer, host, "start", commandTimeout), host, "start");
  }

  @Override
  public void clearInconsistent(String host, String vmId, long generation)
      throws LifecycleException {
    run(host, Command.newBuilder().setClearInconsistent(ClearInconsistent.newBuilder()
        .setVmId(vmId).setGeneration(generation)), "clear the inconsistent mark of");
  }

  @Override
  public RollbackReport rollbackDisks(String host, String vmId, long generation,
      String journal) throws LifecycleException, UndoUnusableException {
    return rollback(host, RollbackDisks.newBuilder().setVmId(vmId).setGeneration(generation)
        .setUndoJournal(journal), "roll back the disks of");
  }

  @Override
  public RollbackReport checkUndo(String host, String vmId, long generation, String journal)
      throws LifecycleException, UndoUnusableException {
    return rollback(host, RollbackDisks.newBuilder().setVmId(vmId).setGeneration(generation)
        .setUndoJournal(journal).setCheckOnly(true), "check the undo journals of");
  }

  private RollbackReport rollback(String host, RollbackDisks.Builder command, String what)
      throws LifecycleException, UndoUnusableException {
    CommandResult result = send(host, Command.newBuilder().setRollbackDisks(command), what);
    if (result.getUndoUnusable()) {
      throw new UndoUnusableException("host " + host + " cannot roll back: "
          + result.getError());
    }
    check(result, host, what);
    return result.getRollbackReport();
  }

  @Override
  public void discardUndo(String host, String vmId, long generation, String journal)
      throws LifecycleException {
    run(host, Command.newBuilder().setDiscardUndo(DiscardUndo.newBuilder().setVmId(vmId)
        .setGeneration(generation).setUndoJournal(journal)), "discard the undo journals of");
  }

  @Override
  public ReleaseReport releaseVm(String host, String vmId, long generation,
      List<String> digestSets) throws LifecycleException {
    return run(host, Command.newBuilder().setReleaseVm(ReleaseVm.newBuilder().setVmId(vmId)
        .setGeneration(generation).addAllDigestSets(digestSets)), "release")
        .getReleaseReport();
  }

  @Override
  public VirtualMachine createVm(String host, CreateVm spec) throws LifecycleException {
    return created(run(host, Command.newBuilder().setCreateVm(spec), "create"), host,
        "VM " + spec.getName());
  }

  /** The VM a creating command made, as the inventory in its answer shows it. */
  private static VirtualMachine created(CommandResult result, String host, String what)
      throws LifecycleException {
    return result.getInventory().getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equalsIgnoreCase(result.getCreatedVmId())).findFirst()
        .map(vm -> vm.toBuilder().setHostName(host).build())
        .orElseThrow(() -> new LifecycleException("host " + host + " created " + what
            + " but its inventory does not show it"));
  }

  /** Seeding reads every disk: the timeout grows with their size (at 20 MiB/s, the least). */
  @Override
  public DrillVm createDrillVm(String host, CreateDrillVm request) throws LifecycleException {
    long bytes = request.getVm().getDiskSizesList().stream().mapToLong(Long::longValue).sum();
    Duration timeout = request.getSeedFromVmId().isEmpty() ? commandTimeout
        : commandTimeout.plusSeconds(bytes / (20L << 20));
    CommandResult result = check(send(host, Command.newBuilder().setCreateDrillVm(request),
        "create a drill VM for", timeout), host, "create a drill VM for");
    return new DrillVm(created(result, host, "drill VM " + request.getVm().getName()),
        result.getDrillSeed());
  }

  @Override
  public void deleteDrillVm(String host, String vmId) throws LifecycleException {
    run(host, Command.newBuilder().setDeleteDrillVm(DeleteDrillVm.newBuilder().setVmId(vmId)),
        "delete drill VM " + vmId + " of");
  }

  @Override
  public void recordMove(String itemVmId, String fromHost, String toHost, String newVmId,
      String why) throws LifecycleException {
    try {
      registry.audit("vm.move", "vm/" + itemVmId.toLowerCase(java.util.Locale.ROOT),
          "on-prem VM moved from host " + fromHost + " to host " + toHost + " as VM " + newVmId
              + ": " + why);
    } catch (StoreException e) {
      throw new LifecycleException("controller store unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean isOnline(String host) {
    return registry.isOnline(host);
  }

  @Override
  public Optional<Duration> roundTrip(String host) {
    return registry.roundTrip(host);
  }

  @Override
  public Optional<Object> agentConnection(String host) {
    return registry.connection(host).map(connection -> connection);
  }

  @Override
  public Optional<HostInventory> inventory(String host) throws LifecycleException {
    refresh(host);
    try {
      return registry.host(host).map(Host::getInventory);
    } catch (StoreException e) {
      throw new LifecycleException("controller store unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public List<byte[]> sampleDigests(String host, SampleDigests request)
      throws LifecycleException {
    CommandResult result = run(host, Command.newBuilder().setSampleDigests(request),
        "sample a disk of");
    if (result.getSampleDigests().getDigestsCount() != request.getBlocksCount()) {
      throw new LifecycleException("host " + host + " answered " + result.getSampleDigests()
          .getDigestsCount() + " digests for " + request.getBlocksCount() + " blocks");
    }
    return result.getSampleDigests().getDigestsList().stream().map(ByteString::toByteArray)
        .toList();
  }

  @Override
  public boolean answers(String host, Duration within) {
    return registry.isOnline(host) && refreshWithin(host, within).isEmpty();
  }

  /**
   * Asks an online host for its current inventory, which the registry then stores: what the
   * pre-flight decides on is the host's answer now, not its last report (the agent also pushes
   * changes at its heartbeats, and checks VM state and disks itself before every command).
   * An offline or silent host leaves the stored copy, after at most {@link #REFRESH_TIMEOUT}.
   */
  private void refresh(String host) {
    if (registry.isOnline(host)) {
      refreshWithin(host, REFRESH_TIMEOUT).ifPresent(why ->
          log.warn("using the stored inventory of host " + host + ": " + why));
    }
  }

  /** Sends RefreshInventory; why it got no good answer within {@code within}, or empty. */
  private Optional<String> refreshWithin(String host, Duration within) {
    CompletableFuture<CommandResult> answer = registry.send(host, Command.newBuilder()
        .setCommandId(UUID.randomUUID().toString())
        .setRefreshInventory(RefreshInventory.getDefaultInstance()).build());
    try {
      CommandResult result = answer.get(within.toMillis(), TimeUnit.MILLISECONDS);
      return result.getError().isEmpty() ? Optional.empty() : Optional.of(result.getError());
    } catch (ExecutionException | TimeoutException e) {
      return Optional.of("no fresh answer within " + within.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } finally {
      answer.cancel(false); // given up: the registry stops waiting too
    }
  }

  private CommandResult run(String host, Command.Builder command, String what)
      throws LifecycleException {
    return check(send(host, command, what), host, what);
  }

  private static CommandResult check(CommandResult result, String host, String what)
      throws LifecycleException {
    if (!result.getError().isEmpty()) {
      throw new LifecycleException("host " + host + " could not " + what + " the VM: "
          + result.getError());
    }
    return result;
  }

  private CommandResult send(String host, Command.Builder command, String what)
      throws LifecycleException {
    return send(host, command, what, commandTimeout);
  }

  private CommandResult send(String host, Command.Builder command, String what,
      Duration timeout) throws LifecycleException {
    return await(dispatch(host, command, what), host, what, timeout);
  }

  /** Sends {@code command} to an online host; its answer comes to the future returned. */
  private CompletableFuture<CommandResult> dispatch(String host, Command.Builder command,
      String what) throws LifecycleException {
    if (!registry.isOnline(host)) {
      throw new LifecycleException("host " + host + " is offline; cannot " + what + " its VM");
    }
    return registry.send(host, command.setCommandId(UUID.randomUUID().toString()).build());
  }

  private static CommandResult await(CompletableFuture<CommandResult> answer, String host,
      String what, Duration timeout) throws LifecycleException {
    try {
      return CancelScope.await(answer, timeout);
    } catch (CancelScope.CancelledWaitException e) {
      throw new LifecycleException("cancelled while waiting for host " + host + " to " + what
          + " a VM; what the host does with that command is not known yet");
    } catch (ExecutionException e) {
      throw new LifecycleException("host " + host + ": " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new LifecycleException("host " + host + " did not answer within "
          + timeout.toSeconds() + " s to " + what + " a VM");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LifecycleException("interrupted while waiting for host " + host);
    } finally {
      answer.cancel(false); // given up or answered: the registry stops waiting either way
    }
  }
}
