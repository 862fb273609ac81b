package io.failback.certs;

import java.security.cert.CRLReason;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The CRL reasons {@code failback-pki revoke} offers, by their RFC 5280 names.
 *
 * <p>Failback's CRLs only grow, so {@code certificateHold} (undone later) and
 * {@code removeFromCRL} (delta CRLs) are not offered; neither is {@code cACompromise}, which
 * calls for a new CA, not a CRL entry.
 */
final class CrlReasons {
  static final List<CRLReason> OFFERED = List.of(CRLReason.UNSPECIFIED,
      CRLReason.KEY_COMPROMISE, CRLReason.AFFILIATION_CHANGED, CRLReason.SUPERSEDED,
      CRLReason.CESSATION_OF_OPERATION, CRLReason.PRIVILEGE_WITHDRAWN);

  private CrlReasons() {}

  /** The RFC 5280 name, e.g. {@code keyCompromise}. */
  static String name(CRLReason reason) {
    String[] words = reason.name().toLowerCase(Locale.ROOT).split("_");
    StringBuilder name = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      name.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return name.toString();
  }

  /** Parses an offered reason by its RFC 5280 name, ignoring case. */
  static CRLReason parse(String value) {
    for (CRLReason reason : OFFERED) {
      if (name(reason).equalsIgnoreCase(value)) {
        return reason;
      }
    }
    throw new IllegalArgumentException("unknown revocation reason \"" + value + "\"; expected "
        + OFFERED.stream().map(CrlReasons::name).collect(Collectors.joining(", ")));
  }

  /** Parses {@code --reason} for picocli. */
  static final class Converter implements ITypeConverter<CRLReason> {
    @Override
    public CRLReason convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
