package io.failback.certs;

import java.util.Locale;

/**
 * What a certificate holder is allowed to be: the controller, an agent, an operator, or a
 * read-only operator who may list, get and watch but not act.
 */
public enum Role {
  CONTROLLER("controller"),
  AGENT("agent"),
  OPERATOR("operator"),
  OPERATOR_READONLY("operator-readonly"),
  /** Drives the simulated cloud's guests (CloudSimulationService), nothing else. */
  SIMULATOR("simulator");

  private final String pathSegment;

  Role(String pathSegment) {
    this.pathSegment = pathSegment;
  }

  /** The first path segment of this role's SPIFFE ids, e.g. "agent". */
  public String pathSegment() {
    return pathSegment;
  }

  /** Parses a path segment such as "agent", ignoring case. */
  public static Role fromPathSegment(String segment) {
    for (Role role : values()) {
      if (role.pathSegment.equals(segment.toLowerCase(Locale.ROOT))) {
        return role;
      }
    }
    throw new IllegalArgumentException(
        "unknown role \"" + segment + "\"; expected controller, agent, operator,"
            + " operator-readonly or simulator");
  }
}
