package io.failback.controller.cli;

import io.failback.common.tls.TlsFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs the operator CLI in-process, capturing its exit code and what it printed. */
final class CliRuns {
  private CliRuns() {}

  /** One run of the CLI. */
  record Run(int exit, String out, String err) {}

  /** Runs {@code failback} with exactly {@code args}. */
  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = FailbackMain.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }

  /** Runs {@code command} against {@code target} ("host:port") as {@code identity}. */
  static Run as(TlsFiles identity, String target, String... command) {
    List<String> args = new ArrayList<>(List.of("--controller", target, "--ca",
        identity.trustBundle().toString(), "--cert", identity.certificate().toString(),
        "--key", identity.privateKey().toString()));
    args.addAll(List.of(command));
    return run(args.toArray(String[]::new));
  }
}
