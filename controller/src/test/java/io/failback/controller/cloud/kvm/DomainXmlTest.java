package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.agents.boundary.AgentLimits;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.GuestFamily;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The domain XML a KVM cloud VM is defined with, and its record read back from it. */
class DomainXmlTest {
  private static final KvmVmRecord VM = new KvmVmRecord("0b6f7c6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f",
      "web <1> & 'co'", "onprem-1", "2026-12-01T08:00:00Z",
      List.of(new KvmVmRecord.Disk("os", "/c/vms/x/disk-0.qcow2", 1 << 30),
          new KvmVmRecord.Disk("data", "/c/vms/x/disk-1.qcow2", 1 << 29)),
      List.of(new KvmVmRecord.Nic("eth0", "LAN", "LAN"), new KvmVmRecord.Nic("eth1", "DMZ", null)),
      3L << 30, 2, List.of("network adapter 'eth1' left unplugged: no libvirt network named"),
      "/var/lib/failback/kvm-cloud", false);

  @Test
  void plugsOnlyNicsWithANetworkAndKeepsTheRecordWhateverItsName() throws Exception {
    String xml = DomainXml.of(VM, "kvm", Optional.empty(), Path.of("/c/vms/x/console.log"));

    assertTrue(xml.contains("<interface type='network'><mac address='" + DomainXml.mac(VM.id(),
        0) + "'/><source network='LAN'/>"), xml);
    assertFalse(xml.contains("DMZ'/>"), "the unplugged adapter has no interface element");
    assertTrue(xml.contains("<memory unit='KiB'>3145728</memory>") && xml.contains(
        "<vcpu>2</vcpu>") && xml.contains("<target dev='vdb' bus='virtio'/>"), xml);
    assertTrue(xml.contains("<boot dev='hd'/>") && xml.contains("<on_reboot>restart"), xml);
    assertEquals(Optional.of(VM), DomainXml.record(xml));
  }

  /**
   * A generation 2 VM's disk boots through UEFI only: under the BIOS every domain had, its
   * cloud copy would not boot at all. A generation 1 VM keeps the BIOS.
   */
  @Test
  void aGenerationTwoVmBootsThroughUefiAndOneKeepsTheBios() throws Exception {
    KvmVmRecord uefi = new KvmVmRecord(VM.id(), VM.name(), VM.sourceVmId(), VM.createdAt(),
        VM.disks(), VM.nics(), VM.memoryBytes(), VM.processorCount(), VM.notes(), VM.cloud(),
        true);
    String xml = DomainXml.of(uefi, "kvm", Optional.empty(), Path.of("/log"));
    assertTrue(xml.contains("  <os firmware='efi'>\n    <type arch='x86_64' machine='pc'>hvm"
        + "</type>\n    <boot dev='hd'/>"), xml);
    assertEquals(Optional.of(uefi), DomainXml.record(xml));
    String bios = DomainXml.of(VM, "kvm", Optional.empty(), Path.of("/log"));
    assertTrue(bios.contains("  <os>\n") && !bios.contains("firmware"), bios);
    String hostKernel = DomainXml.of(uefi, "qemu", Optional.of(new DirectKernelBoot(
        Path.of("/k"), Path.of("/i"), "console=ttyS0")), Path.of("/log"));
    assertTrue(hostKernel.contains("  <os>\n") && !hostKernel.contains("firmware"),
        "a host kernel booted instead of the disks runs without the VM's firmware: " + xml);
    // With a boot entry of Failback's: that firmware and the VM's own variable store.
    KvmVmRecord entry = uefi.withFirmware(new KvmVmRecord.Firmware("/fw/CODE.fd",
        "/c/vms/x/uefi-vars.fd", "HD(1,GPT,…)/\\EFI\\DEBIAN\\SHIMX64.EFI"));
    String own = DomainXml.of(entry, "kvm", Optional.empty(), Path.of("/log"));
    assertTrue(own.contains("  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n"
        + "    <loader readonly='yes' type='pflash'>/fw/CODE.fd</loader>\n"
        + "    <nvram>/c/vms/x/uefi-vars.fd</nvram>\n    <boot dev='hd'/>") && !own.contains(
        "firmware="), own);
    assertEquals(Optional.of(entry), DomainXml.record(own));
    assertEquals(Optional.of(uefi), KvmVmRecord.fromJson(uefi.toJson()), "none: null");
  }

  /** A record written before the generation was kept reads as a BIOS VM, as it was made. */
  @Test
  void aRecordFromBeforeTheFirmwareReadsAsBios() throws Exception {
    String json = VM.toJson().replace(",\"uefi\":false", "");
    assertFalse(json.contains("uefi"), json);
    assertEquals(Optional.of(VM), KvmVmRecord.fromJson(json));
  }

  /**
   * A guest without virtio drivers gets SATA disks and an Intel NIC, which its OS drives on its
   * own; a record from before devices were kept reads virtio, as its domain was made.
   */
  @Test
  void emulatedDevicesAreSataDisksAndIntelNicsAndAnOldRecordReadsVirtio() throws Exception {
    KvmVmRecord emulated = VM.withDevices(CloudDevices.EMULATED);
    String xml = DomainXml.of(emulated, "kvm", Optional.empty(), Path.of("/log"));
    assertTrue(xml.contains("<target dev='sda' bus='sata'/>")
        && xml.contains("<target dev='sdb' bus='sata'/>")
        && xml.contains("<source network='LAN'/><model type='e1000e'/>")
        && !xml.contains("virtio"), xml);
    assertEquals(Optional.of(emulated), DomainXml.record(xml));
    String old = VM.toJson().replace(",\"devices\":\"VIRTIO\"", "");
    assertFalse(old.contains("devices"), old);
    assertEquals(CloudDevices.VIRTIO, KvmVmRecord.fromJson(old).orElseThrow().devices());
  }

  /**
   * A Windows guest keeps its real-time clock in local time, as Hyper-V gave it: its copy's is
   * local time too, with Hyper-V's enlightenments where KVM makes them real (TCG ignores them).
   * Other guests keep libvirt's UTC, and a record from before the family was kept reads as not
   * Windows, as its domain was made.
   */
  @Test
  void aWindowsGuestGetsLocalTimeAndUnderKvmTheEnlightenmentsAndAnOldRecordReadsOther()
      throws Exception {
    KvmVmRecord windows = VM.withGuestFamily(GuestFamily.WINDOWS);
    String kvm = DomainXml.of(windows, "kvm", Optional.empty(), Path.of("/log"));
    assertTrue(kvm.contains("  <features><acpi/><apic/><hyperv mode='custom'><relaxed"
        + " state='on'/><vapic state='on'/><spinlocks state='on' retries='8191'/></hyperv>"
        + "</features>\n  <clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/>"
        + "<timer name='pit' tickpolicy='delay'/><timer name='hpet' present='no'/><timer"
        + " name='hypervclock' present='yes'/></clock>\n"), kvm);
    assertEquals(Optional.of(windows), DomainXml.record(kvm));
    String tcg = DomainXml.of(windows, "qemu", Optional.empty(), Path.of("/log"));
    assertTrue(tcg.contains("  <features><acpi/><apic/></features>\n  <clock offset='localtime'>"
        + "<timer name='rtc' tickpolicy='catchup'/>") && !tcg.contains("hyperv"), tcg);
    for (String type : List.of("kvm", "qemu")) {
      String linux = DomainXml.of(VM, type, Optional.empty(), Path.of("/log"));
      assertTrue(linux.contains("  </os>\n  <features><acpi/><apic/></features>\n  <on_poweroff>")
          && !linux.contains("<clock") && !linux.contains("hyperv"), linux);
    }
    String old = VM.toJson().replace(",\"guestFamily\":\"OTHER\"", "");
    assertFalse(old.contains("guestFamily"), old);
    assertEquals(Optional.of(VM), KvmVmRecord.fromJson(old));
  }

  /**
   * Each start redefines the domain: without an address of its own a NIC got a new one from
   * libvirt every time, and the guest a new DHCP lease.
   */
  @Test
  void aNicKeepsItsMacAddressAcrossDefinitions() {
    String first = DomainXml.of(VM, "kvm", Optional.empty(), Path.of("/log"));
    String again = DomainXml.of(VM, "qemu", Optional.of(new DirectKernelBoot(Path.of("/k"),
        Path.of("/i"), "console=ttyS0")), Path.of("/log"));
    String mac = DomainXml.mac(VM.id(), 0);
    assertTrue(mac.matches("52:54:00(:[0-9a-f]{2}){3}"), mac);
    assertTrue(first.contains("<mac address='" + mac + "'/>")
        && again.contains("<mac address='" + mac + "'/>"), first + again);
    assertEquals(mac, DomainXml.mac(VM.id(), 0));
    assertFalse(mac.equals(DomainXml.mac(VM.id(), 1)), "another NIC of the VM");
    assertFalse(mac.equals(DomainXml.mac("5d4c3b2a-0000-4000-8000-000000000001", 0)),
        "another VM");
  }

  @Test
  void aDirectKernelBootPowersOffOnRebootAndAForeignDomainHasNoRecord() throws Exception {
    String xml = DomainXml.of(VM, "qemu", Optional.of(new DirectKernelBoot(Path.of("/k"),
        Path.of("/i"), "console=ttyS0 fb.run=s:vda:0:512")), Path.of("/log"));

    assertTrue(xml.startsWith("<domain type='qemu'>") && xml.contains("<kernel>/k</kernel>")
        && xml.contains("<cmdline>console=ttyS0 fb.run=s:vda:0:512</cmdline>")
        && xml.contains("<on_reboot>destroy"), xml);
    assertEquals(Optional.empty(), DomainXml.record("<domain type='kvm'><name>other</name>"
        + "<metadata><x:y xmlns:x='https://example.com/'>{}</x:y></metadata></domain>"));
  }

  /**
   * Disk 26 was "vd{" (one character past 'z'), which libvirt refuses, and a Hyper-V VM
   * has up to 260 disks. Names go on as libvirt's virDiskNameToIndex reads them: vdaa after vdz.
   */
  @Test
  void everyDiskAVmMayHaveGetsTheTargetNameLibvirtReadsAsItsIndex() {
    assertEquals("vda", DomainXml.target(CloudDevices.VIRTIO, 0));
    assertEquals("vdz", DomainXml.target(CloudDevices.VIRTIO, 25));
    assertEquals("vdaa", DomainXml.target(CloudDevices.VIRTIO, 26));
    assertEquals("sdaa", DomainXml.target(CloudDevices.EMULATED, 26));
    assertEquals("vdzz", DomainXml.target(CloudDevices.VIRTIO, 701));
    assertEquals("vdaaa", DomainXml.target(CloudDevices.VIRTIO, 702));
    for (int i = 0; i < AgentLimits.MAX_DISKS_PER_VM; i++) {
      assertEquals(i, libvirtIndex(DomainXml.target(CloudDevices.VIRTIO, i).substring(2)));
      assertEquals(i, libvirtIndex(DomainXml.target(CloudDevices.EMULATED, i).substring(2)));
    }
  }

  /** libvirt's virDiskNameToIndex (src/util/virutil.c) of the letters after the prefix. */
  private static int libvirtIndex(String letters) {
    assertTrue(letters.matches("[a-z]+"), letters);
    int index = 0;
    for (int i = 0; i < letters.length(); i++) {
      index = (index + (i < 1 ? 0 : 1)) * 26 + letters.charAt(i) - 'a';
    }
    return index;
  }
}

