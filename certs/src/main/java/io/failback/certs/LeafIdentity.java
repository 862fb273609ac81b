package io.failback.certs;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/** The identity the CA puts into a leaf certificate, decided from the CA's own arguments. */
record LeafIdentity(
    Role role, String name, String spiffeId, List<String> dnsNames, List<InetAddress> ips) {

  /** Validates and normalizes an identity; DNS names and IP addresses are for the controller. */
  static LeafIdentity of(
      String trustDomain, Role role, String name, List<String> dnsNames, List<String> ipAddresses) {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(dnsNames, "dnsNames");
    Objects.requireNonNull(ipAddresses, "ipAddresses");
    boolean controller = role == Role.CONTROLLER;
    Names.check(
        controller || (dnsNames.isEmpty() && ipAddresses.isEmpty()),
        "%s certificates carry only their SPIFFE id; DNS names and IP addresses are allowed"
            + " for the controller only",
        role.pathSegment());
    String checkedName =
        controller ? role.pathSegment() : Names.name(role.pathSegment() + " name", name);
    Set<String> dns = new LinkedHashSet<>();
    dnsNames.forEach(d -> dns.add(Names.dnsName(d)));
    Set<InetAddress> ips = new LinkedHashSet<>();
    ipAddresses.forEach(ip -> ips.add(Names.ipAddress(ip)));
    return new LeafIdentity(
        role,
        checkedName,
        Identities.spiffeId(trustDomain, role, checkedName),
        List.copyOf(new ArrayList<>(dns)),
        List.copyOf(new ArrayList<>(ips)));
  }

  /** The only extended key usage: the controller serves, everyone else is a client. */
  KeyPurposeId keyPurpose() {
    return role == Role.CONTROLLER ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth;
  }
}
