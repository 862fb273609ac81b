/**
 * Recovery plans: named, ordered groups of protected VMs that fail over and back together.
 *
 * <p>{@link io.failback.controller.plans.RecoveryPlans} validates and stores the definitions,
 * and is the lifecycle's {@link io.failback.controller.lifecycle.RecoveryPlanLookup}: the
 * lifecycle declares what it needs, so it never depends on this package. Transport-free:
 * nothing here imports gRPC; the adapter in {@code controller.grpc} maps each {@link
 * io.failback.controller.plans.RecoveryPlanException.Reason} to a status code.
 */
package io.failback.controller.plans;
