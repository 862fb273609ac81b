package io.failback.certs;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** The options shared by {@code sign} and {@code issue}: which CA, and what identity to certify. */
final class IdentityOptions {
  @Option(names = "--ca-dir", required = true, paramLabel = "DIR", description = "CA directory.")
  Path caDir;

  @Option(
      names = "--role",
      required = true,
      paramLabel = "ROLE",
      converter = RoleConverter.class,
      description = "controller, agent, operator, operator-readonly (may list, get and"
          + " watch, not act) or simulator (drives the simulated cloud's guests, nothing else).")
  Role role;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Host name (agent) or operator name; not part of the controller's identity.")
  String name;

  @Option(
      names = "--dns",
      paramLabel = "DNS",
      description = "DNS name the controller is reached by (repeatable; controller only).")
  List<String> dns;

  @Option(
      names = "--ip",
      paramLabel = "IP",
      description = "IP address the controller is reached by (repeatable; controller only).")
  List<String> ips;

  @Option(
      names = "--days",
      paramLabel = "DAYS",
      defaultValue = "825",
      description = "Validity in days (default: ${DEFAULT-VALUE}).")
  int days;

  /** Checks what picocli cannot and returns the normalized name used for file names. */
  String check() {
    Names.check(days > 0, "--days must be positive, got %s", days);
    if (role == Role.CONTROLLER) {
      Names.check(
          !dns().isEmpty() || !ips().isEmpty(),
          "the controller needs at least one --dns or --ip: clients verify the address they dial");
      return name == null ? role.pathSegment() : Names.name("--name", name);
    }
    Names.check(name != null, "--name is required for role %s", role.pathSegment());
    Names.check(
        dns().isEmpty() && ips().isEmpty(),
        "--dns and --ip are for the controller only; %s certificates carry only their SPIFFE id",
        role.pathSegment());
    return Names.name(role.pathSegment() + " name", name);
  }

  List<String> dns() {
    return dns == null ? List.of() : dns;
  }

  List<String> ips() {
    return ips == null ? List.of() : ips;
  }

  Duration validity() {
    return Duration.ofDays(days);
  }
}
