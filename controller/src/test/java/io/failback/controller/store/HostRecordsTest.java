package io.failback.controller.store;

import static io.failback.controller.store.Inventories.inventory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.HostInventory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import io.failback.controller.store.TestDatabases.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class HostRecordsTest extends StoreTestBase {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  @Test
  void registrationSurvivesARestartWithTheExactInventory() throws Exception {
    HostInventory inventory = inventory("hv01", "web", "db");
    store.hostRecords().recordRegistration("hv01", inventory, "10.0.0.1:50000", "agent-1", T0);

    reopen();

    assertEquals(
        Optional.of(new StoredHost("hv01", inventory, T0, T0, "10.0.0.1:50000", "agent-1")),
        store.hostRecords().host("hv01"));
  }

  @Test
  void reRegistrationReplacesTheInventoryWhole() throws Exception {
    HostRecords hosts = store.hostRecords();
    hosts.recordRegistration("hv01", inventory("hv01", "web", "db"), "10.0.0.1:1", "agent-1", T0);
    Instant later = T0.plusSeconds(60);

    HostInventory withoutDb = inventory("hv01", "web");
    hosts.recordRegistration("hv01", withoutDb, "10.0.0.2:2", "agent-2", later);

    StoredHost host = hosts.host("hv01").orElseThrow();
    assertEquals(withoutDb, host.inventory());
    assertEquals(List.of("web"), vmNames(host));
    assertEquals(later, host.registeredAt());
    assertEquals(later, host.lastSeen());
    assertEquals("10.0.0.2:2", host.remoteAddress());
    assertEquals("agent-2", host.agentInstanceId());
    assertEquals(1, hosts.hosts().size());
  }

  @Test
  void heartbeatUpdatesLastSeenOnly() throws Exception {
    HostRecords hosts = store.hostRecords();
    hosts.recordRegistration("hv01", inventory("hv01", "web"), "10.0.0.1:1", "agent-1", T0);
    StoredHost registered = hosts.host("hv01").orElseThrow();
    Instant later = T0.plusMillis(15_001);

    hosts.recordHeartbeat("hv01", later);

    StoredHost expected =
        new StoredHost(
            registered.name(),
            registered.inventory(),
            registered.registeredAt(),
            later,
            registered.remoteAddress(),
            registered.agentInstanceId());
    assertEquals(expected, hosts.host("hv01").orElseThrow());
  }

  @Test
  void lateHeartbeatDoesNotMoveLastSeenBack() throws Exception {
    HostRecords hosts = store.hostRecords();
    hosts.recordRegistration("hv01", inventory("hv01"), "10.0.0.1:1", "agent-1", T0);
    hosts.recordHeartbeat("hv01", T0.plusSeconds(20));

    hosts.recordHeartbeat("hv01", T0.plusSeconds(10));

    assertEquals(T0.plusSeconds(20), hosts.host("hv01").orElseThrow().lastSeen());
  }

  @Test
  void heartbeatOfAnUnknownHostIsRefused() {
    StoreException e =
        assertThrows(
            StoreException.class, () -> store.hostRecords().recordHeartbeat("hv99", T0));

    assertTrue(e.getMessage().contains("'hv99' is not registered"), e.getMessage());
    assertTrue(e.getMessage().contains(store.describe()), e.getMessage());
  }

  @Test
  void hostNamesCompareCaseInsensitively() throws Exception {
    HostRecords hosts = store.hostRecords();
    hosts.recordRegistration("HV01", inventory("HV01"), "10.0.0.1:1", "agent-1", T0);
    hosts.recordHeartbeat("Hv01", T0.plusSeconds(1));
    hosts.recordRegistration("hv01", inventory("hv01", "web"), "10.0.0.1:1", "agent-2", T0);

    StoredHost host = hosts.host("hV01").orElseThrow();
    assertEquals("hv01", host.name());
    assertEquals("agent-2", host.agentInstanceId());
    assertEquals(1, hosts.hosts().size());
  }

  @Test
  void hostsAreSortedByName() throws Exception {
    HostRecords hosts = store.hostRecords();
    for (String name : List.of("hv-c", "HV-A", "hv-b")) {
      hosts.recordRegistration(name, inventory(name), "10.0.0.1:1", "agent", T0);
    }

    List<String> names = new ArrayList<>();
    hosts.hosts().forEach(h -> names.add(h.name()));
    assertEquals(List.of("hv-a", "hv-b", "hv-c"), names);
    assertEquals(Optional.empty(), hosts.host("hv-d"));
  }

  @Test
  void concurrentHeartbeatsAllSucceed() throws Exception {
    int threads = 8;
    int beatsPerThread = 200;
    List<String> names = List.of("hv1", "hv2", "hv3", "hv4");
    for (String name : names) {
      store.hostRecords().recordRegistration(name, inventory(name), "10.0.0.1:1", "agent", T0);
    }
    // A second store on the same database stands in for another process: SQLite makes it wait
    // for the lock, PostgreSQL retries the transactions that conflicted.
    try (ControllerStore other = ControllerStore.open(location)) {
      List<Callable<Void>> tasks = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      for (int t = 0; t < threads; t++) {
        HostRecords hosts = (t % 2 == 0 ? store : other).hostRecords();
        int thread = t;
        tasks.add(
            () -> {
              start.await();
              for (int i = 0; i < beatsPerThread; i++) {
                hosts.recordHeartbeat(names.get(i % names.size()), T0.plusMillis(thread + i * 10));
                if (i % 50 == 0) {
                  hosts.hosts();
                }
              }
              return null;
            });
      }
      runAll(tasks, start);
    }

    // Thread 7 sends the latest beat of each host: i from 196 to 199.
    for (int h = 0; h < names.size(); h++) {
      Instant latest = T0.plusMillis(7 + (beatsPerThread - names.size() + h) * 10L);
      assertEquals(latest, store.hostRecords().host(names.get(h)).orElseThrow().lastSeen());
    }
  }

  private static void runAll(List<Callable<Void>> tasks, CountDownLatch start) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<Void>> futures = new ArrayList<>();
      for (Callable<Void> task : tasks) {
        futures.add(executor.submit(task));
      }
      start.countDown();
      for (Future<Void> future : futures) {
        future.get(60, TimeUnit.SECONDS); // rethrows the first failure of that task
      }
    } finally {
      executor.shutdownNow();
    }
  }

  private static List<String> vmNames(StoredHost host) {
    List<String> names = new ArrayList<>();
    host.inventory().getVirtualMachinesList().forEach(vm -> names.add(vm.getName()));
    return names;
  }
}
