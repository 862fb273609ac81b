package io.failback.controller;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.controller.cloud.kvm.KvmTestCloud;
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

  /** The serial console of cloud VM {@code cloudVm} of {@code kvm}, followed until the end. */
  static GuestConsole console(Path dir, GrpcCleanup cleanup, String cloudVm) {
    AtomicBoolean stop = new AtomicBoolean();
    cleanup.register(() -> stop.set(true));
    return GuestConsole.followFile(dir.resolve("kvm/vms").resolve(cloudVm)
        .resolve("console.log"), 0, stop);
  }
}
