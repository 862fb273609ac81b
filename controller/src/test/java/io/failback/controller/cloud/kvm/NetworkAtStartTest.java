package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Network;

/**
 * A cloud VM whose NIC's libvirt network went down (or away) after the VM was made still
 * starts, with that NIC left out of this start and said, where libvirt would refuse the start
 * ("network 'LAN' is not active", seen from outside through a libvirt daemon: the failover
 * failed). Against libvirt's test driver, which has networks and defines domains without
 * running them.
 */
class NetworkAtStartTest {
  private static final String VM_ID = "6a1f0d2e-3b4c-4d5e-8f90-a1b2c3d4e5f6";

  @TempDir Path dir;
  private Connect connect;

  @BeforeEach
  void networks() throws Exception {
    connect = new Connect("test:///default");
    connect.networkCreateXML(network("fb-up", 91));
    connect.networkDefineXML(network("fb-down", 92));
  }

  @AfterEach
  void removeThem() throws Exception {
    for (String name : List.of("fb-up", "fb-down")) {
      Network network = connect.networkLookupByName(name);
      // A transient network (fb-up) is gone once destroyed.
      boolean persistent = network.isPersistent() == 1;
      if (network.isActive() == 1) {
        network.destroy();
      }
      if (persistent) {
        network.undefine();
      }
    }
    for (String name : connect.listDefinedDomains()) {
      if (name.equals("failback-" + VM_ID)) {
        connect.domainLookupByName(name).undefine();
      }
    }
    connect.close();
  }

  @Test
  void aNicWhoseNetworkIsDownOrGoneIsLeftOutOfThisStartAndSaid() throws Exception {
    KvmVmFactory factory = new KvmVmFactory(connect, KvmCloudOptions.of("test:///default", dir),
        Clock.systemUTC());
    KvmVmRecord record = new KvmVmRecord(VM_ID, "web-01", "onprem-1", "2026-12-07T08:00:00Z",
        List.of(), List.of(new KvmVmRecord.Nic("eth0", "fb-up", "fb-up"),
            new KvmVmRecord.Nic("eth1", "fb-down", "fb-down"),
            new KvmVmRecord.Nic("eth2", "fb-gone", "fb-gone"),
            new KvmVmRecord.Nic("eth3", "Backend", null)),
        256L << 20, 1, List.of(), dir.toString(), false);

    KvmVmFactory.StartDefinition start = factory.redefineForStart(record, Optional.empty());

    assertEquals(List.of(
        "network adapter 'eth1' left unplugged for this start: libvirt network 'fb-down' is not"
            + " active",
        "network adapter 'eth2' left unplugged for this start: libvirt network 'fb-gone' no"
            + " longer exists"), start.notes());
    String xml = start.domain().getXMLDesc(0);
    assertTrue(xml.contains("<source network='fb-up'"), xml);
    assertFalse(xml.contains("fb-down'") || xml.contains("fb-gone'"), xml);
    assertEquals(Optional.of(record), DomainXml.record(xml),
        "the record keeps them plugged: the next start puts them back");

    connect.networkLookupByName("fb-down").create();
    Domain again = factory.redefineForStart(record, Optional.empty()).domain();
    assertTrue(again.getXMLDesc(0).contains("<source network='fb-down'"),
        "plugged again once its network is active");
  }

  private static String network(String name, int subnet) {
    return "<network><name>" + name + "</name><bridge name='fbt" + subnet + "'/>"
        + "<ip address='192.168." + subnet + ".1' netmask='255.255.255.0'/></network>";
  }
}
