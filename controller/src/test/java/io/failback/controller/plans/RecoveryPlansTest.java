package io.failback.controller.plans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.MutableClock;
import io.failback.controller.lifecycle.JobTransitions;
import io.failback.controller.lifecycle.NotFoundException;
import io.failback.controller.lifecycle.PlanRemoval;
import io.failback.controller.lifecycle.PlanRemoval.Outcome;
import io.failback.controller.lifecycle.Targets;
import io.failback.controller.plans.RecoveryPlanException.Reason;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** CRUD and every rule of {@link RecoveryPlans}, against a real store. */
class RecoveryPlansTest {
  private static final String DB = "4B3C-DB";
  private static final String APP = "77AA-APP";
  private static final String WEB = "0F1E-WEB";

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2025-03-01T10:00:00Z"));
  private ControllerStore store;
  private RecoveryPlans plans;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    for (String vmId : List.of(DB, APP, WEB)) {
      store.protectedItemRecords().insert(ProtectedItem.newBuilder().setVmId(vmId)
          .setVmName(vmId.substring(5).toLowerCase()).setOnPremHost("hv-01")
          .setState(ProtectionState.FAILED_OVER).setGeneration(2).build(), clock.instant());
    }
    plans = new RecoveryPlans(store.recoveryPlanRecords(), store.protectedItemRecords(),
        store.jobRecords(), clock);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private static RecoveryPlanGroup.Builder group(String... vmIds) {
    return RecoveryPlanGroup.newBuilder().addAllVmIds(List.of(vmIds));
  }

  private static RecoveryPlan plan(String name, RecoveryPlanGroup.Builder... groups) {
    RecoveryPlan.Builder plan = RecoveryPlan.newBuilder().setName(name);
    for (RecoveryPlanGroup.Builder group : groups) {
      plan.addGroups(group);
    }
    return plan.build();
  }

  /** A three-tier plan: database, then app after 5 min and a manual check, then web. */
  private static RecoveryPlan tiers(String name) {
    return plan(name, group(DB), group(APP).setDelayAfter(Durations.fromMinutes(5))
        .setManualAction("check the app logs"), group(WEB));
  }

  /** Asserts that {@code call} is refused for {@code reason} and that no plan changed. */
  private RecoveryPlanException assertRefused(Reason reason, String message, Executable call)
      throws Exception {
    List<RecoveryPlan> before = plans.list();
    RecoveryPlanException e = assertThrows(RecoveryPlanException.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertEquals(before, plans.list());
    return e;
  }

  private void insertJob(String id, JobState state, String recoveryPlan) throws Exception {
    store.jobRecords().insert(Job.newBuilder().setId(id).setKind("PlannedFailover")
        .setState(state).setRecoveryPlan(recoveryPlan).addVmIds(DB).build());
  }

  @Test
  void createStoresCanonicalVmIdsAndGetFindsTheNameInAnyCase() throws Exception {
    RecoveryPlan created = plans.create(plan("Three-Tier", group(DB.toLowerCase()),
        group(APP).setDelayAfter(Durations.fromMinutes(5)).setManualAction("check the app logs"),
        group(WEB.toLowerCase()).setDelayAfter(Durations.ZERO)));

    assertEquals(tiers("Three-Tier"), created);
    assertEquals(created, plans.get("three-tier"));
    assertEquals(created, plans.require("THREE-TIER"));
    assertEquals(List.of(created), plans.list());
  }

  @Test
  void nameMustBeOneToSixtyFourLettersDigitsDotsUnderscoresOrDashes() throws Exception {
    assertRefused(Reason.INVALID, "name is empty", () -> plans.create(tiers("")));
    assertRefused(Reason.INVALID, "name 'web tier' is not a valid recovery plan name: use 1 to"
        + " 64 letters, digits", () -> plans.create(tiers("web tier")));
    assertRefused(Reason.INVALID, "name 'wéb'", () -> plans.create(tiers("wéb")));
    assertRefused(Reason.INVALID, "name has 65 characters; a recovery plan name has at most 64",
        () -> plans.create(tiers("a".repeat(65))));

    String longest = "A.b_c-9" + "z".repeat(57);
    assertEquals(longest, plans.create(tiers(longest)).getName());
  }

  @Test
  void planNeedsAtLeastOneGroup() throws Exception {
    assertRefused(Reason.INVALID, "recovery plan 'empty' has no groups",
        () -> plans.create(plan("empty")));
  }

  @Test
  void everyGroupNeedsAtLeastOneVm() throws Exception {
    assertRefused(Reason.INVALID, "group 2 has no VMs",
        () -> plans.create(plan("p", group(DB), group(), group(WEB))));
    assertRefused(Reason.INVALID, "group 1: VM id number 2 is empty",
        () -> plans.create(plan("p", group(DB, ""))));
  }

  @Test
  void everyVmMustBeAProtectedItem() throws Exception {
    assertRefused(Reason.INVALID, "group 2: vm 'nope' is not a protected item; list them with"
        + " ListProtectedItems", () -> plans.create(plan("p", group(DB), group(APP, "nope"))));
    assertRefused(Reason.INVALID,
        "group 1: vm '" + "x".repeat(64) + "'… (5000 characters) is not",
        () -> plans.create(plan("p", group("x".repeat(5000)))));
  }

  @Test
  void aVmIsInOneGroupOnlyWhateverTheCase() throws Exception {
    assertRefused(Reason.INVALID, "group 3: vm '4b3c-db' is already in group 1",
        () -> plans.create(plan("p", group(DB), group(APP), group("4b3c-db"))));
    assertRefused(Reason.INVALID, "group 1: vm '0F1E-WEB' is already in group 1",
        () -> plans.create(plan("p", group(WEB, WEB))));
  }

  @Test
  void delayAfterIsBetweenZeroAndTwentyFourHours() throws Exception {
    assertRefused(Reason.INVALID, "group 1: delay_after -1s is negative",
        () -> plans.create(plan("p", group(DB).setDelayAfter(Durations.fromSeconds(-1)))));
    assertRefused(Reason.INVALID, "group 2: delay_after 86400.001s is longer than 24 h",
        () -> plans.create(plan("p", group(DB),
            group(WEB).setDelayAfter(Durations.fromMillis(86_400_001)))));
    assertRefused(Reason.INVALID, "group 1: delay_after is not a valid duration",
        () -> plans.create(plan("p", group(DB).setDelayAfter(
            com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(-5)))));

    RecoveryPlan day = plans.create(plan("p", group(DB).setDelayAfter(Durations.fromHours(24))));
    assertEquals(Durations.fromHours(24), day.getGroups(0).getDelayAfter());
  }

  @Test
  void manualActionIsAtMostAThousandCharactersAndNotBlank() throws Exception {
    assertRefused(Reason.INVALID, "group 1: manual_action has 1001 characters; at most 1000",
        () -> plans.create(plan("p", group(DB).setManualAction("x".repeat(1001)))));
    assertRefused(Reason.INVALID, "group 1: manual_action is blank",
        () -> plans.create(plan("p", group(DB).setManualAction("  \n"))));

    // Characters, not UTF-16 units: 1000 emoji are 2000 chars in Java.
    String thousand = "\uD83D\uDE80".repeat(1000);
    assertEquals(thousand, plans.create(plan("p", group(DB).setManualAction(thousand)))
        .getGroups(0).getManualAction());
  }

  @Test
  void createOfAnExistingNameInAnyCaseIsAlreadyExists() throws Exception {
    plans.create(tiers("Tier"));
    assertRefused(Reason.ALREADY_EXISTS, "recovery plan 'Tier' already exists; change it with"
        + " UpdateRecoveryPlan", () -> plans.create(plan("TIER", group(WEB))));
  }

  @Test
  void missingPlanIsNotFoundNamingThePlansThatExist() throws Exception {
    assertRefused(Reason.NOT_FOUND, "name 'nope' names no recovery plan; there are none yet",
        () -> plans.get("nope"));
    plans.create(tiers("beta"));
    plans.create(plan("Alpha", group(WEB)));

    assertRefused(Reason.NOT_FOUND, "recovery_plan 'nope' names no recovery plan; the plans"
        + " are Alpha, beta", () -> plans.require("nope"));
    assertRefused(Reason.NOT_FOUND, "name 'nope'", () -> plans.update(tiers("nope")));
    assertRefused(Reason.NOT_FOUND, "name 'nope'", () -> plans.delete("nope"));
    assertRefused(Reason.INVALID, "recovery_plan is empty", () -> plans.require(""));
  }

  @Test
  void updateReplacesTheGroupsAndKeepsTheStoredSpelling() throws Exception {
    plans.create(tiers("Tier"));

    RecoveryPlan updated = plans.update(plan("TIER", group(WEB.toLowerCase(), DB)));

    RecoveryPlan expected = plan("Tier", group(WEB, DB));
    assertEquals(expected, updated);
    assertEquals(List.of(expected), plans.list());
    assertRefused(Reason.INVALID, "group 1: vm 'nope'",
        () -> plans.update(plan("Tier", group("nope"))));
  }

  @Test
  void deleteRemovesThePlan() throws Exception {
    plans.create(tiers("Tier"));
    plans.create(plan("other", group(WEB)));

    plans.delete("tier");

    assertEquals(List.of("other"), plans.list().stream().map(RecoveryPlan::getName).toList());
  }

  @Test
  void updateAndDeleteAreRefusedWhileAnUnfinishedJobRunsThePlan() throws Exception {
    plans.create(tiers("Tier"));
    insertJob("done", JobState.JOB_SUCCEEDED, "Tier");
    insertJob("other", JobState.JOB_RUNNING, "other-plan");
    for (JobState state : List.of(JobState.JOB_QUEUED, JobState.JOB_RUNNING,
        JobState.JOB_WAITING)) {
      String id = "job-" + state;
      insertJob(id, state, "tier");

      assertRefused(Reason.IN_USE, "cannot delete recovery plan 'Tier': job " + id
          + " (PlannedFailover, " + state + ") runs it; wait for the job to end or cancel it",
          () -> plans.delete("Tier"));
      assertRefused(Reason.IN_USE, "cannot change recovery plan 'Tier': job " + id,
          () -> plans.update(plan("Tier", group(WEB))));

      store.jobRecords().update(id, job -> job.toBuilder().setState(JobState.JOB_FAILED)
          .build());
    }
    assertEquals(plan("Tier", group(WEB)), plans.update(plan("Tier", group(WEB))));
    plans.delete("Tier");
    assertEquals(List.of(), plans.list());
  }

  /**
   * A VM whose protection ended leaves every plan: its group goes if it was alone there, the
   * plan if it named no other VM; a plan another job runs is kept, the job's own is not.
   */
  @Test
  void removeVmTakesItOutOfEveryPlanDroppingWhatItLeavesEmpty() throws Exception {
    plans.create(tiers("Tiers"));
    plans.create(plan("pair", group(DB, APP.toLowerCase()), group(WEB)));
    plans.create(plan("app-only", group(APP)));
    plans.create(plan("busy", group(APP, WEB)));
    plans.create(plan("web", group(WEB)));
    insertJob("other", JobState.JOB_WAITING, "busy");
    insertJob("mine", JobState.JOB_RUNNING, "app-only");

    List<PlanRemoval> removals = plans.removeVm(APP.toLowerCase(), "mine");

    assertEquals(List.of(
        new PlanRemoval("app-only", Outcome.PLAN_DELETED, ""),
        new PlanRemoval("busy", Outcome.KEPT, "job other (PlannedFailover, JOB_WAITING) runs it"),
        new PlanRemoval("pair", Outcome.REMOVED, ""),
        new PlanRemoval("Tiers", Outcome.REMOVED, "; its group 2 named only this VM and"
            + " went with its delay and manual action")), removals);
    assertEquals(List.of("busy", "pair", "Tiers", "web"),
        plans.list().stream().map(RecoveryPlan::getName).toList());
    assertEquals(plan("Tiers", group(DB), group(WEB)), plans.get("tiers"));
    assertEquals(plan("pair", group(DB), group(WEB)), plans.get("pair"));
    assertEquals(plan("busy", group(APP, WEB)), plans.get("busy"));
    assertEquals(plan("web", group(WEB)), plans.get("web"));
    assertEquals(List.of("busy"), plans.plansNaming(APP));
    assertEquals(List.of(), plans.removeVm("7-NOT-IN-ANY", "mine"));
  }

  @Test
  void targetsAreTheStoredGroupsInOrderUnderTheStoredName() throws Exception {
    plans.create(tiers("Tier").toBuilder().setGroups(0, group(DB.toLowerCase())).build());

    assertEquals(new Targets("Tier", List.of(
        new Targets.Group(List.of(DB), Duration.ZERO, ""),
        new Targets.Group(List.of(APP), Duration.ofMinutes(5), "check the app logs"),
        new Targets.Group(List.of(WEB), Duration.ZERO, ""))), plans.targets("TIER"));
    NotFoundException missing = assertThrows(NotFoundException.class,
        () -> plans.targets("nope"));
    assertEquals("recovery_plan 'nope' names no recovery plan; the plans are Tier",
        missing.getMessage());
    assertThrows(NotFoundException.class, () -> plans.targets("no such plan"));
  }

  @Test
  void unfinishedStatesAreTheLifecycles() {
    assertEquals(JobTransitions.unfinished(), RecoveryPlans.UNFINISHED);
  }
}
