package io.failback.common.ids;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.common.text.BoundedText;

/** A job's id: the GUID the controller gave it, in lower case. */
public record JobId(String value) {
  public JobId {
    checkArgument(Guid.isCanonical(value), "not a lower-case GUID: %s",
        BoundedText.echo(value));
  }

  /** Parses a job id from a caller; {@code field} is named in the error. */
  public static JobId parse(String field, String text) throws InvalidIdException {
    return new JobId(Guid.parse(field, text, "a job id",
        "job ids are GUIDs; list them with ListJobs"));
  }

  @Override
  public String toString() {
    return value;
  }
}
