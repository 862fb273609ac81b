package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command of every Failback command line, found by walking picocli's command tree,
 * answers {@code --help} and {@code --version} with exit 0, as kubectl and gh do.
 */
class CommandTreeTest {
  @Test
  void everyFailbackCommandAnswersHelpAndVersion() {
    int walked = walk(FailbackMain::commandLine);
    assertTrue(walked > 25, "walked only " + walked + " commands");
  }

  @Test
  void everyControllerAgentAndPkiCommandAnswersHelpAndVersion() throws Exception {
    assertTrue(walk(() -> invoke("io.failback.controller.ControllerMain")) >= 3);
    assertTrue(walk(() -> invoke("io.failback.agent.AgentMain")) >= 6);
    assertTrue(walk(() -> new CommandLine(new io.failback.certs.PkiCli())) >= 9);
  }

  @Test
  void helpDocumentsTheExitCodes() {
    String help = run(FailbackMain.commandLine(), List.of("jobs", "--help")).out;
    assertTrue(help.contains("Exit codes:"), help);
    assertTrue(help.contains("the controller refused or failed the call"), help);
  }

  @Test
  void completionScriptIsGenerated() {
    Result result = run(FailbackMain.commandLine(), List.of("generate-completion"));
    assertEquals(0, result.exit, result.err);
    assertTrue(result.out.contains("complete -F"), result.out);
    assertTrue(result.out.contains("failback"), result.out);
  }

  @Test
  void anUnknownOutputFormatIsAUsageError() {
    Result result = run(FailbackMain.commandLine(), List.of("jobs", "-o", "xml"));
    assertEquals(2, result.exit, result.out);
    assertTrue(result.err.contains("expected one of [table, json, yaml]"), result.err);
  }

  /** Walks the tree fresh for each run (a command line keeps parse state); returns its size. */
  private static int walk(Supplier<CommandLine> commandLine) {
    List<List<String>> paths = new ArrayList<>();
    collect(commandLine.get(), new ArrayList<>(), paths);
    for (List<String> path : paths) {
      String root = commandLine.get().getCommandName();
      for (String flag : List.of("--help", "--version")) {
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        Result result = run(commandLine.get(), args);
        assertEquals(0, result.exit, root + " " + args + ": " + result.err);
        if (flag.equals("--help")) {
          assertTrue(result.out.startsWith("Usage: " + root), root + " " + args + ": "
              + result.out);
        } else {
          assertTrue(result.out.startsWith(root + " "), root + " " + args + ": " + result.out);
        }
      }
    }
    return paths.size();
  }

  private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
    into.add(List.copyOf(path));
    command.getSubcommands().forEach((name, sub) -> {
      if (!sub.getCommandName().equals(name)) {
        return; // an alias: the same command again
      }
      List<String> deeper = new ArrayList<>(path);
      deeper.add(name);
      collect(sub, deeper, into);
    });
  }

  record Result(int exit, String out, String err) {}

  private static Result run(CommandLine command, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    command.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    int exit = command.execute(args.toArray(String[]::new));
    return new Result(exit, out.toString(), err.toString());
  }

  private static CommandLine invoke(String mainClass) {
    try {
      var method = Class.forName(mainClass).getDeclaredMethod("commandLine");
      method.setAccessible(true);
      return (CommandLine) method.invoke(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(mainClass + ".commandLine(): " + e, e);
    }
  }
}
