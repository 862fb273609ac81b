package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.store.LeaseRecords.Claim;
import io.failback.controller.store.LeaseRecords.Lease;
import io.failback.controller.store.TestDatabases.Backend;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** One active controller per store: the lease, its terms, and the fence on every call. */
@ParameterizedClass
@EnumSource(Backend.class)
class LeaseRecordsTest extends StoreTestBase {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TTL = Duration.ofSeconds(15);

  @Test
  void theFirstControllerGetsTermOneAndAnotherWaitsUntilItExpires() throws Exception {
    Lease a = store.leaseRecords().acquire("a", claim("ctl-a:8443", "local-dir"), T0, TTL);
    assertEquals(1, a.term());
    assertEquals("a", a.holder());

    Lease seen = store.leaseRecords().acquire("b", claim("ctl-b:8443", "local-dir"),
        T0.plusSeconds(14), TTL);
    assertEquals(a, seen, "a live lease is not taken over");
    assertTrue(store.leaseRecords().renew(1, "a", T0.plusSeconds(10), TTL));

    Lease b = store.leaseRecords().acquire("b", claim("ctl-b:8443", "local-dir"),
        T0.plusSeconds(25), TTL);
    assertEquals(2, b.term());
    assertEquals("ctl-b:8443", b.address());
    assertFalse(store.leaseRecords().renew(1, "a", T0.plusSeconds(26), TTL),
        "the old holder renews nothing");
    reopen();
    assertEquals(b, store.leaseRecords().current().orElseThrow());
  }

  @Test
  void aNewHolderRecordsItsStateFolder() throws Exception {
    store.leaseRecords().acquire("a", claim("ctl-a:8443", "c"), T0, TTL);
    Lease b = store.leaseRecords().acquire("b",
        new Claim("ctl-b:8443", "c", "id-b", "ctl-b:/srv/failback"), T0.plus(TTL), TTL);
    assertEquals(List.of("id-b", "ctl-b:/srv/failback"), List.of(b.stateId(), b.stateDir()));
    reopen();
    assertEquals(b, store.leaseRecords().current().orElseThrow());
  }

  @Test
  void leaseTimesAreTheDatabaseServersClock() throws Exception {
    // The one clock every controller reads lease times on; here it is this machine's too.
    long before = System.currentTimeMillis();
    Instant database = store.leaseRecords().databaseTime();
    long after = System.currentTimeMillis();
    assertTrue(database.toEpochMilli() >= before - 1000 && database.toEpochMilli() <= after + 1000,
        before + " <= " + database.toEpochMilli() + " <= " + after);
    assertTrue(store.leaseRecords().databaseTime().compareTo(database) >= 0, "it went back");
  }

  @Test
  void aReleasedLeaseIsTakenAtOnce() throws Exception {
    store.leaseRecords().acquire("a", claim("ctl-a:8443", "c"), T0, TTL);
    store.leaseRecords().release(1, "a");
    assertEquals(2, store.leaseRecords()
        .acquire("b", claim("ctl-b:8443", "c"), T0.plusSeconds(1), TTL).term());
  }

  @Test
  void aControllerThatLostItsLeaseWritesNothingMore() throws Exception {
    Lease a = store.leaseRecords().acquire("a", claim("ctl-a:8443", "c"), T0, TTL);
    store.fence(new ControllerStore.Fence(a.term(), "a"));
    store.hostFenceRecords().fence("hv01", T0, "op", "written while active");
    try (ControllerStore other = ControllerStore.open(location)) {
      Lease b = other.leaseRecords()
          .acquire("b", claim("ctl-b:8443", "c"), T0.plus(TTL), TTL);
      other.fence(new ControllerStore.Fence(b.term(), "b"));

      LeaseLostException lost = assertThrows(LeaseLostException.class,
          () -> store.hostFenceRecords().fence("hv02", T0, "op", "written after the takeover"));
      assertTrue(lost.getMessage().contains("taken over by the controller at ctl-b:8443 (term 2)"),
          lost.getMessage());
      assertThrows(LeaseLostException.class, () -> store.hostRecords().hosts());
      assertEquals(List.of("hv01"), other.hostFenceRecords().fences(null).stream()
          .map(HostFenceRecords.Fence::hostName).toList());
      other.hostFenceRecords().fence("hv03", T0, "op", "the new holder writes");
      assertEquals(2, other.hostFenceRecords().fences(null).size());
    }
  }

  /**
   * A takeover waits for a transaction of the old holder that passed the check before it: the
   * old holder's write lands before the new term, never after it.
   */
  @Test
  void aTakeoverWaitsForTheOldHoldersTransactionInFlight() throws Exception {
    Assumptions.assumeTrue(backend == Backend.POSTGRESQL, "SQLite has one writer by design");
    store.leaseRecords().acquire("a", claim("ctl-a:8443", "c"), T0, TTL);
    store.fence(new ControllerStore.Fence(1, "a"));
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<Integer> paused = CompletableFuture.supplyAsync(() -> {
      try {
        return store.inTransaction("a paused write", tx -> {
          inside.countDown();
          try {
            finish.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new java.sql.SQLException(e);
          }
          try (var statement = tx.createStatement()) {
            return statement.executeUpdate("INSERT INTO host_fences VALUES ('hv01', 0, 'a',"
                + " 'the paused holder')");
          }
        });
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(inside.await(30, TimeUnit.SECONDS));
    try (ControllerStore other = ControllerStore.open(location)) {
      CompletableFuture<Lease> takeover = CompletableFuture.supplyAsync(() -> {
        try {
          return other.leaseRecords()
              .acquire("b", claim("ctl-b:8443", "c"), T0.plus(TTL), TTL);
        } catch (StoreException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitALockWait();
      assertFalse(takeover.isDone(), "the takeover did not wait for the write in flight");
      finish.countDown();
      assertEquals(1, paused.get(30, TimeUnit.SECONDS));
      assertEquals(2, takeover.get(30, TimeUnit.SECONDS).term());
      assertThrows(LeaseLostException.class, () -> store.hostRecords().hosts());
    }
  }

  /** Waits until a PostgreSQL session waits for a row lock. */
  private static Claim claim(String address, String cloud) {
    return new Claim(address, cloud, "id-" + address, address + ":/var/lib/failback");
  }

  private void awaitALockWait() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Integer.parseInt(queryString("SELECT count(*) FROM pg_stat_activity"
        + " WHERE wait_event_type = 'Lock'")) == 0) {
      assertTrue(System.nanoTime() < deadline, "nobody waits for the lease row");
      Thread.sleep(20);
    }
  }
}
