package io.failback.controller.cloud.kvm;

import com.google.common.hash.Hashing;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.GuestFamily;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/** The libvirt domain XML of a KVM cloud VM, and its Failback metadata read back. */
final class DomainXml {
  static final String NAMESPACE = "https://failback.io/ns/kvm-cloud/1";
  private static final long KIB = 1024;
  private static final long DEFAULT_MEMORY = 1L << 30;

  private DomainXml() {}

  /**
   * The domain: the record's disks (qcow2, discards passed down so zeroed ranges stay holes),
   * its plugged NICs (on their libvirt network, a stable MAC address each), both virtio or
   * emulated as the record says, a Windows guest's clock and enlightenments (see {@code
   * featuresAndClock}), the serial console into {@code consoleLog}, and either the VM's own
   * disks or {@code boot}.
   */
  static String of(KvmVmRecord vm, String domainType, Optional<DirectKernelBoot> boot,
      Path consoleLog) {
    return of(vm, domainType, boot, consoleLog, Set.of());
  }

  /**
   * As {@link #of(KvmVmRecord, String, Optional, Path)}, leaving out the NICs plugged into one
   * of {@code networksDown} (for one start: libvirt refuses to start a domain whose network is
   * not active). The record keeps them plugged, so the next start puts them back.
   */
  static String of(KvmVmRecord vm, String domainType, Optional<DirectKernelBoot> boot,
      Path consoleLog, Set<String> networksDown) {
    long memoryKib = Math.max(1, ((vm.memoryBytes() > 0 ? vm.memoryBytes() : DEFAULT_MEMORY)
        + KIB - 1) / KIB);
    int cpus = Math.max(1, vm.processorCount());
    boolean uefiFirmware = vm.uefi() && boot.isEmpty(); // a host kernel needs none
    StringBuilder xml = new StringBuilder();
    xml.append("<domain type='").append(domainType).append("'>\n")
        .append("  <name>").append(vm.domainName()).append("</name>\n")
        .append("  <uuid>").append(vm.id()).append("</uuid>\n")
        .append("  <title>").append(escape(vm.name().replace('\n', ' '))).append("</title>\n")
        .append("  <metadata><fb:vm xmlns:fb='").append(NAMESPACE).append("'>")
        .append(escape(vm.toJson())).append("</fb:vm></metadata>\n")
        .append("  <memory unit='KiB'>").append(memoryKib).append("</memory>\n")
        .append("  <vcpu>").append(cpus).append("</vcpu>\n")
        // libvirt picks the UEFI firmware (OVMF) from the descriptors QEMU installs, and keeps
        // the VM's own variable store (its boot entries) from start to start. A host kernel
        // booted instead of the VM's disks needs no firmware of the VM's.
        .append(uefiFirmware && vm.firmware() == null ? "  <os firmware='efi'>\n" : "  <os>\n")
        .append("    <type arch='x86_64' machine='pc'>hvm</type>\n");
    if (uefiFirmware && vm.firmware() != null) {
      // The VM's own variable store, with the boot entry Failback wrote, and its firmware.
      xml.append("    <loader readonly='yes' type='pflash'>")
          .append(escape(vm.firmware().code())).append("</loader>\n    <nvram>")
          .append(escape(vm.firmware().vars())).append("</nvram>\n");
    }
    if (boot.isPresent()) {
      xml.append("    <kernel>").append(escape(boot.get().kernel().toString()))
          .append("</kernel>\n    <initrd>").append(escape(boot.get().initrd().toString()))
          .append("</initrd>\n    <cmdline>").append(escape(boot.get().commandLine()))
          .append("</cmdline>\n");
    } else {
      xml.append("    <boot dev='hd'/>\n");
    }
    xml.append("  </os>\n").append(featuresAndClock(vm, domainType))
        .append("  <on_poweroff>destroy</on_poweroff>\n")
        // A directly booted guest's command line was for one boot: its reboot is a power-off.
        .append("  <on_reboot>").append(boot.isPresent() ? "destroy" : "restart")
        .append("</on_reboot>\n  <on_crash>destroy</on_crash>\n  <devices>\n");
    // SATA disks go on the AHCI controller libvirt adds for them (six to a controller).
    boolean virtio = vm.devices() == CloudDevices.VIRTIO;
    for (int i = 0; i < vm.disks().size(); i++) {
      xml.append("    <disk type='file' device='disk'>")
          .append("<driver name='qemu' type='qcow2' discard='unmap'/>")
          .append("<source file='").append(escape(vm.disks().get(i).file())).append("'/>")
          .append("<target dev='").append(target(vm.devices(), i))
          .append("' bus='").append(virtio ? "virtio" : "sata").append("'/>")
          .append("</disk>\n");
    }
    for (int i = 0; i < vm.nics().size(); i++) {
      KvmVmRecord.Nic nic = vm.nics().get(i);
      if (nic.network() != null && !networksDown.contains(nic.network())) {
        xml.append("    <interface type='network'><mac address='").append(mac(vm.id(), i))
            .append("'/><source network='").append(escape(nic.network()))
            .append("'/><model type='").append(virtio ? "virtio" : "e1000e")
            .append("'/></interface>\n");
      }
    }
    xml.append("    <serial type='file'><source path='").append(escape(consoleLog.toString()))
        .append("'/><target port='0'/></serial>\n")
        .append("  </devices>\n</domain>\n");
    return xml.toString();
  }

  /**
   * The target name of disk {@code index} of a VM with {@code devices}: what its checkpoints
   * and backups name the disk by, which changes with the devices (libvirt names SATA disks
   * sd*, virtio ones vd*).
   *
   * <p>The letters count as libvirt's virDiskNameToIndex reads them, with no zero digit: z is
   * followed by aa, zz by aaa (one letter stopped at 26 disks, and a Hyper-V VM has up to 260).
   */
  static String target(CloudDevices devices, int index) {
    if (index < 0) {
      throw new IllegalArgumentException("disk index " + index);
    }
    StringBuilder letters = new StringBuilder();
    for (int rest = index; rest >= 0; rest = rest / 26 - 1) {
      letters.insert(0, (char) ('a' + rest % 26));
    }
    return (devices == CloudDevices.VIRTIO ? "vd" : "sd") + letters;
  }

  /**
   * What a Windows guest expects of its machine, as virt-install (libosinfo) defines a Windows
   * domain. Its real-time clock in local time: Hyper-V gives it local time and Windows keeps it
   * so, in UTC the copy's clock would be off by the host's UTC offset. Missed RTC ticks caught
   * up and no HPET, as Windows counts time. With hardware KVM, Hyper-V's enlightenments: relaxed
   * timing (no watchdog bug check when a vCPU waits for the host), the virtual APIC, spinlock
   * retries and the reference clock; without them Windows runs slower (virt-install leaves them
   * out for Windows 7 and 2008 R2 under UEFI, which a generation 2 VM never runs).
   *
   * <p>Under TCG they would do nothing: libvirt 9.0 and QEMU 7.2 accept them (QEMU got {@code
   * -cpu qemu64,hv-time=on,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff}), but QEMU fills
   * Hyper-V's CPUID leaves only for KVM, so the guest sees no Hyper-V. Checked 2026-12-07 with
   * {@code virsh -c 'qemu:///embed?root=DIR'}: define and start of a domain type 'qemu' with
   * them, booting the tiny guest; its kernel logged no "Hypervisor detected". Other guests keep
   * libvirt's default, a UTC clock.
   */
  private static String featuresAndClock(KvmVmRecord vm, String domainType) {
    if (vm.guestFamily() != GuestFamily.WINDOWS) {
      return "  <features><acpi/><apic/></features>\n";
    }
    boolean kvm = domainType.equals("kvm");
    return "  <features><acpi/><apic/>"
        + (kvm ? "<hyperv mode='custom'><relaxed state='on'/><vapic state='on'/>"
            + "<spinlocks state='on' retries='8191'/></hyperv>" : "")
        + "</features>\n  <clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/>"
        + "<timer name='pit' tickpolicy='delay'/><timer name='hpet' present='no'/>"
        + (kvm ? "<timer name='hypervclock' present='yes'/>" : "") + "</clock>\n";
  }

  /**
   * NIC {@code index}'s MAC address, the same at every definition of the domain (each start
   * redefines it): a guest's DHCP lease and its network configuration survive a restart. In
   * libvirt's own range (52:54:00), the rest from the VM's id, as random as libvirt's own
   * choice. Not the on-prem VM's: that one may still run on a network stretched to the cloud.
   */
  static String mac(String vmId, int index) {
    byte[] hash = Hashing.sha256().hashString(vmId + "/nic/" + index, StandardCharsets.UTF_8)
        .asBytes();
    return String.format(Locale.ROOT, "52:54:00:%02x:%02x:%02x", hash[0], hash[1],
        hash[2]);
  }

  /** The Failback record in a domain's XML, or empty for a domain that is not ours. */
  static Optional<KvmVmRecord> record(String domainXml) throws IOException {
    NodeList nodes = parse(domainXml, "a domain's").getElementsByTagNameNS(NAMESPACE, "vm");
    if (nodes.getLength() == 0) {
      return Optional.empty();
    }
    return KvmVmRecord.fromJson(nodes.item(0).getTextContent());
  }

  /** Parses XML libvirt wrote ({@code what}: whose, for the error), without DTDs. */
  static Document parse(String xml, String what) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    } catch (ParserConfigurationException | SAXException e) {
      throw new IOException("cannot parse " + what + " XML: " + e.getMessage(), e);
    }
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }
}
