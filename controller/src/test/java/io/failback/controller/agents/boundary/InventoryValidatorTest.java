package io.failback.controller.agents.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** What the controller accepts from an agent, field by field. */
class InventoryValidatorTest {
  private static final String ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

  private static HostInventory good() {
    return HostInventory.newBuilder().setHostName("hv-01")
        .setHypervisorKind(HypervisorKind.HYPER_V).setHypervisorVersion("10.0.20348")
        .addVirtualMachines(VirtualMachine.newBuilder().setId(ID.toUpperCase()).setName("app")
            .setGeneration(2).setPowerState(PowerState.RUNNING)
            .addDisks(VirtualDisk.newBuilder().setPath("C:\\VMs\\app.vhdx")
                .setFormat(DiskFormat.VHDX).setType(DiskType.DYNAMIC)
                .setVirtualSizeBytes(1L << 30).setLogicalSectorSize(512)
                .setPhysicalSectorSize(4096).setBlockSizeBytes(32 << 20))
            .addNetworkAdapters(NetworkAdapter.newBuilder().setName("nic").setSwitchName("LAN")
                .setMacAddress("00155D010203")))
        .build();
  }

  private static AgentInputException refused(UnaryOperator<VirtualMachine.Builder> change) {
    HostInventory inventory = good().toBuilder().setVirtualMachines(0,
        change.apply(good().getVirtualMachines(0).toBuilder())).build();
    return assertThrows(AgentInputException.class,
        () -> InventoryValidator.check(inventory, "hv-01"));
  }

  @Test
  void aRealInventoryPasses() throws Exception {
    InventoryValidator.check(good(), "HV-01");
  }

  @Test
  void aSecureBootTemplateIsBoundedInLengthAndCharacters() throws Exception {
    UnaryOperator<VirtualMachine.Builder> uefiCa = vm -> vm.setSecureBoot(SecureBoot
        .newBuilder().setEnabled(true).setTemplateName("MicrosoftUEFICertificateAuthority"));
    InventoryValidator.check(good().toBuilder().setVirtualMachines(0, uefiCa.apply(good()
        .getVirtualMachines(0).toBuilder())).build(), "hv-01");
    assertTrue(refused(vm -> vm.setSecureBoot(SecureBoot.newBuilder()
        .setTemplateName("x".repeat(65)))).getMessage().contains("secure_boot.template_name"
        + " has 65 characters; at most 64"));
    String odd = refused(vm -> vm.setSecureBoot(SecureBoot.newBuilder()
        .setTemplateName("Microsoft'; Remove-VM *"))).getMessage();
    assertTrue(odd.contains("secure_boot.template_name ") && odd.contains(" holds characters"
        + " other than letters, digits, '.', '_' and '-'"), odd);
    assertTrue(refused(vm -> vm.setSecureBoot(SecureBoot.newBuilder()
        .setTemplateName("a\nb"))).getMessage().contains("secure_boot.template_name"));
    assertTrue(refused(vm -> uefiCa.apply(vm).setGeneration(1)).getMessage().contains(
        "secure_boot is set on a generation 1 VM"));
  }

  @Test
  void eachMalformedFieldIsNamed() throws Exception {
    assertTrue(refused(vm -> vm.setId("../x")).getMessage()
        .contains("virtual_machines[0].id '../x' is not a VM id"));
    assertTrue(refused(vm -> vm.setName("a\nb")).getMessage().contains("control characters"));
    assertTrue(refused(vm -> vm.setPowerStateValue(42)).getMessage()
        .contains("power_state has the unknown value 42"));
    assertTrue(refused(vm -> vm.setDisks(0, vm.getDisks(0).toBuilder().setTypeValue(-1)))
        .getMessage().contains("disks[0].type has the unknown value -1"));
    assertTrue(refused(vm -> vm.setDisks(0, vm.getDisks(0).toBuilder()
        .setVirtualSizeBytes(1001))).getMessage().contains("not a positive multiple"));
    assertTrue(refused(vm -> vm.setDisks(0, vm.getDisks(0).toBuilder()
        .setBlockSizeBytes(3 << 20))).getMessage().contains("not a power of two"));
    assertTrue(refused(vm -> vm.setHostName("hv-02")).getMessage()
        .contains("is not the reporting host"));
    assertTrue(refused(vm -> vm.setNetworkAdapters(0, vm.getNetworkAdapters(0).toBuilder()
        .setMacAddress("<script>"))).getMessage().contains("is not a MAC address"));
    assertTrue(refused(vm -> vm.setGuestOs("Windows\u0007")).getMessage()
        .contains("virtual_machines[0].guest_os"));
    assertTrue(refused(vm -> vm.setGuestOs("W".repeat(AgentLimits.MAX_SHORT_TEXT_CHARS + 1)))
        .getMessage().contains("virtual_machines[0].guest_os"));
    // A line break to one-line logs, a reordering to the CLI's tables: refused like controls.
    for (String name : new String[] {"app\u2028INFO forged", "app\u2029", "\u202egnp.exe",
        "a\u2066b\u2069", "x\u202ay"}) {
      assertTrue(refused(vm -> vm.setName(name)).getMessage().contains(
          "virtual_machines[0].name " + io.failback.common.text.BoundedText.quote(name)
              + " holds control characters"), name);
    }
    // Right-to-left text keeps its marks, and a name may hold a zero-width joiner (emoji).
    InventoryValidator.check(good().toBuilder().setVirtualMachines(0, good()
        .getVirtualMachines(0).toBuilder().setName("\u05e9\u05e8\u05ea-01\u200f 👩\u200d💻"))
        .build(), "hv-01");
  }

  /**
   * Sizes are uint64 on the wire and read as signed longs (Preflight, UndoSpace): one above
   * Long.MAX_VALUE would be a negative number of free or used bytes there.
   */
  @Test
  void aByteCountAboveTheLargestLongIsRefusedByItsField() throws Exception {
    long over = Long.MIN_VALUE; // 2^63 as an unsigned 64-bit number
    assertTrue(refused(vm -> vm.setDisks(0, vm.getDisks(0).toBuilder().setFileSizeBytes(over)))
        .getMessage().contains("virtual_machines[0].disks[0].file_size_bytes 9223372036854775808"
            + " is out of range"));
    StoragePath path = StoragePath.newBuilder().setPath("D:\\VMs").setFreeBytes(1L << 40)
        .setTotalBytes(2L << 40).build();
    for (StoragePath bad : List.of(path.toBuilder().setFreeBytes(-1).build(),
        path.toBuilder().setTotalBytes(-1).build())) {
      AgentInputException e = assertThrows(AgentInputException.class, () -> InventoryValidator
          .check(good().toBuilder().addStoragePaths(bad).build(), "hv-01"));
      String field = bad.getFreeBytes() < 0 ? "free_bytes" : "total_bytes";
      assertTrue(e.getMessage().contains("inventory.storage_paths[0]." + field
          + " 18446744073709551615 is out of range"), e.getMessage());
    }
    InventoryValidator.check(good().toBuilder().addStoragePaths(StoragePath.newBuilder()
        .setPath("D:\\VMs").setFreeBytes(Long.MAX_VALUE).setTotalBytes(Long.MAX_VALUE))
        .build(), "hv-01");
  }

  @Test
  void countsOverTheLimitAreTooLargeAndTheMessageStaysBounded() {
    HostInventory.Builder many = good().toBuilder().clearVirtualMachines();
    for (int i = 0; i < AgentLimits.MAX_VMS + 1; i++) {
      many.addVirtualMachines(good().getVirtualMachines(0).toBuilder().setId("bad-" + i));
    }
    AgentInputException e = assertThrows(AgentInputException.class,
        () -> InventoryValidator.check(many.build(), "hv-01"));
    assertEquals(AgentInputException.Kind.TOO_LARGE, e.kind());
    assertTrue(e.getMessage().contains("more problems") && e.getMessage().length() < 4096,
        e.getMessage());
  }

  @Test
  void duplicateIdsAndAnotherHostsNameAreRefused() {
    HostInventory twice = good().toBuilder().addVirtualMachines(good().getVirtualMachines(0)
        .toBuilder().setId(ID)).build();
    assertTrue(assertThrows(AgentInputException.class,
        () -> InventoryValidator.check(twice, "hv-01")).getMessage().contains("twice"));
    assertThrows(AgentInputException.class, () -> InventoryValidator.check(good(), "hv-02"));
  }

  @Test
  void aCommandResultsErrorIsCutNotRefusedAndItsVmIdIsChecked() throws Exception {
    CommandResult big = CommandResult.newBuilder().setCommandId("c").setError("e".repeat(100_000))
        .build();
    String error = CommandResultValidator.check(big, "hv-01").getError();
    assertTrue(error.length() <= AgentLimits.MAX_TEXT_CHARS && error.contains("truncated"));
    assertThrows(AgentInputException.class, () -> CommandResultValidator.check(
        CommandResult.newBuilder().setCommandId("c").setCreatedVmId("/tmp/x").build(), "hv-01"));
  }

  @Test
  void aSyncReportsReadPointWaitIsBounded() throws Exception {
    CommandResult day = CommandResult.newBuilder().setCommandId("c").setSyncReport(
        io.failback.proto.v1.SyncReport.newBuilder().setReadPoint("rp-1")
            .setReadPointMillis(86_400_000L)).build();
    assertEquals(day, CommandResultValidator.check(day, "hv-01"));
    // A uint64 past Long.MAX_VALUE reads as negative in Java: refused all the same.
    for (long millis : new long[] {86_400_001L, -1L}) {
      AgentInputException refused = assertThrows(AgentInputException.class,
          () -> CommandResultValidator.check(day.toBuilder().setSyncReport(day.getSyncReport()
              .toBuilder().setReadPointMillis(millis)).build(), "hv-01"));
      assertTrue(refused.getMessage().contains("command_result.sync_report.read_point_millis "
          + Long.toUnsignedString(millis) + " is out of range"), refused.getMessage());
    }
    // What the lanes measured while sending is bounded too: the controller computes with it.
    AgentInputException refused = assertThrows(AgentInputException.class,
        () -> CommandResultValidator.check(day.toBuilder().setSyncReport(day.getSyncReport()
            .toBuilder().setSendNanos(-1L).setLinkWaitNanos(-1L).setSentBytes(-1L)
            .setFrameWaitNanos(-1L).setTargetLaneNanos(-1L)).build(), "hv-01"));
    for (String field : List.of("send_nanos", "link_wait_nanos", "sent_bytes",
        "frame_wait_nanos", "target_lane_nanos")) {
      assertTrue(refused.getMessage().contains("sync_report." + field + " 18446744073709551615"
          + " is out of range"), refused.getMessage());
    }
    // How busy the agent's CPUs were: thousandths, at most all of them.
    CommandResult saturated = day.toBuilder().setSyncReport(day.getSyncReport().toBuilder()
        .setCpuBusyPermille(1000)).build();
    assertEquals(saturated, CommandResultValidator.check(saturated, "hv-01"));
    for (int permille : new int[] {1001, -1}) {
      AgentInputException busy = assertThrows(AgentInputException.class,
          () -> CommandResultValidator.check(day.toBuilder().setSyncReport(day.getSyncReport()
              .toBuilder().setCpuBusyPermille(permille)).build(), "hv-01"));
      assertTrue(busy.getMessage().contains("sync_report.cpu_busy_permille "
          + Integer.toUnsignedString(permille) + " is out of range"), busy.getMessage());
    }
    // So are the counts an upload's job shows and sums (a negative or wrapped total else).
    AgentInputException counts = assertThrows(AgentInputException.class,
        () -> CommandResultValidator.check(day.toBuilder().setSyncReport(day.getSyncReport()
            .toBuilder().setBlocksScanned(-1L).setBlocksEqual(1L << 41).setBlocksZero(-1L)
            .setBlocksSent(-1L).setBytesRead(-1L).setBytesWritten(1L << 51)
            .setBytesOnWire(-1L)).build(), "hv-01"));
    for (String field : List.of("blocks_scanned", "blocks_equal", "blocks_zero", "blocks_sent",
        "bytes_read", "bytes_written", "bytes_on_wire")) {
      assertTrue(counts.getMessage().contains("sync_report." + field + " "), field + ": "
          + counts.getMessage());
    }
    // So are a rollback's and a drill's seeding counts, which their jobs add up and show.
    AgentInputException rollback = assertThrows(AgentInputException.class,
        () -> CommandResultValidator.check(CommandResult.newBuilder().setCommandId("r")
            .setRollbackReport(io.failback.proto.v1.RollbackReport.newBuilder().addDisks(
                io.failback.proto.v1.DiskRollback.newBuilder().setDiskPath("d.vhdx")
                    .setRegionsRestored(-1L).setRegionsZero(-1L).setBytesRestored(-1L)))
            .build(), "hv-01"));
    for (String field : List.of("regions_restored", "regions_zero", "bytes_restored")) {
      assertTrue(rollback.getMessage().contains("rollback_report.disks[0]." + field + " "),
          field + ": " + rollback.getMessage());
    }
    io.failback.proto.v1.DrillSeedReport seed = io.failback.proto.v1.DrillSeedReport
        .newBuilder().setBytesRead(1L << 40).setBytesWritten(1L << 40).setMillis(60_000L)
        .build();
    CommandResult seeded = CommandResult.newBuilder().setCommandId("s").setDrillSeed(seed)
        .setCreatedVmId("00000000-0000-0000-0000-0000000000aa").build();
    assertEquals(seeded, CommandResultValidator.check(seeded, "hv-01"));
    AgentInputException drill = assertThrows(AgentInputException.class,
        () -> CommandResultValidator.check(seeded.toBuilder().setDrillSeed(seed.toBuilder()
            .setMillis(Long.MAX_VALUE).setBytesRead(-1L)).build(), "hv-01"));
    assertTrue(drill.getMessage().contains("drill_seed.millis " + Long.MAX_VALUE
        + " is out of range") && drill.getMessage().contains("drill_seed.bytes_read "),
        drill.getMessage());
    // And what a ReleaseVm removed, which DisableProtection's job shows: uint32, so 2^32 - 1
    // read as an int said "-1 read point(s)".
    io.failback.proto.v1.ReleaseReport released = io.failback.proto.v1.ReleaseReport
        .newBuilder().setReadPointsDiscarded(2).setReferencePointsDestroyed(4)
        .setDigestSetsDeleted(4).build();
    CommandResult ok = CommandResult.newBuilder().setCommandId("v").setReleaseReport(released)
        .build();
    assertEquals(ok, CommandResultValidator.check(ok, "hv-01"));
    AgentInputException release = assertThrows(AgentInputException.class,
        () -> CommandResultValidator.check(ok.toBuilder().setReleaseReport(released.toBuilder()
            .setReadPointsDiscarded(-1).setReferencePointsDestroyed(1 << 20)
            .setDigestSetsDeleted(Integer.MIN_VALUE)).build(), "hv-01"));
    for (String field : List.of("read_points_discarded 4294967295",
        "reference_points_destroyed 1048576", "digest_sets_deleted 2147483648")) {
      assertTrue(release.getMessage().contains("release_report." + field + " is out of range"),
          field + ": " + release.getMessage());
    }
    // A 64 TiB disk's count, at 4 KiB, passes.
    CommandResult large = day.toBuilder().setSyncReport(day.getSyncReport().toBuilder()
        .setBlocksScanned(1L << 34).setBytesRead(1L << 46)).build();
    assertEquals(large, CommandResultValidator.check(large, "hv-01"));
  }
}
