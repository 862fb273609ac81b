package io.failback.agent.grpc;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.failback.proto.v1.CommandResult;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Slow commands (disk samples, VMs made, drills, rollbacks), one at a time off the control
 * stream's thread, so heartbeats and probes go on; whatever happens, the controller gets an
 * answer (it would otherwise wait out its command timeout, not knowing what was done).
 */
final class BackgroundCommands {
  /** A command's work; an exception becomes the command's error. */
  interface Action {
    void run() throws IOException;
  }

  private final ExecutorService background = Executors.newSingleThreadExecutor(
      new ThreadFactoryBuilder().setNameFormat("agent-commands").setDaemon(true).build());
  private final Consumer<CommandResult> deliver;

  BackgroundCommands(Consumer<CommandResult> deliver) {
    this.deliver = deliver;
  }

  /** Runs {@code action}, then delivers {@code result}, its error prefixed by {@code failure}. */
  void run(CommandResult.Builder result, String failure, Action action) {
    try {
      background.execute(() -> {
        try {
          action.run();
        } catch (IOException | RuntimeException e) {
          result.setError(failure + ": " + e.getMessage());
        }
        deliver.accept(result.build());
      });
    } catch (RejectedExecutionException stopped) {
      deliver.accept(result.setError(failure + ": agent stopping").build());
    }
  }

  /** Interrupts the running command; those not started are answered by no one. */
  void shutdownNow() {
    background.shutdownNow();
  }
}
