package io.failback.controller.cli;

import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Option;

/**
 * {@code -o table|json|yaml} of a read command, as kubectl and gh have it: json and yaml are
 * the API's own messages (proto3 JSON mapping), for scripts; table is for people.
 */
final class OutputOption {
  enum Format { table, json, yaml }

  @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
      description = "table, json or yaml (default: ${DEFAULT-VALUE}); json and yaml print the"
          + " API's messages.")
  Format format = Format.table;

  /** Whether the answer is printed as a message rather than as a table or a line. */
  boolean structured() {
    return format != Format.table;
  }

  /** Prints {@code message} as JSON or YAML. */
  void print(MessageOrBuilder message, PrintWriter out) throws InvalidProtocolBufferException {
    String json = JsonFormat.printer().print(message);
    if (format == Format.yaml) {
      DumperOptions options = new DumperOptions();
      options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
      out.print(new Yaml(options).dump(new Yaml().load(JsonParser.parseString(json)
          .toString())));
    } else {
      out.println(json);
    }
    out.flush();
  }
}
