package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.cli.FailbackMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The example configurations in the release archives document every option. */
class ExampleConfigTest {
  private static final Set<String> NOT_IN_FILES = Set.of("help", "version", "config");

  @Test
  void everyControllerAndCliOptionIsInTheExampleConfigurations() throws IOException {
    for (String platform : new String[] {"windows", "linux"}) {
      assertDocuments(Path.of("src/dist", platform, "conf/controller.properties"),
          new CommandLine(new ControllerMain()), false);
      // The connection options every CLI command inherits; the rest are per command.
      assertDocuments(Path.of("src/dist", platform, "conf/cli.properties"),
          new CommandLine(new FailbackMain()).getSubcommands().get("hosts"), true);
    }
  }

  private static void assertDocuments(Path file, CommandLine command, boolean inheritedOnly)
      throws IOException {
    String text = Files.readString(file);
    for (OptionSpec option : command.getCommandSpec().options()) {
      String name = option.longestName().replaceFirst("^--", "");
      if (!NOT_IN_FILES.contains(name) && (!inheritedOnly || option.inherited())) {
        assertTrue(text.contains("\n" + name + "=") || text.contains("\n#" + name + "="),
            file + " does not document --" + name);
      }
    }
  }
}
