package io.failback.controller;

import io.failback.certs.Role;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import java.util.Map;
import java.util.Set;

/**
 * Which certificate role reaches which service. Within a service, ReadOnlyGate keeps a
 * read-only operator to List, Get and Watch.
 */
final class AccessPolicy {
  private AccessPolicy() {}

  /** Which role may call which service; anything not listed is refused to everyone. */
  public static Map<String, Set<Role>> byService() {
    // Read-only operators reach these services; ReadOnlyGate lets them list, get and watch.
    Set<Role> anyOperator = Set.of(Role.OPERATOR, Role.OPERATOR_READONLY);
    // The simulation is a test harness: only its own role drives it, and it reaches nothing
    // of the product (an operator's certificate cannot write into a cloud VM's disks).
    Set<Role> probes = Set.of(Role.OPERATOR, Role.OPERATOR_READONLY, Role.SIMULATOR);
    return Map.ofEntries(
        Map.entry(AgentServiceGrpc.SERVICE_NAME, Set.of(Role.AGENT)),
        Map.entry(InventoryServiceGrpc.SERVICE_NAME, anyOperator),
        Map.entry(io.failback.proto.v1.HostServiceGrpc.SERVICE_NAME, anyOperator),
        Map.entry(RecoveryPlanServiceGrpc.SERVICE_NAME, anyOperator),
        Map.entry(FailoverServiceGrpc.SERVICE_NAME, anyOperator),
        Map.entry(JobServiceGrpc.SERVICE_NAME, anyOperator),
        Map.entry(io.failback.proto.v1.BandwidthServiceGrpc.SERVICE_NAME, anyOperator),
        Map.entry("grpc.reflection.v1.ServerReflection", probes),
        Map.entry("grpc.health.v1.Health", probes),
        Map.entry(CloudSimulationServiceGrpc.SERVICE_NAME, Set.of(Role.SIMULATOR)),
        Map.entry(io.failback.proto.v1.CertificateServiceGrpc.SERVICE_NAME,
            Set.of(Role.AGENT, Role.OPERATOR)));
  }
}
