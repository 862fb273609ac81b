/**
 * What the agent itself keeps on its disk about the VMs it manages, whatever the driver: marks
 * of inconsistent VMs, fencing generations, the read points it holds open; all written with
 * {@link io.failback.agent.hyperv.state.DurableFiles} so a crash leaves the old or the new
 * version, never a torn one.
 */
package io.failback.agent.hyperv.state;
