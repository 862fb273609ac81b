package io.failback.controller.cli;

import io.failback.proto.v1.Job;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A job's updates over WatchJob that outlive the controller serving them: when the stream
 * breaks with UNAVAILABLE (the active controller killed, a takeover, a restart) the job goes
 * on without it, so this watches it again, through whichever controller is active then (the
 * channel waits through a takeover). Only a stream that had delivered an update is watched
 * again: one that breaks before any gives up, so a controller that never comes back ends the
 * watch with its error instead of looping.
 */
final class JobUpdates implements Iterator<Job> {
  private final OperatorClient client;
  private final WatchJobRequest request;
  private final Consumer<String> notice;
  private Iterator<Job> stream;
  private boolean delivered;

  /** @param notice told, in one line, each time the stream broke and is watched again */
  JobUpdates(OperatorClient client, String jobId, Consumer<String> notice) {
    this.client = client;
    this.request = WatchJobRequest.newBuilder().setJobId(jobId).build();
    this.notice = notice;
    this.stream = client.watch().watchJob(request);
  }

  @Override
  public boolean hasNext() {
    while (true) {
      try {
        return stream.hasNext();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || !delivered) {
          throw e;
        }
        notice.accept("lost the controller's stream (" + e.getStatus().getCode() + ": "
            + e.getStatus().getDescription() + "); the job goes on, watching it again");
        delivered = false;
        stream = client.watch().watchJob(request);
      }
    }
  }

  @Override
  public Job next() {
    Job job = stream.next();
    delivered = true;
    return job;
  }
}
