package io.failback.controller.cloud.kvm;

import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.PowerState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/** The libvirt domains that are this KVM cloud's VMs: found by their Failback metadata. */
final class KvmDomains {
  /** A domain of ours and its record. */
  record Found(Domain domain, KvmVmRecord record) {}

  private final Connect connect;
  private final String cloud;

  KvmDomains(Connect connect, String cloud) {
    this.connect = connect;
    this.cloud = cloud;
  }

  List<Found> all() throws CloudException {
    List<Found> found = new ArrayList<>();
    try {
      for (int id : connect.listDomains()) {
        ours(connect.domainLookupByID(id)).ifPresent(found::add);
      }
      for (String name : connect.listDefinedDomains()) {
        ours(connect.domainLookupByName(name)).ifPresent(found::add);
      }
    } catch (LibvirtException e) {
      if (!isGone(e)) {
        throw CloudException.io(e, "cannot list libvirt domains");
      }
      return all(); // A domain went away between listing and looking it up: list again.
    }
    return found;
  }

  Optional<Found> find(String vmId) throws CloudException {
    try {
      UUID.fromString(vmId);
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // Not one of our ids, which are UUIDs: nothing to ask libvirt.
    }
    try {
      return ours(connect.domainLookupByUUIDString(vmId));
    } catch (LibvirtException e) {
      if (isGone(e)) {
        return Optional.empty();
      }
      throw CloudException.io(e, "cannot look up cloud VM %s in libvirt", vmId);
    }
  }

  Found require(String vmId) throws CloudException {
    return find(vmId).orElseThrow(() -> CloudException.notFound("no cloud VM %s", vmId));
  }

  /** RUNNING while QEMU runs the guest (also paused or shutting down), else OFF. */
  static PowerState state(Domain domain) throws LibvirtException {
    DomainState state = domain.getInfo().state;
    return state == DomainState.VIR_DOMAIN_SHUTOFF || state == DomainState.VIR_DOMAIN_CRASHED
        ? PowerState.OFF : PowerState.RUNNING;
  }

  private Optional<Found> ours(Domain domain) throws LibvirtException {
    try {
      return DomainXml.record(domain.getXMLDesc(0)).filter(r -> r.cloud().equals(cloud))
          .map(r -> new Found(domain, r));
    } catch (IOException e) {
      return Optional.empty(); // XML we cannot read is not XML we wrote.
    }
  }

  static boolean isGone(LibvirtException e) {
    return e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN;
  }
}
