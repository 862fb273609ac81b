package io.failback.controller.agents.boundary;

/**
 * The check of a Register's own fields, beside its inventory ({@link InventoryValidator}):
 * the agent instance id is stored with the host and compared whenever a sync session asks
 * whether its agent is still the one it was announced to.
 */
public final class RegisterValidator {
  private RegisterValidator() {}

  /** Refuses an instance id that is over-long or holds control characters; empty is old. */
  public static void checkInstanceId(String instanceId, String host)
      throws AgentInputException {
    Problems problems = new Problems();
    Fields.text(problems, "register.agent_instance_id", instanceId, 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    problems.throwIfAny("registration of host " + host);
  }
}
