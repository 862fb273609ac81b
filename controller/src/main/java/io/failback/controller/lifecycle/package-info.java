/**
 * The DR lifecycle: the protected-item state machine ({@link
 * io.failback.controller.lifecycle.Transitions}, enforced by {@link
 * io.failback.controller.lifecycle.ProtectedItems}) and the jobs that operators follow ({@link
 * io.failback.controller.lifecycle.Jobs}).
 *
 * <p>Transport-free: nothing here imports gRPC; the adapters in {@code controller.grpc} map
 * {@link io.failback.controller.lifecycle.NotFoundException} and {@link
 * io.failback.controller.lifecycle.IllegalTransitionException} to status codes.
 */
package io.failback.controller.lifecycle;
