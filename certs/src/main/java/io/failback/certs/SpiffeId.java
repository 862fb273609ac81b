package io.failback.certs;

import java.util.Objects;

/**
 * A Failback SPIFFE id, parsed only from the canonical form the CA writes.
 *
 * <p>Canonical means byte for byte what {@link Identities#spiffeId} produces: lower-case
 * {@code spiffe://}, a lower-case trust domain of DNS labels, then {@code /controller},
 * {@code /agent/<name>} or {@code /operator/<name>} with a name of 1-63 characters from
 * {@code a-z 0-9 . _ -} not starting with {@code .} or {@code -}. So there is never
 * percent-encoding, a dot or empty segment, a trailing slash, a query, a fragment, user info or a
 * port: an id that a URI parser would first have to decode or normalize names nobody.
 *
 * @param name the host or operator name; {@code controller} for the controller
 */
public record SpiffeId(String trustDomain, Role role, String name) {
  // Bounds what a hostile certificate can put into a log line or a status description.
  private static final int MAX_SHOWN = 80;

  public SpiffeId {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(name, "name");
  }

  /**
   * Parses {@code id}; throws IllegalArgumentException saying why it is not canonical.
   *
   * <p>The message quotes at most 80 characters of {@code id}, non-printable ones replaced.
   */
  public static SpiffeId parse(String id) {
    Objects.requireNonNull(id, "id");
    require(id.startsWith(Identities.SCHEME), id, "it does not start with spiffe://");
    String rest = id.substring(Identities.SCHEME.length());
    int slash = rest.indexOf('/');
    require(slash > 0, id, "it has no trust domain followed by a path");
    String trustDomain = rest.substring(0, slash);
    require(isValid(() -> Names.trustDomain(trustDomain)), id,
        "its trust domain is not lower-case DNS labels of a-z, 0-9 and '-'");
    String[] segments = rest.substring(slash + 1).split("/", -1);
    if (segments.length == 1 && segments[0].equals(Role.CONTROLLER.pathSegment())) {
      return new SpiffeId(trustDomain, Role.CONTROLLER, Role.CONTROLLER.pathSegment());
    }
    require(segments.length == 2, id,
        "its path is not /controller, /agent/<name>, /operator/<name>,"
            + " /operator-readonly/<name> or /simulator/<name>");
    Role role = roleOf(segments[0], id);
    String name = segments[1];
    require(isValid(() -> Names.name("name", name)) && name.equals(Names.name("name", name)), id,
        "its name is not 1-63 lower-case characters of a-z, 0-9, '.', '_' and '-' that does not"
            + " start with '.' or '-'");
    return new SpiffeId(trustDomain, role, name);
  }

  /** The canonical string form, {@code spiffe://<trust-domain>/<role>[/<name>]}. */
  @Override
  public String toString() {
    return Identities.spiffeId(trustDomain, role, name);
  }

  private static Role roleOf(String segment, String id) {
    for (Role role : new Role[] {Role.AGENT, Role.OPERATOR, Role.OPERATOR_READONLY,
        Role.SIMULATOR}) {
      if (role.pathSegment().equals(segment)) {
        return role;
      }
    }
    throw notCanonical(id, "its path is not /controller, /agent/<name>, /operator/<name>,"
            + " /operator-readonly/<name> or /simulator/<name>");
  }

  private static boolean isValid(Runnable check) {
    try {
      check.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void require(boolean ok, String id, String reason) {
    if (!ok) {
      throw notCanonical(id, reason);
    }
  }

  private static IllegalArgumentException notCanonical(String id, String reason) {
    return new IllegalArgumentException(
        "SPIFFE id '" + shown(id) + "' is not in canonical form: " + reason);
  }

  private static String shown(String id) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < id.length() && i < MAX_SHOWN; i++) {
      char c = id.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return id.length() > MAX_SHOWN ? out + "..." : out.toString();
  }
}
