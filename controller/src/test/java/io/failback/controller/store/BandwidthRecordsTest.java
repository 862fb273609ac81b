package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.store.BandwidthRecords.Limit;
import io.failback.controller.store.BandwidthRecords.Scope;
import io.failback.controller.store.TestDatabases.Backend;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class BandwidthRecordsTest extends StoreTestBase {
  private static final Instant AT = Instant.parse("2026-12-04T08:00:00Z");

  @Test
  void limitsByScopeAreReplacedRemovedAndOutliveARestart() throws Exception {
    BandwidthRecords limits = store.bandwidthRecords();
    limits.put(new Limit(Scope.HOST, "HV-01", "100Mbit/s", "ops", AT));
    limits.put(new Limit(Scope.GLOBAL, "", "Mon-Fri 08:00-18:00=1Gbit/s, unlimited", "ops", AT));
    limits.put(new Limit(Scope.JOB, "job-1", "8Mbit/s", "ops", AT));
    limits.put(new Limit(Scope.HOST, "hv-01", "200Mbit/s", "alice", AT.plusSeconds(60)));
    reopen();
    List<Limit> all = store.bandwidthRecords().all();
    assertEquals(List.of(
        new Limit(Scope.GLOBAL, "", "Mon-Fri 08:00-18:00=1Gbit/s, unlimited", "ops", AT),
        new Limit(Scope.HOST, "hv-01", "200Mbit/s", "alice", AT.plusSeconds(60)),
        new Limit(Scope.JOB, "job-1", "8Mbit/s", "ops", AT)), all);
    assertTrue(store.bandwidthRecords().remove(Scope.JOB, "job-1"));
    assertFalse(store.bandwidthRecords().remove(Scope.JOB, "job-1"));
    assertEquals(2, store.bandwidthRecords().all().size());
  }

  @Test
  void aScopeAndItsNameMustAgree() {
    BandwidthRecords limits = store.bandwidthRecords();
    assertThrows(IllegalArgumentException.class,
        () -> limits.put(new Limit(Scope.GLOBAL, "x", "1Gbit/s", "ops", AT)));
    assertThrows(IllegalArgumentException.class,
        () -> limits.put(new Limit(Scope.HOST, "", "1Gbit/s", "ops", AT)));
  }
}
