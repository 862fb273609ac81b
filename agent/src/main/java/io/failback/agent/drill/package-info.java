/**
 * Failback drills on this host: the throw-away VMs the controller's TestFailback syncs into and
 * starts isolated, and their removal.
 */
package io.failback.agent.drill;
