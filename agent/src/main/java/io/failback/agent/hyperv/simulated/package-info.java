/**
 * The simulated Hyper-V host: a directory of JSON definitions and real disk image files that
 * stands in for a Hyper-V host in demos and tests ({@code agent/SIMULATED-HOST.md}).
 */
package io.failback.agent.hyperv.simulated;
