package io.failback.controller.agents.boundary;

import io.failback.common.text.BoundedText;
import java.util.ArrayList;
import java.util.List;

/** The problems found in one message, kept to a bounded list and turned into one refusal. */
final class Problems {
  private final List<String> found = new ArrayList<>();
  private int count;
  private boolean tooLarge;

  void add(String field, String problem) {
    count++;
    if (found.size() < BoundedText.LIST_ITEMS) {
      found.add(field + " " + problem);
    }
  }

  void tooLarge(String field, String problem) {
    tooLarge = true;
    add(field, problem);
  }

  /** Throws when anything was found; names the first problems and counts the rest. */
  void throwIfAny(String what) throws AgentInputException {
    if (count == 0) {
      return;
    }
    StringBuilder message = new StringBuilder(what).append(" refused: ")
        .append(String.join("; ", found));
    if (count > found.size()) {
      message.append("; … and ").append(count - found.size()).append(" more problems");
    }
    throw new AgentInputException(tooLarge ? AgentInputException.Kind.TOO_LARGE
        : AgentInputException.Kind.INVALID, message.toString());
  }
}
