package io.failback.agent.hyperv.powershell;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the driver's scripts in a new {@code powershell} process and returns the JSON it
 * prints.
 *
 * <p>The script text is fixed (a resource, sent with {@code -EncodedCommand}); the values go in
 * {@value #PARAMS_VARIABLE} as base64 of UTF-8 JSON, so no VM or switch name is ever parsed as
 * PowerShell. Works with Windows PowerShell 5.1 ({@code powershell.exe}) and PowerShell 7
 * ({@code pwsh}).
 */
public final class PowerShell {
  /** The environment variable carrying a script's parameters. */
  public static final String PARAMS_VARIABLE = "FAILBACK_PS_PARAMS";
  private static final String PRELUDE = "prelude.ps1";
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
  private static final Map<String, String> SCRIPTS = new ConcurrentHashMap<>();

  private final String executable;

  /** Runs scripts with {@code executable}: a path, or a name looked up on the PATH. */
  public PowerShell(String executable) {
    this.executable = executable;
  }

  /** The exact command line for {@code script}, without the parameters (they go in the env). */
  public List<String> command(String script) {
    String encoded = Base64.getEncoder().encodeToString(
        script(script).getBytes(StandardCharsets.UTF_16LE));
    return List.of(executable, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
        "-EncodedCommand", encoded);
  }

  /** The full text that runs for {@code name}: the shared prelude, then the script. */
  public static String script(String name) {
    return SCRIPTS.computeIfAbsent(name, n -> resource(PRELUDE) + resource(n));
  }

  /** Parameters in the order given, so the JSON that travels is always the same text. */
  public static Map<String, Object> parameters(Object... namesAndValues) {
    Map<String, Object> parameters = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      parameters.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return parameters;
  }

  /** The parameters as they travel: compact UTF-8 JSON. */
  static byte[] encodeParameters(Object parameters) {
    return GSON.toJson(parameters).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Runs {@code script} with {@code parameters} (serialized with Gson) and parses its output.
   *
   * @param what what the script does, for error messages ("stop VM web-01")
   * @throws IOException carrying PowerShell's own error message when the script fails, times
   *     out, or prints something that is not JSON
   */
  public JsonElement run(String script, Object parameters, String what, Duration timeout)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command(script));
    builder.environment().put(PARAMS_VARIABLE,
        Base64.getEncoder().encodeToString(encodeParameters(parameters)));
    Path out = Files.createTempFile("failback-ps-", ".out");
    Path err = Files.createTempFile("failback-ps-", ".err");
    try {
      // Files, not pipes: nothing can fill up and stall the process while we wait.
      builder.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new IOException("cannot run PowerShell '" + executable + "' to " + what + ": "
            + e.getMessage() + "; set the agent's --powershell option", e);
      }
      process.getOutputStream().close();
      int exit = await(process, what, timeout);
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      if (exit != 0) {
        String message = PowerShellErrors.message(Files.readString(err, StandardCharsets.UTF_8));
        throw new ScriptFailedException(exit, "PowerShell failed to " + what + " (exit " + exit
            + "): " + (message.isEmpty() ? "no error message" : message));
      }
      return parse(stdout, what);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** The script ended with a non-zero exit code, having reported why. */
  static final class ScriptFailedException extends IOException {
    private final int exit;

    ScriptFailedException(int exit, String message) {
      super(message);
      this.exit = exit;
    }

    int exit() {
      return exit;
    }
  }

  /** The script was stopped (timeout, interrupt) before it ended: what it did is not known. */
  static final class StoppedException extends IOException {
    StoppedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static int await(Process process, String what, Duration timeout) throws IOException {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new StoppedException("PowerShell did not " + what + " within "
            + timeout.toSeconds() + " s; it was stopped", null);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new StoppedException("interrupted while waiting for PowerShell to " + what, e);
    }
  }

  private static JsonElement parse(String stdout, String what) throws IOException {
    String text = stdout.strip();
    // Windows PowerShell may start its output with a byte order mark.
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    try {
      return JsonParser.parseString(text);
    } catch (JsonParseException e) {
      String start = text.length() > 200 ? text.substring(0, 200) + "..." : text;
      throw new IOException("PowerShell printed no valid JSON to " + what + ": "
          + e.getMessage() + "; output: " + (start.isEmpty() ? "(empty)" : start), e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = PowerShell.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("script " + name + " is missing from the agent jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
