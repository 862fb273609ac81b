package io.failback.common.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code --version} of every Failback command: the root command's name and the version in the
 * jar's manifest, or "(development build)" when run from classes.
 */
public final class ImplementationVersion implements CommandLine.IVersionProvider {
  @Spec CommandSpec spec;

  @Override
  public String[] getVersion() {
    String version = ImplementationVersion.class.getPackage().getImplementationVersion();
    String name = spec == null ? "failback" : spec.root().name();
    return new String[] {name + " " + (version == null ? "(development build)" : version),
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor")
            + ")"};
  }

  /**
   * Gives every subcommand under {@code root} {@code --help} and {@code --version} (with this
   * provider), as kubectl and gh answer them at any depth.
   */
  public static CommandLine everywhere(CommandLine root) {
    for (CommandLine sub : root.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (spec.optionsMap().get("--help") == null) {
        spec.mixinStandardHelpOptions(true);
      }
      // Every command says the product's version, picocli's own completion command included.
      spec.versionProvider(root.getCommandSpec().versionProvider());
      everywhere(sub);
    }
    return root;
  }
}
