package io.failback.controller;

import io.failback.common.tls.TlsFiles;
import io.failback.controller.cli.FailbackMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** The operator's CLI run in this process against controllers, as an operator runs it. */
final class OperatorCli {
  private OperatorCli() {}

  /** What a run printed, and its exit code. */
  record Run(int exit, String out, String err) {}

  /**
   * Runs {@code failback --controller CONTROLLERS (identity) COMMAND…}, printing to {@code out}
   * as it goes: another thread can follow a --watch.
   */
  static Run run(String controllers, TlsFiles identity, StringWriter out, String... command) {
    List<String> args = new ArrayList<>(List.of("--controller", controllers, "--ca",
        identity.trustBundle().toString(), "--cert", identity.certificate().toString(),
        "--key", identity.privateKey().toString()));
    args.addAll(List.of(command));
    StringWriter err = new StringWriter();
    int exit = FailbackMain.run(args.toArray(String[]::new), new PrintWriter(out),
        new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }
}
