package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import io.failback.controller.store.TestDatabases.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class ProtectedItemRecordsTest extends StoreTestBase {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  private static ProtectedItem item(String vmId, ProtectionState state) {
    return ProtectedItem.newBuilder().setVmId(vmId).setVmName("web-01").setOnPremHost("hv01")
        .setState(state).setGeneration(1).build();
  }

  @Test
  void insertedItemIsReadBackWholeAfterReopen() throws Exception {
    ProtectedItem item = item("VM-1", ProtectionState.UNPROTECTED);
    assertTrue(store.protectedItemRecords().insert(item, T0));
    reopen();
    assertEquals(Optional.of(item), store.protectedItemRecords().get("VM-1"));
    assertEquals(List.of(item), store.protectedItemRecords().list());
    assertEquals("UNPROTECTED",
        queryString("SELECT state FROM protected_items"));
    assertEquals(T0.toEpochMilli(),
        Long.parseLong(queryString("SELECT updated_at FROM protected_items")));
  }

  @Test
  void vmIdsCompareCaseInsensitivelyAndASecondInsertChangesNothing() throws Exception {
    ProtectedItem item = item("ABC-1", ProtectionState.UNPROTECTED);
    assertTrue(store.protectedItemRecords().insert(item, T0));

    assertFalse(store.protectedItemRecords().insert(item("abc-1", ProtectionState.PROTECTED), T0));
    assertEquals(Optional.of(item), store.protectedItemRecords().get("abc-1"));
  }

  @Test
  void updateWritesTheMutationsResultAndTheStateColumn() throws Exception {
    store.protectedItemRecords().insert(item("vm-1", ProtectionState.UNPROTECTED), T0);

    Optional<ProtectedItem> updated = store.protectedItemRecords().update("vm-1",
        T0.plusSeconds(5), current -> current.toBuilder()
            .setState(ProtectionState.INITIAL_REPLICATION).build());

    assertEquals(ProtectionState.INITIAL_REPLICATION, updated.orElseThrow().getState());
    assertEquals(updated, store.protectedItemRecords().get("vm-1"));
    assertEquals("INITIAL_REPLICATION",
        queryString("SELECT state FROM protected_items"));
  }

  @Test
  void refusingMutationRollsBackAndItsExceptionComesOutAsIs() throws Exception {
    ProtectedItem item = item("vm-1", ProtectionState.UNPROTECTED);
    store.protectedItemRecords().insert(item, T0);
    Exception refusal = new Exception("no");

    Exception thrown = assertThrows(Exception.class,
        () -> store.protectedItemRecords().update("vm-1", T0, current -> {
          throw refusal;
        }));

    assertSame(refusal, thrown);
    assertEquals(Optional.of(item), store.protectedItemRecords().get("vm-1"));
  }

  @Test
  void updateOfAMissingItemIsEmptyWithoutCallingTheMutation() throws Exception {
    Optional<ProtectedItem> updated = store.protectedItemRecords().update("nope", T0, current -> {
      throw new AssertionError("called");
    });
    assertTrue(updated.isEmpty());
  }

  @Test
  void mutationMayNotChangeTheVmId() throws Exception {
    store.protectedItemRecords().insert(item("vm-1", ProtectionState.UNPROTECTED), T0);
    assertThrows(IllegalArgumentException.class, () -> store.protectedItemRecords()
        .update("vm-1", T0, current -> current.toBuilder().setVmId("vm-2").build()));
    assertTrue(store.protectedItemRecords().get("vm-2").isEmpty());
  }
}
