package io.failback.controller.lifecycle;

import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs a job's sync with an agent so that losing the agent (killed, restarted, link cut) pauses
 * it instead of failing the job: the job says it waits for the agent, and once the agent is back
 * the session starts again from every lane's last acknowledged batch, which the target made
 * durable (data, digest set, undo journal) before acknowledging it. What is resent is bounded by
 * the unacknowledged window of each lane. The operator's cancel ends the wait at once; an agent
 * not back within the timeout fails the job as before (and a failback rolls back).
 *
 * <p>A resumed session reads the whole disk back at its end when the plan reads back what it
 * wrote: the process that wrote the first part, and its list of what it wrote, may be gone.
 */
final class ResumingSync implements AutoCloseable {
  /** An agent that keeps getting lost within one session is not coming back for good. */
  private static final int MAX_RESUMES = 20;

  /**
   * Starts one run of the session from {@code acknowledged}, keeping the map current;
   * {@code resumed} when it continues a run whose agent was lost.
   */
  @FunctionalInterface
  interface Attempt {
    CompletableFuture<SyncOutcome> start(SyncParameters parameters,
        Map<Integer, LaneCheckpoint> acknowledged, boolean resumed);
  }

  /** Where the job learns what happened. */
  @FunctionalInterface
  interface Notes {
    void note(DiskTransfer.Plan plan, String text);
  }

  private final AgentReturn agentReturn;
  private final Notes notes;
  private final Clock clock;
  private final ExecutorService waiters = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "agent-return");
    thread.setDaemon(true);
    return thread;
  });

  ResumingSync(AgentReturn agentReturn, Notes notes, Clock clock) {
    this.agentReturn = agentReturn;
    this.notes = notes;
    this.clock = clock;
  }

  /** @param start where the lanes start (a durable checkpoint), empty for the beginning */
  CompletableFuture<SyncOutcome> run(DiskTransfer.Plan plan, String diskPath,
      SyncParameters parameters, Map<Integer, LaneCheckpoint> start, Attempt attempt) {
    return run(plan, diskPath, parameters, attempt, new ConcurrentHashMap<>(start), 0);
  }

  private CompletableFuture<SyncOutcome> run(DiskTransfer.Plan plan, String diskPath,
      SyncParameters parameters, Attempt attempt, Map<Integer, LaneCheckpoint> acknowledged,
      int resumes) {
    // A job's syncs resume; a delta cycle simply runs again. An agent as the source reads a
    // read point, which it keeps for the continued session under the plan's token (without
    // one it could be another moment); one that restarted meanwhile says it is gone, and the
    // disk is compared from the start (DiskTransfer).
    boolean resumable = !plan.jobId().isEmpty() && (plan.agentRole() == SyncRole.TARGET
        || !DurableLanes.readPointToken(plan).isEmpty());
    Optional<Object> agent = resumable ? agentReturn.connection(plan.host()) : Optional.empty();
    SyncParameters run = resumes == 0 ? parameters : parameters.toBuilder()
        .setSessionId(parameters.getSessionId() + "-r" + resumes)
        .setVerifyReread(parameters.getVerifyReread() || parameters.getRereadWritten()).build();
    CompletableFuture<SyncOutcome> session = attempt.start(run, acknowledged, resumes > 0);
    if (agent.isEmpty() || resumes >= MAX_RESUMES) {
      return session;
    }
    return session.exceptionallyCompose(failure -> CompletableFuture.supplyAsync(() -> {
      awaitAgent(plan, diskPath, agent.get(), failure, acknowledged);
      return null;
    }, waiters).thenCompose(back -> run(plan, diskPath, parameters, attempt, acknowledged,
        resumes + 1)));
  }

  /** Returns once the lost agent is back; rethrows {@code failure} when it was not lost. */
  private void awaitAgent(DiskTransfer.Plan plan, String diskPath, Object agent,
      Throwable failure, Map<Integer, LaneCheckpoint> acknowledged) {
    Throwable cause = FlowSupport.cause(failure);
    try {
      if (!agentReturn.lost(plan.host(), agent, plan.jobId(), cause)) {
        throw new CompletionException(cause);
      }
      notes.note(plan, "disk " + diskPath + ": waiting for the agent of host " + plan.host()
          + " (lost at " + clock.instant().truncatedTo(ChronoUnit.SECONDS) + ": "
          + cause.getMessage() + "); the sync resumes from its last acknowledged batch when it"
          + " is back, for up to " + agentReturn.timeout().toSeconds() + " s");
      agentReturn.await(plan.host(), agent, plan.jobId());
      notes.note(plan, "disk " + diskPath + ": the agent of host " + plan.host() + " is back;"
          + " the sync resumes " + where(acknowledged));
    } catch (LifecycleException e) {
      throw new CompletionException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  private static String where(Map<Integer, LaneCheckpoint> acknowledged) {
    if (acknowledged.isEmpty()) {
      return "from the start (no batch had been acknowledged)";
    }
    return "at " + DurableLanes.describe(acknowledged);
  }

  @Override
  public void close() {
    waiters.shutdownNow();
  }
}
