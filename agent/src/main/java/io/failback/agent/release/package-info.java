/**
 * The end of Failback's protection of a VM on this host: what the agent kept to replicate it
 * (read points, reference points, digest sets) is removed; the VM and its disks are not.
 */
package io.failback.agent.release;
