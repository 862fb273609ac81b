package io.failback.controller.agents;

import io.failback.proto.v1.CommandResult;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Commands sent to hosts that still wait for an answer, by command id. Thread-safe.
 *
 * <p>An entry lives exactly as long as its future is incomplete: answered, failed, or given up
 * by its caller (who cancels the future), it goes. Before, a command whose host never answered
 * (a silent host, one that restarted, a caller that timed out) stayed for the controller's
 * life, and a late answer to one was taken for an answer to a command never sent.
 */
final class PendingCommands {
  /**
   * A command sent to {@code host}, which only that host may answer. {@code warmUp}: a warm-up
   * session, which the controller ends by cancelling it (the transfer it warmed starts), so its
   * error is routine.
   */
  record Pending(String host, CompletableFuture<CommandResult> result, boolean warmUp) {}

  private final ConcurrentMap<String, Pending> byId = new ConcurrentHashMap<>();

  /** The future of a command just sent to {@code host}; cancel it to stop waiting. */
  CompletableFuture<CommandResult> add(String commandId, String host, boolean warmUp) {
    Pending pending = new Pending(host, new CompletableFuture<>(), warmUp);
    if (byId.putIfAbsent(commandId, pending) != null) {
      throw new IllegalStateException("command id " + commandId + " is waiting already");
    }
    pending.result().whenComplete((result, failure) -> byId.remove(commandId, pending));
    return pending.result();
  }

  /** The command still waiting under {@code commandId}, whichever host it went to. */
  Optional<Pending> waiting(String commandId) {
    return Optional.ofNullable(byId.get(commandId));
  }

  /**
   * Fails every command waiting for {@code host}, whose agent restarted (another instance id):
   * a new agent process never answers what its predecessor was sent, so they fail now, saying
   * so, instead of waiting out their timeout.
   */
  void failAllOfRestarted(String host) {
    byId.forEach((id, pending) -> {
      if (pending.host().equals(host)) {
        pending.result().completeExceptionally(new IllegalStateException("the agent of host "
            + host + " restarted before answering command " + id + "; what it did of it is"
            + " unknown"));
      }
    });
  }

  /** How many commands wait for an answer. */
  int size() {
    return byId.size();
  }
}
