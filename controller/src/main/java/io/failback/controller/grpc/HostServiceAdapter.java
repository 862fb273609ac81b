package io.failback.controller.grpc;

import com.google.common.hash.Hashing;
import com.google.protobuf.util.Timestamps;
import io.failback.common.grpc.AuthContext;
import io.failback.common.tls.PeerIdentity;
import io.failback.controller.agents.Actor;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.agents.HostAdmin;
import io.failback.controller.store.AuditRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.AuditEvent;
import io.failback.proto.v1.FenceHostRequest;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.ListAuditEventsResponse;
import io.failback.proto.v1.MoveVirtualMachineRequest;
import io.failback.proto.v1.MoveVirtualMachineResponse;
import io.failback.proto.v1.RemoveHostRequest;
import io.failback.proto.v1.RemoveHostResponse;
import io.failback.proto.v1.UnfenceHostRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.Locale;

/** gRPC adapter for {@code failback.v1.HostService}: fence, unfence, remove, move, audit. */
public final class HostServiceAdapter extends HostServiceGrpc.HostServiceImplBase {
  private final HostAdmin admin;
  private final AgentRegistry registry;
  private final AuditRecords audit;

  public HostServiceAdapter(HostAdmin admin, AgentRegistry registry, AuditRecords audit) {
    this.admin = admin;
    this.registry = registry;
    this.audit = audit;
  }

  @Override
  public void fenceHost(FenceHostRequest request, StreamObserver<Host> responses) {
    Answers.answer(responses, () -> {
      admin.fence(request.getHostName(), request.getReason(), actor());
      return shown(request.getHostName());
    });
  }

  @Override
  public void unfenceHost(UnfenceHostRequest request, StreamObserver<Host> responses) {
    Answers.answer(responses, () -> {
      admin.unfence(request.getHostName(), actor());
      return shown(request.getHostName());
    });
  }

  @Override
  public void removeHost(RemoveHostRequest request,
      StreamObserver<RemoveHostResponse> responses) {
    Answers.answer(responses, () -> {
      admin.remove(request.getHostName(), actor());
      return RemoveHostResponse.getDefaultInstance();
    });
  }

  @Override
  public void moveVirtualMachine(MoveVirtualMachineRequest request,
      StreamObserver<MoveVirtualMachineResponse> responses) {
    Answers.answer(responses, () -> {
      admin.moveVm(request.getVmId(), request.getToHost(), request.getReason(), actor());
      return MoveVirtualMachineResponse.getDefaultInstance();
    });
  }

  @Override
  public void listAuditEvents(ListAuditEventsRequest request,
      StreamObserver<ListAuditEventsResponse> responses) {
    Answers.answer(responses, () -> {
      int limit = PageTokens.pageSize(request.getLimit(), 100, 1000, "limit");
      if (request.getTarget().length() > 300) {
        throw Status.INVALID_ARGUMENT.withDescription("target is longer than 300 characters")
            .asException();
      }
      if (request.getActor().length() > 300) {
        throw Status.INVALID_ARGUMENT.withDescription("actor is longer than 300 characters")
            .asException();
      }
      Instant since = request.hasSince() ? instant(request.getSince(), "since") : null;
      Instant until = request.hasUntil() ? instant(request.getUntil(), "until") : null;
      if (since != null && until != null && !since.isBefore(until)) {
        throw Status.INVALID_ARGUMENT.withDescription("since (" + since + ") is not before until"
            + " (" + until + ")").asException();
      }
      ListAuditEventsResponse.Builder events = ListAuditEventsResponse.newBuilder();
      for (AuditRecords.Event event : audit.recent(new AuditRecords.Filter(
          request.getTarget().isEmpty() ? null : request.getTarget(),
          request.getActor().isEmpty() ? null : request.getActor(), since, until), limit)) {
        events.addEvents(AuditEvent.newBuilder().setId(event.id())
            .setAt(Timestamps.fromMillis(event.at().toEpochMilli())).setActor(event.actor())
            .setCertificateFingerprint(event.fingerprint()).setAction(event.action())
            .setTarget(event.target()).setDetail(event.detail()));
      }
      return events.build();
    });
  }

  /** The host as InventoryService shows it, or just its name and fence if never registered. */
  private Host shown(String hostName) throws StoreException {
    String name = hostName.toLowerCase(Locale.ROOT);
    return registry.host(name).orElseGet(() -> {
      Host.Builder host = Host.newBuilder().setName(name);
      try {
        admin.fenceOf(name).ifPresent(f -> host.getFenceBuilder()
            .setFencedAt(Timestamps.fromMillis(f.fencedAt().toEpochMilli()))
            .setFencedBy(f.actor()).setReason(f.reason()));
      } catch (StoreException e) {
        throw new IllegalStateException(e);
      }
      return host.build();
    });
  }

  private static Instant instant(com.google.protobuf.Timestamp timestamp, String field)
      throws io.grpc.StatusException {
    if (!Timestamps.isValid(timestamp)) {
      throw Status.INVALID_ARGUMENT.withDescription(field + " is not a valid timestamp")
          .asException();
    }
    return Instant.ofEpochMilli(Timestamps.toMillis(timestamp));
  }

  static Actor actor() {
    PeerIdentity peer = AuthContext.peer();
    String fingerprint;
    try {
      fingerprint = Hashing.sha256().hashBytes(peer.leaf().getEncoded()).toString();
    } catch (CertificateEncodingException e) {
      fingerprint = "";
    }
    return new Actor(peer.spiffeId(), fingerprint);
  }
}
