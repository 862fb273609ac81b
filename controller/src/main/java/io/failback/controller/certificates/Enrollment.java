package io.failback.controller.certificates;

import com.google.common.hash.Hashing;
import io.failback.certs.CertificateAuthority;
import io.failback.certs.Role;
import io.failback.controller.agents.Actor;
import io.failback.controller.agents.HostAdmin;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.regex.Pattern;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Certificates issued by the controller: an agent's first one for a one-time enrollment token,
 * and renewals of the callers' own. The controller signs with the CA it was given
 * ({@code --ca-dir}); keys never travel, only CSRs.
 *
 * <p>Tokens are 256 random bits, kept only as their SHA-256, bound to one host, redeemable once
 * before they expire. Every issue is audited.
 */
public final class Enrollment {
  private static final Logger log = LoggerFactory.getLogger(Enrollment.class);
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");
  static final Duration DEFAULT_TTL = Duration.ofHours(1);
  static final Duration MAX_TTL = Duration.ofDays(7);

  private final ControllerStore store;
  private final HostAdmin hosts;
  private final Optional<CertificateAuthority> ca;
  private final Duration lifetime;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final RenewalPace renewals;
  private final EnrollPace enrolls;

  /**
   * @param ca the issuing CA; empty when the controller does not issue (then every call here
   *     is refused with {@link CertificateException.Kind#NOT_ISSUING})
   * @param lifetime how long issued certificates are valid
   */
  public Enrollment(ControllerStore store, HostAdmin hosts, Optional<CertificateAuthority> ca,
      Duration lifetime, Clock clock) {
    this(store, hosts, ca, lifetime, clock, System::nanoTime);
  }

  /** {@code nanos} paces renewals: monotonic, as the wall clock is not. */
  Enrollment(ControllerStore store, HostAdmin hosts, Optional<CertificateAuthority> ca,
      Duration lifetime, Clock clock, LongSupplier nanos) {
    this.renewals = new RenewalPace(nanos, lifetime);
    this.enrolls = new EnrollPace(nanos);
    this.store = store;
    this.hosts = hosts;
    this.ca = ca;
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /** A new token for {@code host}; only its hash is stored. */
  public Token createToken(String host, Duration ttl, Actor actor)
      throws CertificateException, StoreException {
    CertificateAuthority issuer = issuer();
    String name = checkHost(host);
    Duration valid = ttl.isZero() ? DEFAULT_TTL : ttl;
    if (valid.isNegative() || valid.compareTo(MAX_TTL) > 0) {
      throw new CertificateException(CertificateException.Kind.INVALID, "ttl must be positive"
          + " and at most " + MAX_TTL.toDays() + " days");
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String token = "fbe_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Instant now = clock.instant();
    store.enrollmentTokenRecords().insert(hash(token), name, now, now.plus(valid),
        actor.identity());
    store.auditRecords().append(now, actor.identity(), actor.fingerprint(),
        "enrollment.token", "host/" + name, "valid until " + now.plus(valid) + " (CA "
            + issuer.trustDomain() + ")");
    return new Token(token, name, now.plus(valid));
  }

  /** What {@link #createToken} made: the token (shown once), its host and expiry. */
  public record Token(String token, String host, Instant expiresAt) {}

  /** An issued certificate and the CA certificate to trust. */
  public record Issued(String host, X509Certificate certificate, List<X509Certificate> trust) {}

  /**
   * Redeems {@code token} (once) for an agent certificate of its host, for the CSR's key;
   * refused (TOO_OFTEN) before the token is looked at once {@code from}, the caller's network
   * address, made more refused tries than {@link EnrollPace} allows.
   */
  public Issued enroll(String token, byte[] csrDer, String from)
      throws CertificateException, StoreException {
    CertificateAuthority issuer = issuer();
    enrolls.check(from);
    PKCS10CertificationRequest csr = parse(csrDer);
    Optional<String> host = token.isEmpty() || token.length() > 128 ? Optional.empty()
        : store.enrollmentTokenRecords().redeem(hash(token), clock.instant());
    if (host.isEmpty()) {
      enrolls.refused(from);
      throw denied();
    }
    if (hosts.fenceOf(host.get()).isPresent()) {
      throw new CertificateException(CertificateException.Kind.DENIED, "host " + host.get()
          + " is fenced; an operator lifts the fence first");
    }
    X509Certificate cert = sign(issuer, csr, Role.AGENT, host.get());
    audit("controller", "", "certificate.enroll", "host/" + host.get(), cert);
    log.info("host " + host.get() + " enrolled: certificate valid until " + cert.getNotAfter()
        .toInstant());
    return new Issued(host.get(), cert, List.of(issuer.certificate()));
  }

  /**
   * A new certificate for the caller's own identity ({@code role}, {@code name}); refused
   * (TOO_OFTEN) when it renews faster than {@link RenewalPace} allows, checked first.
   */
  public Issued renew(Role role, String name, byte[] csrDer, Actor actor)
      throws CertificateException, StoreException {
    CertificateAuthority issuer = issuer();
    String target = (role == Role.AGENT ? "host/" : "operator/") + name;
    renewals.take(target);
    PKCS10CertificationRequest csr = parse(csrDer);
    X509Certificate cert = sign(issuer, csr, role, name);
    audit(actor.identity(), actor.fingerprint(), "certificate.renew", target, cert);
    return new Issued(name, cert, List.of(issuer.certificate()));
  }

  private X509Certificate sign(CertificateAuthority issuer, PKCS10CertificationRequest csr,
      Role role, String name) throws CertificateException {
    try {
      return issuer.sign(csr, role, name, List.of(), List.of(), lifetime);
    } catch (IllegalArgumentException e) {
      throw new CertificateException(CertificateException.Kind.INVALID, "CSR refused: "
          + e.getMessage());
    } catch (IOException e) {
      throw new CertificateException(CertificateException.Kind.INVALID, "cannot sign: "
          + e.getMessage());
    }
  }

  private void audit(String actor, String fingerprint, String action, String target,
      X509Certificate cert) throws StoreException {
    store.auditRecords().append(clock.instant(), actor, fingerprint, action, target,
        "serial " + cert.getSerialNumber().toString(16) + ", valid until "
            + cert.getNotAfter().toInstant());
  }

  private CertificateAuthority issuer() throws CertificateException {
    return ca.orElseThrow(() -> new CertificateException(
        CertificateException.Kind.NOT_ISSUING, "this controller issues no certificates;"
        + " start it with --ca-dir (the CA it signs with) to enroll and renew"));
  }

  private static PKCS10CertificationRequest parse(byte[] der) throws CertificateException {
    if (der.length == 0 || der.length > 16 * 1024) {
      throw new CertificateException(CertificateException.Kind.INVALID,
          "csr_der must be a PKCS#10 request of at most 16 KiB");
    }
    try {
      return new PKCS10CertificationRequest(der);
    } catch (IOException | RuntimeException e) {
      throw new CertificateException(CertificateException.Kind.INVALID,
          "csr_der is not a PKCS#10 certification request");
    }
  }

  private static String checkHost(String host) throws CertificateException {
    String name = host.toLowerCase(Locale.ROOT);
    if (!HOST.matcher(name).matches()) {
      throw new CertificateException(CertificateException.Kind.INVALID,
          "host_name must be 1 to 63 letters, digits, '.', '_' or '-'");
    }
    return name;
  }

  private static CertificateException denied() {
    // One answer for unknown, used and expired: a guesser learns nothing.
    return new CertificateException(CertificateException.Kind.DENIED, "enrollment token"
        + " refused: unknown, already used or expired; ask an operator for a new one"
        + " (failback enroll-token HOST)");
  }

  static String hash(String token) {
    return Hashing.sha256().hashString(token, StandardCharsets.UTF_8).toString();
  }
}
