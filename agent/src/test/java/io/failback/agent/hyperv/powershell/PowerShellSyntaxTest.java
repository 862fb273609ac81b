package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every script, as the driver sends it, through an independent PowerShell parser: the
 * tree-sitter-powershell grammar ({@code tools/ps-parse/check.mjs}), since no PowerShell runs
 * here. A grammar catches broken structure, not unknown commands, parameters or types.
 */
class PowerShellSyntaxTest {
  private static final Path CHECKER = Path.of("../tools/ps-parse/check.mjs");
  private static final Path GRAMMAR =
      Path.of("../tools/ps-parse/node_modules/tree-sitter-powershell/package.json");

  @TempDir Path dir;

  @Test
  void everyScriptParsesAsTheDriverSendsIt() throws Exception {
    List<Path> sent = new ArrayList<>();
    for (String name : scriptNames()) {
      sent.add(Files.writeString(dir.resolve(name), PowerShell.script(name)));
    }
    assertFalse(sent.isEmpty(), "no scripts in " + FakePowerShell.SCRIPTS);

    int preludeLines = Files.readAllLines(FakePowerShell.SCRIPTS.resolve("prelude.ps1")).size();
    Result result = check(sent);
    assertEquals(0, result.exit(), result.out() + "(line numbers count the " + preludeLines
        + " lines of prelude.ps1 before each script)");
    assertEquals("ps-parse: " + sent.size() + " file(s), no syntax errors", result.out().strip());
  }

  /**
   * Windows' CreateProcess takes at most 32,767 characters of command line, and the script goes
   * on it (base64 of UTF-16: 2.7 characters per character of script): a script grown past that
   * would fail only on a real host. Half the limit leaves room to grow and says when it is near.
   */
  @Test
  void everyCommandLineFitsWindowsLimitWithRoomToGrow() throws IOException {
    for (String name : scriptNames()) {
      int length = String.join(" ", new PowerShell("powershell.exe").command(name)).length();
      assertTrue(length < 32_767, name + ": " + length + " characters of command line");
      assertTrue(length < 24_000, name + ": " + length + " characters of command line, near"
          + " Windows' 32,767: shorten it or send the script another way");
    }
  }

  @Test
  void brokenScriptsFailAndAreNamed() throws Exception {
    String createVm = PowerShell.script("create-vm.ps1");
    Path intact = Files.writeString(dir.resolve("create-vm.ps1"), createVm);
    Path noBrace = broken("no-brace.ps1", createVm, "\n  }\n", "\n");
    Path badOperator = broken("bad-operator.ps1", createVm, "-lt $nics.Count", "-ltt $nics.Count");
    Path openString = broken("open-string.ps1", createVm, "'Virtual Hard Disks')",
        "'Virtual Hard Disks)");

    Result result = check(List.of(intact, noBrace, badOperator, openString));
    assertEquals(1, result.exit(), result.out());
    for (Path file : List.of(noBrace, badOperator, openString)) {
      assertTrue(result.out().contains(file + ":"), file + " not named: " + result.out());
    }
    assertFalse(result.out().contains(intact + ":"), result.out());
    assertTrue(result.out().contains("syntax error near"), result.out());
  }

  /** A copy of {@code text} with the first {@code from} replaced. */
  private Path broken(String name, String text, String from, String to) throws IOException {
    int at = text.indexOf(from);
    assertNotEquals(-1, at, "no '" + from + "' to break");
    return Files.writeString(dir.resolve(name),
        text.substring(0, at) + to + text.substring(at + from.length()));
  }

  /** Every script of the driver; the prelude runs as part of each. */
  private static List<String> scriptNames() throws IOException {
    try (Stream<Path> files = Files.list(FakePowerShell.SCRIPTS)) {
      return files.map(file -> file.getFileName().toString())
          .filter(name -> name.endsWith(".ps1") && !name.equals("prelude.ps1"))
          .sorted().toList();
    }
  }

  private Result check(List<Path> files) throws IOException, InterruptedException {
    if (!Files.isRegularFile(GRAMMAR)) {
      fail("the PowerShell grammar is not installed at " + GRAMMAR.getParent()
          + "; run tools/install-test-deps (npm tree-sitter-powershell)");
    }
    List<String> command = new ArrayList<>(List.of(node().toString(), CHECKER.toString()));
    files.forEach(file -> command.add(file.toString()));
    Path out = dir.resolve("check.out");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("the PowerShell syntax check did not finish: " + command);
    }
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  /** Node.js from FAILBACK_NODE, else the PATH (tools/install-test-deps installs it). */
  private static Path node() {
    String configured = System.getenv("FAILBACK_NODE");
    if (configured != null) {
      Path path = Path.of(configured);
      if (!Files.isExecutable(path)) {
        fail("FAILBACK_NODE=" + path + " is not executable");
      }
      return path;
    }
    for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path path = Path.of(entry.isEmpty() ? "." : entry, "node");
      if (Files.isExecutable(path)) {
        return path;
      }
    }
    return fail("node not found on the PATH; run tools/install-test-deps (Debian nodejs)");
  }

  private record Result(int exit, String out) {}
}
