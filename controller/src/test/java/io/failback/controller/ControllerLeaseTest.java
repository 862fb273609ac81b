package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.LeaseRecords.Lease;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoreLocation;
import io.failback.controller.store.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Controllers sharing one PostgreSQL store: the active one holds the lease, and a standby must
 * drive the same cloud. The takeover itself: {@link ControllerKilledTakeoverTest}.
 */
class ControllerLeaseTest {
  private static final Duration TTL = Duration.ofSeconds(2);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theActiveControllerHoldsTheLeaseAndAStandbyOfAnotherCloudIsRefused() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture active = new ControllerFixture(dir);
    active.store = store;
    active.lease = new LeaseSettings("ctl-a.example:8443", TTL, false);
    cleanup.register(active.start());
    Lease held = lease(store);
    assertEquals(1, held.term());
    assertEquals("ctl-a.example:8443", held.address());
    assertTrue(held.cloud().startsWith("local-dir "), held.cloud());

    ControllerFixture other = new ControllerFixture(active);
    other.cloud = new CloudChoice(CloudChoice.Kind.LOCAL_DIR, dir.resolve("elsewhere"),
        "qemu:///system", "kvm", Duration.ofMinutes(1));
    StoreException e = assertThrows(StoreException.class, () -> other.start(TakeoverRig.freePort()));

    assertTrue(e.getMessage().contains("a standby must drive the same cloud"), e.getMessage());
    assertTrue(e.getMessage().contains("ctl-a.example:8443"), e.getMessage());
    // The active renews its lease meanwhile (expiresAt moves); nothing else may change.
    Lease after = lease(store);
    assertEquals(List.of(held.term(), held.holder(), held.address(), held.cloud(),
        held.acquiredAt()), List.of(after.term(), after.holder(), after.address(), after.cloud(),
        after.acquiredAt()), "the refused standby changed the lease");
  }

  @Test
  void aCleanStopReleasesTheLeaseForTheNextController() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture first = new ControllerFixture(dir);
    first.store = store;
    first.lease = new LeaseSettings("", Duration.ofMinutes(10), false);
    first.start();
    first.close();

    // Without the release the next start would wait ten minutes as a standby.
    ControllerFixture next = cleanup.register(new ControllerFixture(first).start());
    assertEquals(2, lease(store).term());
    assertTrue(next.server.port() > 0);
  }

  private static Lease lease(StoreLocation store) throws StoreException {
    try (ControllerStore reader = ControllerStore.open(store)) {
      return reader.leaseRecords().current().orElseThrow();
    }
  }
}
