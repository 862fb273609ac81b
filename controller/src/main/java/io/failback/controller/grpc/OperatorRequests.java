package io.failback.controller.grpc;

import io.failback.common.ids.HostName;
import io.failback.common.ids.InvalidIdException;
import io.failback.common.ids.JobId;
import io.failback.common.ids.PlanName;
import io.failback.common.ids.Thumbprint;
import io.failback.common.ids.VmId;
import io.failback.common.text.BoundedText;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the fields of operator requests into value types, or refuses the request with
 * {@code INVALID_ARGUMENT} naming the field; with {@link RequestShape} (checked before any
 * adapter runs) this is the operator side of the trust boundary. Nothing here looks anything
 * up: whether an id exists is the domain's answer (NOT_FOUND).
 */
final class OperatorRequests {
  /** The most VMs one request names (a recovery plan holds as many). */
  static final int MAX_VMS = RequestShape.MAX_REPEATED;

  private OperatorRequests() {}

  static VmId vmId(String field, String text) throws StatusException {
    try {
      return VmId.parse(field, text);
    } catch (InvalidIdException e) {
      throw invalid(e);
    }
  }

  /** Empty when {@code text} is, as in a filter left out. */
  static Optional<VmId> optionalVmId(String field, String text) throws StatusException {
    return text.isEmpty() ? Optional.empty() : Optional.of(vmId(field, text));
  }

  /** At least one VM, each once (in any case), at most {@value #MAX_VMS}. */
  static List<VmId> vmIds(String field, List<String> texts) throws StatusException {
    if (texts.isEmpty()) {
      throw invalid(field + " is empty: name at least one VM");
    }
    if (texts.size() > MAX_VMS) {
      throw invalid(field + " names " + texts.size() + " VMs; at most " + MAX_VMS + " per"
          + " request: split it, or use a recovery plan");
    }
    List<VmId> ids = new ArrayList<>(texts.size());
    Set<VmId> seen = new HashSet<>();
    for (int i = 0; i < texts.size(); i++) {
      VmId id = vmId(field + "[" + i + "]", texts.get(i));
      if (!seen.add(id)) {
        throw invalid(field + " names " + id + " twice");
      }
      ids.add(id);
    }
    return ids;
  }

  static JobId jobId(String field, String text) throws StatusException {
    try {
      return JobId.parse(field, text);
    } catch (InvalidIdException e) {
      throw invalid(e);
    }
  }

  static HostName hostName(String field, String text) throws StatusException {
    try {
      return HostName.parse(field, text);
    } catch (InvalidIdException e) {
      throw invalid(e);
    }
  }

  /** Empty when {@code text} is: the field was left out. */
  static Optional<HostName> optionalHostName(String field, String text) throws StatusException {
    return text.isEmpty() ? Optional.empty() : Optional.of(hostName(field, text));
  }

  /** Empty when {@code text} is: the field was left out. */
  static Optional<Thumbprint> optionalThumbprint(String field, String text)
      throws StatusException {
    try {
      return text.isEmpty() ? Optional.empty() : Optional.of(Thumbprint.parse(field, text));
    } catch (InvalidIdException e) {
      throw invalid(e);
    }
  }

  static PlanName planName(String field, String text) throws StatusException {
    try {
      return PlanName.parse(field, text);
    } catch (InvalidIdException e) {
      throw invalid(e);
    }
  }

  /** A number that must not exceed {@code max}; {@code unit} reads e.g. "blocks". */
  static long atMost(String field, long value, long max, String unit) throws StatusException {
    if (Long.compareUnsigned(value, max) > 0) {
      throw invalid(field + " is " + Long.toUnsignedString(value) + (unit.isEmpty() ? "" : " ")
          + unit + "; at most " + max);
    }
    return value;
  }

  static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(BoundedText.description(description))
        .asException();
  }

  private static StatusException invalid(InvalidIdException e) {
    return invalid(e.getMessage());
  }
}
