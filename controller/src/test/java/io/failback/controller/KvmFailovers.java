package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.controller.cloud.kvm.KvmTestCloud;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.JobState;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/** What the KVM cloud's failover tests share: their fixture, and a cloud VM's console. */
final class KvmFailovers {
  private KvmFailovers() {}

  /**
   * A fixture failing over to {@code kvm} whose on-prem VM has a test guest's memory and CPUs
   * and what {@code prepare} gives it; its cloud VMs are removed before the controller closes.
   */
  static LifecycleFixture fixture(Path dir, GrpcCleanup cleanup, CloudChoice kvm,
      LifecycleFixture.HostPreparation prepare) throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withCloud(dir, cleanup, kvm, host -> {
      KvmLifecycleTest.smallVm(host);
      prepare.prepare(host);
    });
    // Last registered, first closed: no VM outlives the test.
    cleanup.register(() -> KvmTestCloud.removeAll(fixture.controller.server.cloud()));
    return fixture;
  }

  /**
   * A fixture on {@code kvm} whose VM's host reports Windows, protected: its cloud copy has
   * emulated devices (SATA disks), as every Windows guest's gets.
   */
  static LifecycleFixture protectedWindowsVm(Path dir, GrpcCleanup cleanup, CloudChoice kvm)
      throws Exception {
    LifecycleFixture fixture = fixture(dir, cleanup, kvm, host -> SimulatedHostSeeder.guestOs(
        host, "app-01", "Windows Server 2022 Datacenter"));
    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertEquals(CloudDevices.EMULATED, fixture.item().getCloudDevices());
    return fixture;
  }

  /** The serial console of cloud VM {@code cloudVm} of {@code kvm}, followed until the end. */
  static GuestConsole console(Path dir, GrpcCleanup cleanup, String cloudVm) {
    AtomicBoolean stop = new AtomicBoolean();
    cleanup.register(() -> stop.set(true));
    return GuestConsole.followFile(dir.resolve("kvm/vms").resolve(cloudVm)
        .resolve("console.log"), 0, stop);
  }
}
