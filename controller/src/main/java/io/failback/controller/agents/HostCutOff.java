package io.failback.controller.agents;

/** Ends every open stream of a host now: its control stream and its sync data streams. */
@FunctionalInterface
public interface HostCutOff {
  void cut(String hostName, String reason);
}
