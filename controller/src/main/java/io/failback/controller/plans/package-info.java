/**
 * Recovery plans: named, ordered groups of protected VMs that fail over and back together.
 *
 * <p>{@link io.failback.controller.plans.RecoveryPlans} validates and stores the definitions;
 * the lifecycle resolves a plan with {@link io.failback.controller.plans.RecoveryPlans#require}
 * when an operator acts on it. Transport-free: nothing here imports gRPC; the adapter in {@code
 * controller.grpc} maps each {@link io.failback.controller.plans.RecoveryPlanException.Reason}
 * to a status code.
 */
package io.failback.controller.plans;
