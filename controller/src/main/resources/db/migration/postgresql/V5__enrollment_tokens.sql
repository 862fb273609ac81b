-- enrollment tokens
-- One-time tokens an agent trades for its first certificate. Only the SHA-256 of
-- a token is kept: the database never holds a usable token.
CREATE TABLE enrollment_tokens (
  token_hash TEXT   NOT NULL PRIMARY KEY,
  host_name  TEXT   NOT NULL CHECK (host_name = lower(host_name)),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_by TEXT   NOT NULL,
  -- Set when redeemed; a used token is refused.
  used_at    BIGINT
);
