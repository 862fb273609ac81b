package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.failback.common.testing.LogCapture;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.LeaseRecords.Claim;
import io.failback.controller.store.LeaseRecords.Lease;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoreLocation;
import io.failback.controller.store.TestDatabases;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Controllers sharing one PostgreSQL store: the active one holds the lease, and a standby must
 * drive the same cloud and share the state folder. The takeover itself: {@link ControllerKilledTakeoverTest}.
 */
class ControllerLeaseTest {
  private static final Duration TTL = Duration.ofSeconds(2);
  /** Where a lapse would spoil the test: the active renews every third of it, whatever the load. */
  private static final Duration SLOW_TTL = Duration.ofSeconds(15);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theActiveControllerHoldsTheLeaseAndAStandbyOfAnotherCloudIsRefused() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture active = startActive(store, TTL, CloudChoice.localDirectory());
    Lease held = lease(store);
    assertEquals(1, held.term());
    assertEquals("ctl-a.example:8443", held.address());
    assertTrue(held.cloud().startsWith("local-dir "), held.cloud());

    ControllerFixture other = new ControllerFixture(active);
    other.cloud = new CloudChoice(CloudChoice.Kind.LOCAL_DIR, dir.resolve("elsewhere"),
        "qemu:///system", "kvm", Duration.ofMinutes(1));
    StoreException e = assertThrows(StoreException.class,
        () -> other.start(TakeoverRig.freePort()));

    assertTrue(e.getMessage().contains("a standby must drive the same cloud"), e.getMessage());
    assertTrue(e.getMessage().contains("ctl-a.example:8443"), e.getMessage());
    // The active renews its lease meanwhile (expiresAt moves); nothing else may change.
    Lease after = lease(store);
    assertEquals(List.of(held.term(), held.holder(), held.address(), held.cloud(),
        held.acquiredAt()), List.of(after.term(), after.holder(), after.address(), after.cloud(),
        after.acquiredAt()), "the refused standby changed the lease");
  }

  @Test
  void aStandbyWithAnotherStateFolderIsRefusedAndATakeoverFromOneIsSaid() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    // One cloud folder for both, so that only the state folders differ.
    ControllerFixture active = startActive(store, SLOW_TTL, new CloudChoice(
        CloudChoice.Kind.LOCAL_DIR, dir.resolve("cloud"), "qemu:///system", "kvm",
        Duration.ofMinutes(1)));
    Lease held = lease(store);
    String stateId = java.nio.file.Files.readString(
        active.stateDir.resolve(StateDirId.FILE)).strip();
    assertEquals(stateId, held.stateId());
    assertTrue(held.stateDir().endsWith(":" + active.stateDir.toAbsolutePath()),
        held.stateDir());

    ControllerFixture sharing = new ControllerFixture(active);
    sharing.lease = new LeaseSettings("ctl-b.example:8443", SLOW_TTL, false);
    java.util.concurrent.CompletableFuture<ControllerFixture> waiting = java.util.concurrent
        .CompletableFuture.supplyAsync(() -> {
          try {
            return sharing.start(TakeoverRig.freePort());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    ControllerFixture elsewhere = new ControllerFixture(active, dir.resolve("state-b"));
    elsewhere.lease = new LeaseSettings("ctl-c.example:8443", SLOW_TTL, false);
    // Without the check it would wait as a standby: bounded, so that the test fails instead.
    StoreException e = assertThrows(StoreException.class, () -> assertTimeoutPreemptively(
        Duration.ofSeconds(20), () -> elsewhere.start(TakeoverRig.freePort())));

    assertTrue(e.getMessage().contains("a standby must share --state-dir"), e.getMessage());
    assertTrue(e.getMessage().contains(active.stateDir.toAbsolutePath().toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains(elsewhere.stateDir.toAbsolutePath().toString()),
        e.getMessage());
    assertEquals(held.term(), lease(store).term(), "the refused standby took the lease");
    // The standby on the same folder was not refused: it waits, and takes over at a clean stop.
    Thread.sleep(2000);
    assertTrue(!waiting.isDone(), "the standby sharing the folder did not wait");
    active.close();
    cleanup.register(waiting.get(30, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(List.of(held.term() + 1, stateId),
        List.of(lease(store).term(), lease(store).stateId()));
  }

  @Test
  void aCleanStopReleasesTheLeaseForTheNextController() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture first = activeThenStopped(store);

    // Without the release the next start would wait ten minutes as a standby.
    ControllerFixture next = cleanup.register(new ControllerFixture(first).start());
    assertEquals(2, lease(store).term());
    assertTrue(next.server.port() > 0);
  }

  /**
   * A controller that takes over from one that kept its state elsewhere (the old folder lost
   * with its machine) serves, and says what that folder held and this one lacks.
   */
  @Test
  void aControllerTakingOverFromAnotherStateFolderSaysWhatIsMissing() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture first = activeThenStopped(store);

    try (LogCapture logged = LogCapture.of(ControllerLease.class)) {
      ControllerFixture other = new ControllerFixture(first, dir.resolve("state-b"));
      cleanup.register(other.start());
      assertEquals(2, lease(store).term());
      List<String> warnings = logged.events().stream()
          .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
          .map(e -> e.getFormattedMessage()).toList();
      assertEquals(1, warnings.size(), logged.messages().toString());
      assertTrue(warnings.get(0).contains("the last active controller kept its state in")
          && warnings.get(0).contains(first.stateDir.toAbsolutePath().toString())
          && warnings.get(0).contains(other.stateDir.toAbsolutePath().toString())
          && warnings.get(0).contains("a reverse replication without its seed copies the"
              + " whole disk"), warnings.get(0));
    }
  }

  /**
   * Probes and metrics from the start: a standby is alive but not ready, names the active
   * controller, and says "standby" in its metrics; once it took over, it is ready and active.
   */
  @Test
  void aStandbyIsAliveButNotReadyAndSaysSoInItsMetricsUntilItTakesOver() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture active = new ControllerFixture(dir);
    active.store = store;
    active.lease = new LeaseSettings("ctl-a.example:8443", SLOW_TTL, false);
    active.metricsAddress = new InetSocketAddress("127.0.0.1", 0);
    cleanup.register(active.start());
    InetSocketAddress activeProbes = active.server.metricsAddress().orElseThrow();
    assertEquals(200, Scrape.get(activeProbes, "/readyz").statusCode());
    assertEquals(List.of(1.0, 1.0), roleOf(activeProbes));

    ControllerFixture standby = new ControllerFixture(active);
    standby.lease = new LeaseSettings("ctl-b.example:8443", SLOW_TTL, false);
    InetSocketAddress probes = new InetSocketAddress("127.0.0.1", TakeoverRig.freePort());
    standby.metricsAddress = probes;
    CompletableFuture<ControllerFixture> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        return standby.start(TakeoverRig.freePort());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    HttpResponse<String> ready = awaitStandby(probes);
    assertEquals(503, ready.statusCode());
    assertEquals("not ready: standby; the active controller is ctl-a.example:8443 (lease term"
        + " 1)\n", ready.body());
    assertEquals(200, Scrape.get(probes, "/healthz").statusCode(), "a standby is alive");
    assertEquals(List.of(0.0, 1.0), roleOf(probes));

    active.close();
    cleanup.register(waiting.get(30, TimeUnit.SECONDS));
    assertEquals(200, Scrape.get(probes, "/readyz").statusCode());
    assertEquals(List.of(1.0, 2.0), roleOf(probes));
  }

  /**
   * A store call that never returns (here a lock wait on the lease row; a database cut off
   * without a reset hangs the same way) holds the renewal too, the store's calls being
   * serialized: the active stops once the lease could have lapsed. Before, only a renewal that
   * returned could tell it, so the controller served on while a standby took over.
   */
  @Test
  void aControllerWhoseRenewalHangsStopsServingOnceTheLeaseLapses() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture active = startActive(store, TTL, CloudChoice.localDirectory());
    try (LogCapture lease = LogCapture.of(ControllerLease.class);
        LogCapture server = LogCapture.of(ControllerServer.class)) {
      ManagedChannel channel = active.channel(active.pki.operator("ops"));
      cleanup.register(channel::shutdownNow);
      assertEquals(Status.Code.OK, listHosts(channel));

      try (Connection holder = lockTheLease(store)) {
        await(() -> waitingForTheLeaseRow(store) > 0, "a store call to wait for the lease row");
        await(() -> listHosts(channel) == Status.Code.UNAVAILABLE,
            "the controller to stop serving");
        holder.rollback();
      }

      assertEquals(1, errors(server).size(), server.messages().toString());
      List<String> lapses = errors(lease);
      assertEquals(1, lapses.size(), lease.messages().toString());
      assertTrue(lapses.get(0).startsWith("the lease lapsed unrenewed (term 1, no renewal"
          + " succeeded for ") && lapses.get(0).endsWith("the store did not answer, as when"
          + " the database hangs or is cut off"), lapses.get(0));
    }
  }

  /** The lease itself: lost once, however long the renewal hangs and whatever it returns. */
  @Test
  void aHungRenewalLosesTheLeaseOnce() throws Exception {
    StoreLocation.Postgres location = TestDatabases.newPostgresDatabase();
    ScheduledExecutorService renewing = Executors.newSingleThreadScheduledExecutor();
    ScheduledExecutorService watching = Executors.newSingleThreadScheduledExecutor();
    try (ControllerStore store = ControllerStore.open(location)) {
      ControllerLease lease = ControllerLease.take(store, new Claim("ctl-a.example:8443",
          "local-dir /cloud", "state-1", "ctl-a:/state"), TTL, (address, term) -> { });
      AtomicInteger lost = new AtomicInteger();
      lease.keep(renewing, watching, lost::incrementAndGet);
      try (Connection holder = lockTheLease(location)) {
        await(() -> lost.get() > 0, "the hung renewal to lose the lease");
        // The renewal that hung returns now, and succeeds: the lease stays lost all the same.
        holder.rollback();
        await(() -> waitingForTheLeaseRow(location) == 0, "the hung renewal to return");
      }
      Thread.sleep(TTL.toMillis()); // a few more renewals and looks, had they gone on
      assertEquals(1, lost.get());
    } finally {
      renewing.shutdownNow();
      watching.shutdownNow();
    }
  }

  /** failback_controller_active and failback_controller_lease_term as scraped. */
  private static List<Double> roleOf(InetSocketAddress probes) throws Exception {
    Scrape scrape = Scrape.of(probes);
    return List.of(scrape.value("failback_controller_active"),
        scrape.value("failback_controller_lease_term"));
  }

  /** The standby's /readyz once it knows whom it follows (its port opens before). */
  private static HttpResponse<String> awaitStandby(InetSocketAddress probes) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        HttpResponse<String> ready = Scrape.get(probes, "/readyz");
        if (ready.body().contains("standby") || System.nanoTime() > deadline) {
          return ready;
        }
      } catch (java.net.ConnectException e) {
        assertTrue(System.nanoTime() < deadline, "the standby's probes never answered");
      }
      Thread.sleep(100);
    }
  }

  /** A controller that held the lease (ten-minute TTL) and stopped cleanly. */
  private ControllerFixture activeThenStopped(StoreLocation.Postgres store) throws Exception {
    ControllerFixture first = new ControllerFixture(dir);
    first.store = store;
    first.lease = new LeaseSettings("", Duration.ofMinutes(10), false);
    first.start();
    first.close();
    return first;
  }

  private ControllerFixture startActive(StoreLocation.Postgres store, Duration ttl,
      CloudChoice cloud) throws Exception {
    ControllerFixture active = new ControllerFixture(dir);
    active.store = store;
    active.lease = new LeaseSettings("ctl-a.example:8443", ttl, false);
    active.cloud = cloud;
    return cleanup.register(active.start());
  }

  private static Lease lease(StoreLocation store) throws StoreException {
    try (ControllerStore reader = ControllerStore.open(store)) {
      return reader.leaseRecords().current().orElseThrow();
    }
  }

  /** Holds the lease row for update, as a transaction would that never ends. */
  private static Connection lockTheLease(StoreLocation store) throws SQLException {
    Connection holder = TestDatabases.connect(store);
    holder.setAutoCommit(false);
    try (Statement statement = holder.createStatement()) {
      statement.executeQuery("SELECT term FROM controller_lease WHERE id = 1 FOR UPDATE")
          .close();
    }
    return holder;
  }

  /** The store's calls waiting for a lock (the lease row's), as the server sees them. */
  private static int waitingForTheLeaseRow(StoreLocation store) {
    try {
      return Integer.parseInt(TestDatabases.queryString(store, "SELECT count(*) FROM"
          + " pg_stat_activity WHERE datname = current_database()"
          + " AND wait_event_type = 'Lock'"));
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Status.Code listHosts(ManagedChannel channel) {
    try {
      InventoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
          .listHosts(ListHostsRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static List<String> errors(LogCapture logged) {
    return logged.events().stream().filter(e -> e.getLevel() == Level.ERROR)
        .map(e -> e.getFormattedMessage()).toList();
  }

  /** Waits for {@code condition}; generous, for two loaded cores. */
  private static void await(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(50);
    }
  }
}
