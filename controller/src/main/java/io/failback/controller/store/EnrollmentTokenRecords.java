package io.failback.controller.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
    store.inTransaction("Recording an enrollment token for host " + host, tx -> {
      try (PreparedStatement insert = tx.prepareStatement("INSERT INTO enrollment_tokens"
          + " (token_hash, host_name, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?)")) {
        insert.setString(1, tokenHash);
        insert.setString(2, host.toLowerCase(Locale.ROOT));
        insert.setLong(3, createdAt.toEpochMilli());
        insert.setLong(4, expiresAt.toEpochMilli());
        insert.setString(5, createdBy);
        insert.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Marks the token used if it is unused and unexpired at {@code now}, in one statement so that
   * two agents racing with one token cannot both win.
   *
   * @return the token's host, or empty if it is unknown, used or expired
   */
  public Optional<String> redeem(String tokenHash, Instant now) throws StoreException {
    return store.inTransaction("Redeeming an enrollment token", tx -> {
      try (PreparedStatement update = tx.prepareStatement("UPDATE enrollment_tokens SET"
          + " used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")) {
        update.setLong(1, now.toEpochMilli());
        update.setString(2, tokenHash);
        update.setLong(3, now.toEpochMilli());
        if (update.executeUpdate() != 1) {
          return Optional.<String>empty();
        }
      }
      try (PreparedStatement select = tx.prepareStatement(
          "SELECT host_name FROM enrollment_tokens WHERE token_hash = ?")) {
        select.setString(1, tokenHash);
        try (ResultSet rows = select.executeQuery()) {
          return rows.next() ? Optional.of(rows.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }
}
