package io.failback.controller.lifecycle;

import com.google.protobuf.util.Durations;
import io.failback.common.codec.BlockCodec;
import io.failback.common.disk.BlockDevice;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import io.failback.common.hash.ZeroBlocks;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SampleDigests;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * PlannedFailover's pre-flight (validate only): every problem at once, and when there is none
 * an estimate of what each data-sync option would send and how long it would take. It reads,
 * never writes: no job, no state change, no VM stopped.
 *
 * <p>The estimate hashes a random sample of blocks on both sides (at most
 * {@value #SAMPLE_BLOCKS} per disk) and scales the differing, non-zero and compressed share of
 * the sample to the whole disk. Durations add up what the last transfers from the controller
 * to the host measured ({@link Timings}): a fixed cost, a checksum pass over every disk (sync
 * before failover only) and the bytes to send at the rate the lanes sent at, never a rate that
 * includes hashing time; {@value #DEFAULT_RATE} and {@value #DEFAULT_CHECKSUM_RATE} bytes/s
 * stand in for what was not measured yet.
 */
final class Preflight {
  static final int SAMPLE_BLOCKS = 1024;
  static final double DEFAULT_RATE = 100e6;
  static final double DEFAULT_CHECKSUM_RATE = 200e6;
  /** Above this share of differing data a checksum pass saves too little to be worth it. */
  static final double FULL_DOWNLOAD_ABOVE = 0.8;

  private final LifecycleContext context;
  private final List<PreflightProblem> problems = new ArrayList<>();
  private final List<Failback> failbacks = new ArrayList<>();

  /**
   * A VM that would fail back, and where to.
   *
   * @param onPrem the VM whose disks would be written; null on an alternate host, where the VM
   *     is created with empty disks
   */
  private record Failback(ProtectedItem item, VirtualMachine onPrem, String host) {}

  Preflight(LifecycleContext context) {
    this.context = context;
  }

  /** The problems alone, without sampling anything: the checks a real run starts with. */
  List<PreflightProblem> problems(Targets targets, String targetHost, String certificate)
      throws Exception {
    for (String vmId : targets.vmIds()) {
      checkVm(vmId, targetHost, certificate);
    }
    return List.copyOf(problems);
  }

  PreflightReport run(Targets targets, String targetHost, String certificate)
      throws Exception {
    for (String vmId : targets.vmIds()) {
      checkVm(vmId, targetHost, certificate);
    }
    PreflightReport.Builder report = PreflightReport.newBuilder().addAllProblems(problems);
    if (problems.isEmpty() && !failbacks.isEmpty()) {
      report.setEstimate(estimate());
    }
    return report.build();
  }

  private void checkVm(String vmId, String targetHost, String certificate) throws Exception {
    ProtectedItem item;
    try {
      item = context.items().requireAction(vmId, OperatorAction.PLANNED_FAILOVER);
    } catch (NotFoundException | IllegalTransitionException e) {
      problem(vmId, "state", e.getMessage());
      return;
    }
    boolean alternate = !targetHost.isEmpty()
        && !targetHost.equalsIgnoreCase(item.getOnPremHost());
    String host = alternate ? targetHost : item.getOnPremHost();
    if (!context.hosts().isOnline(host)) {
      problem(vmId, "agent_offline", "the agent of host " + host + " is offline; start it or"
          + " check its connection to the controller");
    }
    Optional<HostInventory> target = context.hosts().inventory(host);
    if (target.isEmpty()) {
      problem(vmId, "agent_offline", "host " + host + " has never registered");
    }
    Optional<VirtualMachine> onPrem = context.hosts().inventory(item.getOnPremHost())
        .flatMap(inventory -> find(inventory, FlowSupport.onPremVmId(item)));
    if (onPrem.isEmpty() && !alternate) {
      problem(vmId, "vm_missing", "host " + item.getOnPremHost() + " does not report vm "
          + item.getVmName() + " (id " + item.getVmId() + ")");
      return;
    }
    for (VirtualDisk disk : onPrem.map(VirtualMachine::getDisksList).orElse(List.of())) {
      if (disk.getType() == DiskType.DIFFERENCING && !alternate) {
        problem(vmId, "unsupported_disk", "disk " + disk.getPath() + " is a differencing disk;"
            + " merge the VM's checkpoints first");
      }
    }
    if (item.getState() == ProtectionState.PROTECTED) {
      if (alternate) {
        problem(vmId, "state", "target_host applies to a failback only; vm "
            + item.getVmName() + " is PROTECTED and fails over to the cloud");
      }
      return; // towards the cloud: the on-prem VM is the source and may run
    }
    Optional<CloudVm> cloudVm = context.cloud().get(item.getCloudVmId());
    if (cloudVm.isEmpty()) {
      problem(vmId, "cloud_vm_missing", "the cloud VM " + item.getCloudVmId() + " of "
          + item.getVmName() + " is gone; nothing to fail back");
      return;
    }
    if (onPrem.isPresent() && onPrem.get().getPowerState() != PowerState.OFF) {
      problem(vmId, "vm_running", "vm " + item.getVmName() + " is "
          + onPrem.get().getStateDetail() + " on host " + item.getOnPremHost()
          + " while its cloud copy is active; stop it first (never two live copies)");
    }
    // The adapters and disks as the VM runs in the cloud: what comes back, on whichever host.
    if (target.isPresent()) {
      checkTargetHost(item, cloudVm.get(), host, target.get(), alternate, certificate);
    }
    failbacks.add(new Failback(item, alternate ? null : onPrem.get(), host));
  }

  private void checkTargetHost(ProtectedItem item, CloudVm cloudVm, String host,
      HostInventory inventory, boolean alternate, String certificate)
      throws LifecycleException {
    for (NicSpec nic : cloudVm.nics()) {
      if (!nic.switchName().isEmpty() && inventory.getVirtualSwitchesList().stream()
          .map(VirtualSwitch::getName).noneMatch(nic.switchName()::equalsIgnoreCase)) {
        problem(item.getVmId(), "switch_missing", "host " + host + " has no virtual switch '"
            + nic.switchName() + "' for network adapter '" + nic.name() + "' of "
            + item.getVmName());
      }
    }
    if (alternate) {
      long needed = cloudVm.disks().stream().mapToLong(d -> d.virtualSize()).sum();
      long free = inventory.getStoragePathsList().stream()
          .filter(p -> p.getPath().equalsIgnoreCase(inventory.getDefaultVmPath()))
          .mapToLong(StoragePath::getFreeBytes).max().orElse(0);
      if (free < needed) {
        problem(item.getVmId(), "free_space", "host " + host + " has " + free + " bytes free at "
            + inventory.getDefaultVmPath() + "; the disks of " + item.getVmName() + " need up to "
            + needed);
      }
    }
    if (certificate.isEmpty() && item.getDataEncryption()) {
      problem(item.getVmId(), "certificate_missing", "vm " + item.getVmName() + " has data"
          + " encryption enabled: name an encryption_certificate; "
          + new EncryptionChoice(context).usable(host));
    }
    if (!certificate.isEmpty() && inventory.getEncryptionCertificatesList().stream()
        .noneMatch(c -> c.getThumbprint().equalsIgnoreCase(certificate))) {
      problem(item.getVmId(), "certificate_not_held", "the agent of host " + host
          + " holds no encryption certificate with thumbprint " + certificate);
    }
  }

  private FailoverEstimate estimate() throws Exception {
    long total = 0;
    double syncBefore = 0;
    double full = 0;
    long sampled = 0;
    long differing = 0;
    long nonZero = 0;
    SecureRandom random = new SecureRandom();
    long seed = random.nextLong();
    BlockDigester digester = new BlockDigester(DigestAlgorithm.XXH3_128, seed);
    BlockCodec codec = new BlockCodec(DiskTransfer.BLOCK_SIZE);
    HostRates rates = new HostRates(context.timings());
    for (Failback failback : failbacks) {
      rates.add(failback.host());
      int disks = context.cloud().get(failback.item().getCloudVmId()).orElseThrow().disks()
          .size();
      for (int i = 0; i < disks; i++) {
        try (BlockDevice cloud = context.cloud().openDisk(failback.item().getCloudVmId(), i,
            false)) {
          long blocks = (cloud.size() + DiskTransfer.BLOCK_SIZE - 1) / DiskTransfer.BLOCK_SIZE;
          long[] sample = sample(blocks, random);
          // On an alternate host the disks start empty: every sampled block reads as zeros.
          List<byte[]> theirs = failback.onPrem() == null
              ? Collections.nCopies(sample.length, digester.zeroBlockDigest(
                  DiskTransfer.BLOCK_SIZE))
              : context.hosts().sampleDigests(failback.host(), SampleDigests.newBuilder()
                  .setDiskPath(failback.onPrem().getDisks(i).getPath())
                  .setBlockSize(DiskTransfer.BLOCK_SIZE)
                  .setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128)
                  .setDigestSeed(seed)
                  .addAllBlocks(Arrays.stream(sample).boxed().toList()).build());
          double scale = (double) blocks / sample.length;
          ByteBuffer buffer = ByteBuffer.allocate(DiskTransfer.BLOCK_SIZE);
          for (int s = 0; s < sample.length; s++) {
            long offset = sample[s] * DiskTransfer.BLOCK_SIZE;
            buffer.clear().limit((int) Math.min(DiskTransfer.BLOCK_SIZE, cloud.size() - offset));
            cloud.read(offset, buffer);
            buffer.flip();
            boolean zero = ZeroBlocks.isAllZero(buffer);
            boolean differs = !Arrays.equals(digester.digest(buffer), theirs.get(s));
            int wire = zero ? 0 : codec.encode(buffer.array(), 0, buffer.limit()).data().length;
            nonZero += zero ? 0 : 1;
            differing += differs ? 1 : 0;
            full += wire * scale;
            syncBefore += differs ? wire * scale : 0;
          }
          sampled += sample.length;
          total += cloud.size();
        }
      }
    }
    double differingShare = sampled == 0 ? 0 : (double) differing / sampled;
    boolean fullWins = sampled > 0 && differing >= FULL_DOWNLOAD_ABOVE * sampled;
    return FailoverEstimate.newBuilder()
        .setBytesTotal(total)
        .setBytesToSendSyncBefore((long) syncBefore)
        .setBytesToSendFullDownload((long) full)
        .setDurationSyncBefore(Durations.fromNanos(rates.fixedCost().toNanos()
            + (long) ((total / rates.checksum() + syncBefore / rates.send()) * 1e9)))
        .setDurationFullDownload(Durations.fromNanos(rates.fixedCost().toNanos()
            + (long) (full / rates.send() * 1e9)))
        .setLinkBytesPerSecond(rates.send())
        .setLinkRateMeasured(rates.sendMeasured())
        .setChecksumBytesPerSecond(rates.checksum())
        .setChecksumRateMeasured(rates.checksumMeasured())
        .setFixedCost(Durations.fromNanos(rates.fixedCost().toNanos()))
        .setBlocksSampled(sampled)
        .setBlocksSampledDiffering(differing)
        .setBlocksSampledNonZero(nonZero)
        .setRecommended(fullWins ? DataSync.FULL_DOWNLOAD : DataSync.SYNC_BEFORE_FAILOVER)
        .setRecommendation(fullWins
            ? String.format(Locale.ROOT, "%.0f%% of the sampled blocks differ: a checksum pass"
                + " would save little, a full download skips it", differingShare * 100)
            : String.format(Locale.ROOT, "%.0f%% of the sampled blocks differ: sync before"
                + " failover moves them while the cloud VM runs, and the outage covers only"
                + " what changes after the snapshot", differingShare * 100))
        .build();
  }

  /** Up to {@value #SAMPLE_BLOCKS} distinct block indexes, sorted; every block if fewer. */
  private static long[] sample(long blocks, SecureRandom random) {
    if (blocks <= SAMPLE_BLOCKS) {
      long[] all = new long[(int) blocks];
      Arrays.setAll(all, i -> i);
      return all;
    }
    TreeSet<Long> chosen = new TreeSet<>();
    while (chosen.size() < SAMPLE_BLOCKS) {
      chosen.add(Math.floorMod(random.nextLong(), blocks));
    }
    return chosen.stream().mapToLong(Long::longValue).toArray();
  }

  private static Optional<VirtualMachine> find(HostInventory inventory, String vmId) {
    return inventory.getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equalsIgnoreCase(vmId)).findFirst();
  }

  private void problem(String vmId, String check, String message) {
    problems.add(PreflightProblem.newBuilder().setVmId(vmId).setCheck(check)
        .setMessage(message).build());
  }
}
