package io.failback.agent.grpc;

import io.failback.agent.encryption.EncryptionCertificateStore;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.proto.v1.HostInventory;
import java.io.IOException;
import java.util.Optional;

/**
 * The host's inventory as the agent reports it, and whether it changed since the last report;
 * used on the control session's thread only.
 */
final class InventoryReports {
  private final GuardedHypervisor driver;
  private final String agentVersion;
  private final EncryptionCertificateStore encryption;
  private HostInventory reported;

  InventoryReports(GuardedHypervisor driver, String agentVersion,
      EncryptionCertificateStore encryption) {
    this.driver = driver;
    this.agentVersion = agentVersion;
    this.encryption = encryption;
  }

  HostInventory read() throws IOException {
    // The hypervisor knows the host; which encryption keys the agent holds only the agent does.
    return driver.inventory().toBuilder().setAgentVersion(agentVersion)
        .clearEncryptionCertificates().addAllEncryptionCertificates(encryption.inventory())
        .build();
  }

  /** Remembers {@code inventory} as the one the controller was last told. */
  void reported(HostInventory inventory) {
    reported = comparable(inventory);
  }

  /**
   * The host's inventory when it changed since the last report (a VM added, deleted, started or
   * stopped, a switch, an inconsistent mark), recorded as reported. Free space alone changes
   * all the time and does not count; the controller asks for a fresh inventory before it
   * relies on it.
   */
  Optional<HostInventory> changed() throws IOException {
    HostInventory now = read();
    if (comparable(now).equals(reported)) {
      return Optional.empty();
    }
    reported(now);
    return Optional.of(now);
  }

  private static HostInventory comparable(HostInventory inventory) {
    HostInventory.Builder builder = inventory.toBuilder();
    builder.getStoragePathsBuilderList().forEach(p -> p.clearFreeBytes());
    return builder.build();
  }
}
