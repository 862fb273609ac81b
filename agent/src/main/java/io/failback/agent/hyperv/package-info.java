/**
 * The agent's view of its hypervisor, shared by every driver: {@link
 * io.failback.agent.hyperv.HypervisorDriver} and the value types and helpers that only use it.
 *
 * <p>Drivers live in sub-packages ({@code powershell} for Hyper-V, {@code simulated} for the
 * simulated host); the agent's own bookkeeping about the VMs it manages (inconsistency marks,
 * fencing generations, open read points) lives in {@code state}, on the agent's disk, whatever
 * the driver.
 */
package io.failback.agent.hyperv;
