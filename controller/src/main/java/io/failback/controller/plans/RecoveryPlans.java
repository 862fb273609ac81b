package io.failback.controller.plans;

import static io.failback.controller.plans.RecoveryPlanException.Reason.ALREADY_EXISTS;
import static io.failback.controller.plans.RecoveryPlanException.Reason.IN_USE;
import static io.failback.controller.plans.RecoveryPlanException.Reason.NOT_FOUND;
import static java.util.Objects.requireNonNull;

import io.failback.controller.lifecycle.NotFoundException;
import io.failback.controller.lifecycle.PlanRemoval;
import io.failback.controller.lifecycle.RecoveryPlanLookup;
import io.failback.controller.lifecycle.Targets;
import io.failback.controller.store.JobRecords;
import io.failback.controller.store.ProtectedItemRecords;
import io.failback.controller.store.RecoveryPlanRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.RecoveryPlan;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The recovery plans: validated, stored, and resolved for the lifecycle.
 *
 * <p>A stored plan names each VM by its protected item's own id, whatever case the caller used;
 * plan names compare case-insensitively and keep the spelling they were created with. The
 * protected items and jobs are only read here.
 *
 * <p>Update and delete check for unfinished jobs and then write, in two store transactions: a
 * job started in between has already resolved the plan through {@link #require} and runs the
 * groups it got, so it is never left with a half-written plan.
 */
public final class RecoveryPlans implements RecoveryPlanLookup {
  /** Jobs in these states still act on their plan; a test pins it to JobTransitions. */
  static final Set<JobState> UNFINISHED =
      EnumSet.of(JobState.JOB_QUEUED, JobState.JOB_RUNNING, JobState.JOB_WAITING);
  /** At most this many plan names are listed in a NOT_FOUND message. */
  private static final int NAMES_LISTED = 20;

  private final RecoveryPlanRecords plans;
  private final ProtectedItemRecords items;
  private final JobRecords jobs;
  private final Clock clock;

  public RecoveryPlans(RecoveryPlanRecords plans, ProtectedItemRecords items, JobRecords jobs,
      Clock clock) {
    this.plans = requireNonNull(plans, "plans");
    this.items = requireNonNull(items, "items");
    this.jobs = requireNonNull(jobs, "jobs");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Stores a new plan.
   *
   * @return the plan as stored
   * @throws RecoveryPlanException INVALID if it breaks a rule, ALREADY_EXISTS if the name (in
   *     any case) is taken
   */
  public RecoveryPlan create(RecoveryPlan plan) throws RecoveryPlanException, StoreException {
    RecoveryPlan canonical = PlanRules.canonical(plan, items.list());
    if (!plans.insert(canonical, clock.instant())) {
      String existing = plans.get(plan.getName()).map(RecoveryPlan::getName)
          .orElse(plan.getName());
      throw new RecoveryPlanException(ALREADY_EXISTS, "recovery plan '" + existing
          + "' already exists; change it with UpdateRecoveryPlan or choose another name");
    }
    applyRpoTarget(canonical);
    return canonical;
  }

  /**
   * Sets the plan's RPO target, which its VMs have (SetRpoTarget sets theirs) and VMs added to
   * it later get; its jobs are not disturbed.
   */
  public RecoveryPlan setRpoTarget(String name, Duration target)
      throws RecoveryPlanException, StoreException {
    RecoveryPlan current = find("recovery_plan", name);
    com.google.protobuf.Duration checked = PlanRules.checkRpoTarget(
        com.google.protobuf.util.Durations.fromMillis(target.toMillis()));
    Optional<RecoveryPlan> updated = plans.update(current.getName(), clock.instant(),
        stored -> stored.toBuilder().setRpoTarget(checked).build());
    if (updated.isEmpty()) {
      throw notFound("recovery_plan", name);
    }
    return updated.get();
  }

  /**
   * Sets the plan's bandwidth schedule (checked by the caller; empty removes it); allowed while
   * a job runs the plan, whose transfers keep to it from the next second.
   */
  public RecoveryPlan setBandwidthLimit(String name, String schedule)
      throws RecoveryPlanException, StoreException {
    RecoveryPlan current = find("name", name);
    Optional<RecoveryPlan> updated = plans.update(current.getName(), clock.instant(),
        stored -> stored.toBuilder().setBandwidthLimit(schedule).build());
    if (updated.isEmpty()) {
      throw notFound("name", name);
    }
    return updated.get();
  }

  @Override
  public void rememberRpoTarget(String planName, Duration target)
      throws NotFoundException, StoreException {
    try {
      setRpoTarget(planName, target);
    } catch (RecoveryPlanException e) {
      throw new NotFoundException(e.getMessage());
    }
  }

  /** Gives every VM of the plan the plan's RPO target, if it has one. */
  private void applyRpoTarget(RecoveryPlan plan) throws StoreException {
    if (!plan.hasRpoTarget()) {
      return;
    }
    for (var group : plan.getGroupsList()) {
      for (String vmId : group.getVmIdsList()) {
        items.update(vmId, clock.instant(),
            item -> item.toBuilder().setRpoTarget(plan.getRpoTarget()).build());
      }
    }
  }

  /** The plan with this name (in any case), for GetRecoveryPlan. */
  public RecoveryPlan get(String name) throws RecoveryPlanException, StoreException {
    return find("name", name);
  }

  /** Every plan, sorted by name regardless of case. */
  public List<RecoveryPlan> list() throws StoreException {
    return plans.list();
  }

  /**
   * Replaces the groups of an existing plan; its name keeps the stored spelling.
   *
   * @return the plan as stored
   * @throws RecoveryPlanException INVALID, NOT_FOUND, or IN_USE while an unfinished job runs it
   */
  public RecoveryPlan update(RecoveryPlan plan) throws RecoveryPlanException, StoreException {
    RecoveryPlan canonical = PlanRules.canonical(plan, items.list());
    RecoveryPlan current = find("name", plan.getName());
    requireUnused(current.getName(), "change");
    // An update that names no RPO target keeps the plan's: its VMs keep theirs, and VMs it
    // adds get it.
    Optional<RecoveryPlan> updated = plans.update(current.getName(), clock.instant(),
        stored -> keepUnnamed(canonical.toBuilder().setName(stored.getName()), stored));
    if (updated.isEmpty()) {
      throw notFound("name", plan.getName());
    }
    applyRpoTarget(updated.get());
    return updated.get();
  }

  /** An update keeps the stored RPO target and bandwidth limit unless it names its own. */
  private static RecoveryPlan keepUnnamed(RecoveryPlan.Builder update, RecoveryPlan stored) {
    if (!update.hasRpoTarget() && stored.hasRpoTarget()) {
      update.setRpoTarget(stored.getRpoTarget());
    }
    if (update.getBandwidthLimit().isEmpty()) {
      update.setBandwidthLimit(stored.getBandwidthLimit());
    }
    return update.build();
  }

  /**
   * Deletes a plan.
   *
   * @throws RecoveryPlanException INVALID, NOT_FOUND, or IN_USE while an unfinished job runs it
   */
  public void delete(String name) throws RecoveryPlanException, StoreException {
    RecoveryPlan current = find("name", name);
    requireUnused(current.getName(), "delete");
    if (!plans.delete(current.getName())) {
      throw notFound("name", name);
    }
  }

  /**
   * Resolves the plan an operator's request names in {@code recovery_plan}, for the lifecycle.
   *
   * @return the plan as stored: VM ids are the protected items' own, groups in start order
   * @throws RecoveryPlanException INVALID if the name is empty or malformed, NOT_FOUND (naming
   *     the plans that exist) if there is no such plan
   */
  public RecoveryPlan require(String name) throws RecoveryPlanException, StoreException {
    return find("recovery_plan", name);
  }

  /** The names of the plans whose groups name VM {@code vmId}. */
  public List<String> plansNaming(String vmId) throws StoreException {
    return list().stream().filter(plan -> PlanMembership.names(plan, vmId))
        .map(RecoveryPlan::getName).toList();
  }

  @Override
  public List<PlanRemoval> removeVm(String vmId, String jobId) throws StoreException {
    List<PlanRemoval> removals = new ArrayList<>();
    for (String name : plansNaming(vmId)) {
      Optional<Job> runner = runner(name, jobId);
      removals.add(runner.isPresent()
          ? new PlanRemoval(name, PlanRemoval.Outcome.KEPT, "job " + runner.get().getId()
              + " (" + runner.get().getKind() + ", " + runner.get().getState() + ") runs it")
          : PlanMembership.remove(plans, name, vmId, clock.instant()));
    }
    return removals;
  }

  /**
   * The plan's groups for an action on the whole plan (a FailoverService request's {@code
   * recovery_plan}); {@link Targets#recoveryPlan()} is the plan's stored spelling.
   *
   * @throws NotFoundException if no plan has this name, naming the plans there are; also for a
   *     malformed name, with the rule it breaks
   */
  @Override
  public Targets targets(String planName) throws NotFoundException, StoreException {
    RecoveryPlan plan;
    try {
      plan = require(planName);
    } catch (RecoveryPlanException e) {
      throw new NotFoundException(e.getMessage());
    }
    return new Targets(plan.getName(), plan.getGroupsList().stream()
        .map(group -> new Targets.Group(group.getVmIdsList(),
            Duration.ofSeconds(group.getDelayAfter().getSeconds(),
                group.getDelayAfter().getNanos()),
            group.getManualAction()))
        .toList());
  }

  private RecoveryPlan find(String field, String name)
      throws RecoveryPlanException, StoreException {
    PlanRules.checkName(field, name);
    Optional<RecoveryPlan> plan = plans.get(name);
    if (plan.isEmpty()) {
      throw notFound(field, name);
    }
    return plan.get();
  }

  private RecoveryPlanException notFound(String field, String name) throws StoreException {
    List<String> names = plans.list().stream().map(RecoveryPlan::getName).toList();
    String known = names.isEmpty() ? "there are none yet; create one with CreateRecoveryPlan"
        : "the plans are " + names.stream().limit(NAMES_LISTED).collect(Collectors.joining(", "))
            + (names.size() > NAMES_LISTED ? " and " + (names.size() - NAMES_LISTED) + " more"
                : "");
    return new RecoveryPlanException(NOT_FOUND, field + " '" + name
        + "' names no recovery plan; " + known);
  }

  private void requireUnused(String name, String verb)
      throws RecoveryPlanException, StoreException {
    Optional<Job> runner = runner(name, "");
    if (runner.isPresent()) {
      Job job = runner.get();
      throw new RecoveryPlanException(IN_USE, "cannot " + verb + " recovery plan '" + name
          + "': job " + job.getId() + " (" + job.getKind() + ", " + job.getState()
          + ") runs it; wait for the job to end or cancel it with CancelJob, then retry");
    }
  }

  /** An unfinished job other than {@code exceptJobId} that runs the plan, if there is one. */
  private Optional<Job> runner(String name, String exceptJobId) throws StoreException {
    return jobs.listInStates(UNFINISHED).stream()
        .filter(job -> job.getRecoveryPlan().equalsIgnoreCase(name)
            && !job.getId().equals(exceptJobId))
        .findFirst();
  }
}
