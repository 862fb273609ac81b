package io.failback.controller.store;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** Enrollment tokens by hash: created by operators, redeemed once by an agent. */
public final class EnrollmentTokenRecords {
  private final ControllerStore store;

  EnrollmentTokenRecords(ControllerStore store) {
    this.store = store;
  }

  public void insert(String tokenHash, String host, Instant createdAt, Instant expiresAt,
      String createdBy) throws StoreException {
    store.inHandle("Recording an enrollment token for host " + host, handle ->
        handle.createUpdate("INSERT INTO enrollment_tokens (token_hash, host_name, created_at,"
                + " expires_at, created_by) VALUES (:hash, :host, :created, :expires, :by)")
            .bind("hash", tokenHash)
            .bind("host", host.toLowerCase(Locale.ROOT))
            .bind("created", createdAt.toEpochMilli())
            .bind("expires", expiresAt.toEpochMilli())
            .bind("by", createdBy)
            .execute());
  }

  /**
   * Marks the token used if it is unused and unexpired at {@code now}, in one statement so that
   * two agents racing with one token cannot both win.
   *
   * @return the token's host, or empty if it is unknown, used or expired
   */
  public Optional<String> redeem(String tokenHash, Instant now) throws StoreException {
    return store.inHandle("Redeeming an enrollment token", handle ->
        handle.createQuery("UPDATE enrollment_tokens SET used_at = :now WHERE token_hash = :hash"
                + " AND used_at IS NULL AND expires_at > :now RETURNING host_name")
            .bind("now", now.toEpochMilli())
            .bind("hash", tokenHash)
            .mapTo(String.class)
            .findOne());
  }
}
