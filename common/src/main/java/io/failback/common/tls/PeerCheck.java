package io.failback.common.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/** A check of a TLS peer's certificate chain beyond what PKIX path validation covers. */
@FunctionalInterface
public interface PeerCheck {
  /** Returns null when {@code chain} (leaf first) passes, otherwise why it does not. */
  String problemWith(List<X509Certificate> chain);
}
