package io.failback.controller.lifecycle;

import io.failback.controller.sync.JobEncryption;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.ProtectedItem;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The encryption certificate a failback seals its block payloads for (DESIGN.md, "Data
 * encryption"), checked against the target agent's inventory before anything starts.
 */
final class EncryptionChoice {
  private final LifecycleContext context;

  EncryptionChoice(LifecycleContext context) {
    this.context = context;
  }

  /**
   * The certificate named by {@code thumbprint} on {@code host}, or null when the item has no
   * data encryption and none was named.
   *
   * @throws InvalidArgumentException if the item has data encryption and no thumbprint was
   *     given; the message lists the thumbprints the host's agent can use
   * @throws LifecycleException if the host's agent holds no such certificate, or it is not
   *     usable (expired, not an encryption certificate)
   */
  EncryptionCertificate select(ProtectedItem item, String host, String thumbprint)
      throws InvalidArgumentException, LifecycleException {
    List<EncryptionCertificate> held = held(host);
    if (thumbprint.isEmpty()) {
      if (!item.getDataEncryption()) {
        return null;
      }
      throw new InvalidArgumentException("vm " + item.getVmName() + " has data encryption"
          + " enabled: encryption_certificate is required; " + usable(host));
    }
    EncryptionCertificate certificate = held.stream()
        .filter(c -> c.getThumbprint().equalsIgnoreCase(thumbprint)).findFirst().orElse(null);
    if (certificate == null) {
      throw new LifecycleException("the agent of host " + host + " holds no encryption"
          + " certificate with thumbprint " + thumbprint + "; " + usable(host));
    }
    try {
      JobEncryption.checkUsable(certificate, context.clock().instant());
    } catch (IllegalArgumentException e) {
      throw new LifecycleException("encryption certificate " + thumbprint + " of host " + host
          + " cannot be used: " + e.getMessage());
    }
    return certificate;
  }

  /** "usable on host X: a, b", or how to make one when there is none. */
  String usable(String host) throws LifecycleException {
    List<String> usable = held(host).stream().filter(this::usable)
        .map(EncryptionCertificate::getThumbprint).collect(Collectors.toList());
    return usable.isEmpty()
        ? "the agent of host " + host + " holds no usable encryption certificate (create one"
            + " on that host with failback-pki encryption-cert)"
        : "usable on host " + host + ": " + String.join(", ", usable);
  }

  private boolean usable(EncryptionCertificate certificate) {
    try {
      JobEncryption.checkUsable(certificate, context.clock().instant());
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private List<EncryptionCertificate> held(String host) throws LifecycleException {
    return context.hosts().inventory(host).map(HostInventory::getEncryptionCertificatesList)
        .orElse(List.of());
  }
}
