package io.failback.controller.cli;

import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** How the CLI reaches the controller; every option may come from the config file. */
final class ConnectionOptions {
  /** The command this is mixed into, for its error stream. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--controller", scope = ScopeType.INHERIT,
      description = "host:port of the controller (or 'controller' in the config file);"
          + " controllers sharing a store: their addresses, comma-separated (a call then"
          + " waits through a takeover, until its deadline).")
  String controller;

  @Option(names = "--ca", scope = ScopeType.INHERIT, description = "CA bundle (PEM).")
  Path ca;

  @Option(names = "--cert", scope = ScopeType.INHERIT,
      description = "Operator certificate (PEM).")
  Path cert;

  @Option(names = "--key", scope = ScopeType.INHERIT, description = "Operator key (PEM).")
  Path key;

  OperatorClient connect() throws IOException {
    require(controller, "--controller");
    require(ca, "--ca");
    require(cert, "--cert");
    require(key, "--key");
    return OperatorClient.connect(controller, new TlsFiles(cert, key, ca),
        command.commandLine().getErr());
  }

  private static void require(Object value, String option) {
    if (value == null) {
      throw new IllegalArgumentException("missing " + option + " (give it on the command line"
          + " or in the config file, see --config)");
    }
  }
}
