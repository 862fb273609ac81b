package io.failback.controller.grpc;

import io.failback.controller.agents.boundary.AgentInputException;
import io.grpc.Status;

/** The status an agent gets for input refused at the trust boundary. */
final class AgentStatus {
  private AgentStatus() {}

  static Status of(AgentInputException e) {
    Status status = e.kind() == AgentInputException.Kind.TOO_LARGE
        ? Status.RESOURCE_EXHAUSTED : Status.INVALID_ARGUMENT;
    return status.withDescription(e.getMessage());
  }
}
