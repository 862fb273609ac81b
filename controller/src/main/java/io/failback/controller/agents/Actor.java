package io.failback.controller.agents;

/**
 * Who asked for a change, as the audit trail records it.
 *
 * @param identity the caller's SPIFFE id
 * @param fingerprint the SHA-256 of the caller's certificate, lower-case hex
 */
public record Actor(String identity, String fingerprint) {}
