package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** A subcommand whose expected failures become one line on stderr and exit code 1. */
abstract class PkiCommand implements Callable<Integer> {
  static final int FAILED = 1;

  @Spec CommandSpec spec;
  @ParentCommand PkiCli cli;

  @Override
  public final Integer call() {
    try {
      run(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
      return 0;
    } catch (IllegalArgumentException | IOException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("failback-pki " + spec.name() + ": " + describe(e));
      err.flush();
      return FAILED;
    }
  }

  /** Does the work; every check must come before the first file is written. */
  abstract void run(PrintWriter out) throws IOException;

  Clock clock() {
    return cli.clock();
  }

  /** Turns JDK file exceptions, whose messages are bare paths, into sentences. */
  static String describe(Exception e) {
    if (e instanceof NoSuchFileException f) {
      return "no such file or directory: " + f.getFile();
    }
    if (e instanceof AccessDeniedException f) {
      return "permission denied: " + f.getFile();
    }
    if (e instanceof FileSystemException f && f.getReason() == null) {
      return e.getClass().getSimpleName() + ": " + f.getFile();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
