package io.failback.controller.cli;

import io.failback.proto.v1.Job;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A job's updates over WatchJob that outlive the controller serving them: when the stream
 * breaks with UNAVAILABLE (the active controller killed, a takeover, a restart) the job goes
 * on without it, so this watches it again, through whichever controller is active then (the
 * channel waits through a takeover). Only a stream that had delivered an update is watched
 * again, and for at most {@link #RETRYING} after it broke: a controller still dying can refuse
 * the first new stream (its TLS handshake cut), while one that never comes back ends the watch
 * with its error instead of looping.
 */
final class JobUpdates implements Iterator<Job> {
  /** How long a broken watch is tried again: a takeover takes seconds. */
  static final Duration RETRYING = Duration.ofSeconds(60);
  private static final Duration PAUSE = Duration.ofMillis(500);
  private final OperatorClient client;
  private final WatchJobRequest request;
  private final Consumer<String> notice;
  private final Duration retrying;
  private Iterator<Job> stream;
  private boolean delivered;
  /** When the last stream that had delivered broke, in System.nanoTime(); 0 while none did. */
  private long brokeAt;

  /** @param notice told, in one line, each time the stream broke and is watched again */
  JobUpdates(OperatorClient client, String jobId, Consumer<String> notice) {
    this(client, jobId, notice, RETRYING);
  }

  /** @param retrying how long a broken watch is tried again */
  JobUpdates(OperatorClient client, String jobId, Consumer<String> notice, Duration retrying) {
    this.client = client;
    this.request = WatchJobRequest.newBuilder().setJobId(jobId).build();
    this.notice = notice;
    this.retrying = retrying;
    this.stream = client.watch().watchJob(request);
  }

  @Override
  public boolean hasNext() {
    while (true) {
      try {
        return stream.hasNext();
      } catch (StatusRuntimeException e) {
        boolean again = brokeAt != 0 && System.nanoTime() - brokeAt < retrying.toNanos();
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || !delivered && !again) {
          throw e;
        }
        if (delivered) {
          notice.accept("lost the controller's stream (" + e.getStatus().getCode() + ": "
              + e.getStatus().getDescription() + "); the job goes on, watching it again");
          brokeAt = System.nanoTime();
          delivered = false;
        } else {
          pause();
        }
        stream = client.watch().watchJob(request);
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(PAUSE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while watching the job again", e);
    }
  }

  @Override
  public Job next() {
    Job job = stream.next();
    delivered = true;
    return job;
  }
}
