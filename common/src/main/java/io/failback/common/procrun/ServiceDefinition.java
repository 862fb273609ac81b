package io.failback.common.procrun;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What makes one Failback component's Windows service its own; the names follow from {@code
 * component} ({@code agent}: service {@code FailbackAgent}, display name {@code Failback Agent},
 * jar and log prefix {@code failback-agent}).
 *
 * @param component the component's name in lower case, e.g. {@code agent}
 * @param description what the Services console shows
 * @param entryPoint the class whose static {@code start(String[])} and {@code stop(String[])}
 *     procrun calls; its jar is in the installation's {@code lib\}
 * @param runArgs the component's arguments before {@code --config FILE}, e.g. {@code run}
 * @param dependsOn services that must run before this one
 * @param stopWait how long a stop may take before the component stops waiting for it; procrun's
 *     {@code --StopTimeout} is longer, so procrun kills the JVM only after that
 * @param defaultUser the account the service runs as unless told otherwise
 * @param userRights what that account needs, for the {@code --service-user} help
 * @param maxHeapMib the JVM's largest heap in MiB ({@code --JvmMx}), or 0 for the JVM's default
 *     (a quarter of the machine's memory)
 */
public record ServiceDefinition(String component, String description, Class<?> entryPoint,
    List<String> runArgs, List<String> dependsOn, Duration stopWait, String defaultUser,
    String userRights, int maxHeapMib) {
  public ServiceDefinition {
    checkArgument(component.matches("[a-z]+"), "component '%s' must be lower-case letters",
        component);
    checkArgument(maxHeapMib >= 0, "maxHeapMib must be 0 or more, got %s", maxHeapMib);
    runArgs = List.copyOf(runArgs);
    dependsOn = List.copyOf(dependsOn);
  }

  /** The service's key name ({@code sc query NAME}), e.g. {@code FailbackAgent}. */
  public String serviceName() {
    return "Failback" + capitalized();
  }

  /** The name the Services console shows, e.g. {@code Failback Agent}. */
  public String displayName() {
    return "Failback " + capitalized();
  }

  /** The component's jar and launcher name, e.g. {@code failback-agent}. */
  public String artifact() {
    return "failback-" + component;
  }

  /** The arguments the service runs the component with. */
  public List<String> arguments(String configFile) {
    List<String> arguments = new ArrayList<>(runArgs);
    arguments.add("--config");
    arguments.add(configFile);
    return arguments;
  }

  private String capitalized() {
    return component.substring(0, 1).toUpperCase(Locale.ROOT) + component.substring(1);
  }
}
