package io.failback.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;

/** The example configurations in the release archives document every option of the agent. */
class ExampleConfigTest {
  private static final Set<String> NOT_IN_FILES = Set.of("help", "version", "config");

  @Test
  void everyRunOptionIsInBothExampleConfigurations() throws IOException {
    for (String platform : new String[] {"windows", "linux"}) {
      Path file = Path.of("src/dist", platform, "conf/agent.properties");
      String text = Files.readString(file);
      for (OptionSpec option : AgentMain.commandLine().getSubcommands().get("run")
          .getCommandSpec().options()) {
        String name = option.longestName().replaceFirst("^--", "");
        if (!NOT_IN_FILES.contains(name)) {
          assertTrue(text.contains("\n" + name + "=") || text.contains("\n#" + name + "="),
              file + " does not document --" + name);
        }
      }
    }
  }
}
