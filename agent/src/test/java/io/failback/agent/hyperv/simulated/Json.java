package io.failback.agent.hyperv.simulated;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and edits the JSON files of a simulated host independently of the code under test. */
final class Json {
  /** An in-place change to a JSON object. */
  interface Edit {
    void apply(JsonObject object);
  }

  private Json() {}

  static JsonObject read(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  static JsonElement parse(String json) {
    return JsonParser.parseString(json);
  }

  static void edit(Path file, Edit edit) throws IOException {
    JsonObject object = read(file);
    edit.apply(object);
    Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(object));
  }
}
