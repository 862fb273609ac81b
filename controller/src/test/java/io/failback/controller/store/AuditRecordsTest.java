package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.store.TestDatabases.Backend;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class AuditRecordsTest extends StoreTestBase {

  @Test
  void auditEventsCannotBeUpdatedOrDeletedEvenInSql() throws Exception {
    store.auditRecords().append(Instant.EPOCH, "spiffe://t/operator/a", "ff", "host.fence",
        "host/hv-01", "why");
    List<String> tampering = new ArrayList<>(List.of(
        "UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"));
    if (backend == Backend.POSTGRESQL) {
      tampering.add("TRUNCATE audit_events");
    }
    for (String sql : tampering) {
      StoreException refused = assertThrows(StoreException.class,
          () -> store.inTransaction("tamper", tx -> {
            try (var statement = tx.createStatement()) {
              return statement.executeUpdate(sql);
            }
          }), sql);
      assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    }
    var events = store.auditRecords().recent((String) null, 10);
    assertEquals(1, events.size());
    assertEquals("spiffe://t/operator/a", events.get(0).actor());
  }

  @Test
  void eventsAreNewestFirstWithIncreasingIds() throws Exception {
    for (int i = 0; i < 3; i++) {
      store.auditRecords().append(Instant.ofEpochMilli(i), "spiffe://t/operator/a", "ff",
          "vm.protect", "vm/vm-" + i, "");
    }
    reopen();
    var events = store.auditRecords().recent((String) null, 2);
    assertEquals(List.of("vm/vm-2", "vm/vm-1"), events.stream().map(e -> e.target()).toList());
  }
}
