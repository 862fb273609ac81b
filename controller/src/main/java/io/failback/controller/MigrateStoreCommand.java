package io.failback.controller;

import com.google.gson.GsonBuilder;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreCopy;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoreLocation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code failback-controller migrate-store}: copies a SQLite store into PostgreSQL. */
@Command(name = "migrate-store", mixinStandardHelpOptions = true,
    description = {"Copies the controller's embedded SQLite store into a new, empty PostgreSQL"
        + " database, in one transaction: on any error the target stays empty.",
        "Stop the controller first; start it again with --store set to the URL.",
        "Exit codes: 0 copied; 1 the copy failed (nothing written); 2 bad options."})
final class MigrateStoreCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--from", required = true, paramLabel = "FILE",
      description = "The SQLite file, e.g. state/controller.db.")
  Path from;

  @Mixin
  StoreOptions target = new StoreOptions();

  @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "table|json",
      description = "Output format (default: ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() throws StoreException {
    if (!output.equals("table") && !output.equals("json")) {
      throw new ParameterException(spec.commandLine(),
          "-o must be table or json, got '" + output + "'");
    }
    if (!Files.isRegularFile(from)) {
      throw new ParameterException(spec.commandLine(),
          "--from: " + from + " is not a file; name the controller's controller.db");
    }
    StoreLocation to;
    try {
      to = target.location(System.getenv());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--store: " + e.getMessage());
    }
    if (!(to instanceof StoreLocation.Postgres)) {
      throw new ParameterException(spec.commandLine(),
          "--store must be the postgresql:// URL of the new database");
    }
    Map<String, Integer> copied;
    try (ControllerStore source = ControllerStore.open(from);
        ControllerStore destination = ControllerStore.open(to)) {
      copied = StoreCopy.copy(source, destination);
    }
    if (output.equals("json")) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("from", from.toAbsolutePath().normalize().toString());
      result.put("to", to.describe());
      result.put("rows", copied);
      spec.commandLine().getOut().println(new GsonBuilder().create().toJson(result));
    } else {
      spec.commandLine().getOut().printf("Copied %s into %s:%n", from, to.describe());
      copied.forEach((table, rows) ->
          spec.commandLine().getOut().printf("  %-18s %d rows%n", table, rows));
    }
    return 0;
  }
}
