package io.failback.controller.agents;

import io.failback.proto.v1.ControllerMessage;
import java.time.Instant;
import java.util.Optional;

/** The controller's end of one agent's control stream. */
public interface AgentConnection {
  /** Queues a message to the agent; dropped if the stream has ended. */
  void send(ControllerMessage message);

  /** Ends the stream; the agent sees the reason and reconnects. */
  void close(String reason);

  /** When the certificate the agent presented on this connection expires, if known. */
  default Optional<Instant> certificateNotAfter() {
    return Optional.empty();
  }

  /**
   * The block sync protocol revision the agent said it speaks when it registered on this
   * stream ({@code Register.sync_revision}); 0 for an agent from before revisions.
   */
  default int syncRevision() {
    return 0;
  }

  /** Whether the agent answers round-trip probes ({@code Register.answers_round_trips}). */
  default boolean answersRoundTrips() {
    return false;
  }
}
