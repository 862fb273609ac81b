package io.failback.controller.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.failback.controller.agents.Actor;
import io.failback.controller.store.AuditRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every operator call that may change something (anything but List, Get and Watch) in
 * the audit trail, once, before its answer leaves: who (SPIFFE id and certificate fingerprint),
 * which RPC with which options, the job it started, and how it ended. One event per VM, plan or
 * job the request names, so that the trail filters by each. Runs inside authorization, so every
 * call it sees has an authenticated operator.
 */
public final class AuditingInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuditingInterceptor.class);
  /** Bounds an event's detail: the options of a plan with many VMs can be long. */
  static final int DETAIL_LIMIT = 4000;

  private final AuditRecords audit;
  private final Clock clock;
  private final boolean readOnlyCallersOnly;

  public AuditingInterceptor(AuditRecords audit, Clock clock) {
    this(audit, clock, false);
  }

  private AuditingInterceptor(AuditRecords audit, Clock clock, boolean readOnlyCallersOnly) {
    this.audit = audit;
    this.clock = clock;
    this.readOnlyCallersOnly = readOnlyCallersOnly;
  }

  /**
   * Records only the attempts of read-only operators, which the read-only gate refuses: for a
   * service that records its own changes (HostService), so that nothing is recorded twice.
   */
  public static AuditingInterceptor readOnlyAttempts(AuditRecords audit, Clock clock) {
    return new AuditingInterceptor(audit, clock, true);
  }

  /** Whether a method only reads (lists, shows or follows). */
  static boolean readsOnly(String method) {
    return method.startsWith("List") || method.startsWith("Get") || method.startsWith("Watch");
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    if (method == null || readsOnly(method) || readOnlyCallersOnly
        && io.failback.common.grpc.AuthContext.peer().role()
            != io.failback.certs.Role.OPERATOR_READONLY) {
      return next.startCall(call, headers);
    }
    Actor actor = HostServiceAdapter.actor();
    String action = call.getMethodDescriptor().getFullMethodName();
    AtomicReference<Object> request = new AtomicReference<>();
    AtomicReference<Object> response = new AtomicReference<>();
    ServerCall<Q, A> recording = new SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(A message) {
        response.set(message);
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        try {
          record(actor, action, request.get(), response.get(), status);
        } catch (RuntimeException e) {
          // The call happened: its answer goes out; the missing record is said loudly.
          log.error("audit trail: cannot record " + action + " by " + actor.identity() + ": "
              + e);
        }
        super.close(status, trailers);
      }
    };
    return new SimpleForwardingServerCallListener<>(next.startCall(recording, headers)) {
      @Override
      public void onMessage(Q message) {
        request.compareAndSet(null, message);
        super.onMessage(message);
      }
    };
  }

  private void record(Actor actor, String action, Object request, Object response,
      Status status) {
    String job = jobOf(response).orElse(null);
    String description = status.getDescription();
    // The operator's action, once, with who did it; the trail holds the request's options.
    log.info(actor.identity() + " called " + action + ": " + status.getCode()
        + (description == null ? "" : " (" + description + ")")
        + (job == null ? "" : ", job " + job));
    String detail = bounded("request " + json(request) + "; result " + status.getCode()
        + (description == null ? "" : ": " + description) + (job == null ? "" : "; job " + job));
    try {
      for (String target : targets(request, job)) {
        audit.append(clock.instant(), actor.identity(), actor.fingerprint(), action, target,
            detail);
      }
    } catch (StoreException | RuntimeException e) {
      // The call already happened: say loudly that its record is missing.
      log.error("audit trail: cannot record " + action + " by " + actor.identity() + ": " + e);
    }
  }

  /** What the request names: its VMs, plan and job; the RPC's service when it names none. */
  static List<String> targets(Object request, String startedJob) {
    List<String> targets = new ArrayList<>();
    if (request instanceof io.failback.proto.v1.SetBandwidthLimitRequest limit) {
      return List.of(switch (limit.getScope()) {
        case BANDWIDTH_HOST -> "host/" + limit.getName();
        case BANDWIDTH_JOB -> "job/" + limit.getName();
        case BANDWIDTH_RECOVERY_PLAN -> "plan/" + limit.getName();
        default -> "bandwidth/global";
      });
    }
    if (request instanceof Message message) {
      for (var entry : message.getAllFields().entrySet()) {
        FieldDescriptor field = entry.getKey();
        String kind = switch (field.getName()) {
          case "vm_id", "vm_ids" -> "vm/";
          case "recovery_plan" -> "plan/";
          case "job_id" -> "job/";
          case "host_name" -> "host/";
          case "name" -> message.getDescriptorForType().getFullName().contains("RecoveryPlan")
              ? "plan/" : null;
          default -> null;
        };
        if (kind == null || field.getJavaType() != FieldDescriptor.JavaType.STRING) {
          continue;
        }
        List<?> values = field.isRepeated() ? (List<?>) entry.getValue()
            : List.of(entry.getValue());
        for (Object value : values) {
          String text = value.toString();
          targets.add(kind + (kind.equals("vm/") ? text.toLowerCase(Locale.ROOT) : text));
        }
      }
      if (message.getDescriptorForType().getFullName().endsWith("RecoveryPlanRequest")
          && targets.isEmpty()) {
        findPlanName(message).ifPresent(name -> targets.add("plan/" + name));
      }
    }
    if (startedJob != null && targets.stream().noneMatch(t -> t.startsWith("job/"))) {
      targets.add("job/" + startedJob);
    }
    return targets.isEmpty() ? List.of("-") : targets;
  }

  /** A plan's name inside a create or update request ({@code plan.name}). */
  private static java.util.Optional<String> findPlanName(Message message) {
    for (var entry : message.getAllFields().entrySet()) {
      if (entry.getValue() instanceof Message inner) {
        FieldDescriptor name = inner.getDescriptorForType().findFieldByName("name");
        if (name != null && name.getJavaType() == FieldDescriptor.JavaType.STRING) {
          return java.util.Optional.of((String) inner.getField(name));
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** The job an answer carries: a Job itself, or a {@code job} field. */
  static java.util.Optional<String> jobOf(Object response) {
    if (response instanceof Job job) {
      return java.util.Optional.of(job.getId());
    }
    if (response instanceof Message message) {
      FieldDescriptor field = message.getDescriptorForType().findFieldByName("job");
      if (field != null && message.hasField(field)
          && message.getField(field) instanceof Job job && !job.getId().isEmpty()) {
        return java.util.Optional.of(job.getId());
      }
    }
    return java.util.Optional.empty();
  }

  private static String json(Object request) {
    if (!(request instanceof Message message)) {
      return "{}";
    }
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(message);
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      // A value JSON cannot spell (a Duration out of range): the text form says it all.
      return com.google.protobuf.TextFormat.shortDebugString(message);
    }
  }

  private static String bounded(String text) {
    return text.length() <= DETAIL_LIMIT ? text
        : text.substring(0, DETAIL_LIMIT - 20) + "… (" + text.length() + " chars)";
  }
}
