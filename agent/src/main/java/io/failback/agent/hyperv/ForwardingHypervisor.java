package io.failback.agent.hyperv;

import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.time.Instant;

/** A hypervisor driver that passes every call on; subclasses override the calls they change. */
public abstract class ForwardingHypervisor implements HypervisorDriver {
  private final HypervisorDriver inner;

  protected ForwardingHypervisor(HypervisorDriver inner) {
    this.inner = inner;
  }

  @Override
  public HostInventory inventory() throws IOException {
    return inner.inventory();
  }

  @Override
  public void stopVm(String vmId, boolean turnOff) throws IOException {
    inner.stopVm(vmId, turnOff);
  }

  @Override
  public void startVm(String vmId) throws IOException {
    inner.startVm(vmId);
  }

  @Override
  public VirtualMachine createVm(NewVm spec) throws IOException {
    return inner.createVm(spec);
  }

  @Override
  public void deleteVm(String vmId) throws IOException {
    inner.deleteVm(vmId);
  }

  @Override
  public void checkDiskAccess(String vmId, String diskPath, boolean write) throws IOException {
    inner.checkDiskAccess(vmId, diskPath, write);
  }

  @Override
  public ReadPoint createReadPoint(String vmId) throws IOException {
    return inner.createReadPoint(vmId);
  }

  @Override
  public void discardReadPoint(String vmId, String readPointId) throws IOException {
    inner.discardReadPoint(vmId, readPointId);
  }

  @Override
  public void discardReadPointsSince(String vmId, Instant since) throws IOException {
    inner.discardReadPointsSince(vmId, since);
  }

  @Override
  public int destroyReferencePoints(String vmId) throws IOException {
    return inner.destroyReferencePoints(vmId);
  }
}
