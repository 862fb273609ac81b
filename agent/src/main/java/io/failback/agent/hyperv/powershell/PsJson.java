package io.failback.agent.hyperv.powershell;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON from {@code ConvertTo-Json} tolerantly: whatever version of PowerShell printed it
 * and however a script's projection slipped, the same host reads the same.
 *
 * <ul>
 *   <li>A list may come as an array, as one bare object (PowerShell unrolls a one-item array
 *       that went through the pipeline), as null (zero items), or as {@code {"value": [...],
 *       "Count": n}} (Windows PowerShell 5.1 wrapping an array that carries extended type
 *       data).
 *   <li>An enum may come as its name or as its number.
 *   <li>A GUID may come as a string or as {@code {"Guid": "..."}}.
 * </ul>
 */
final class PsJson {
  private PsJson() {}

  /** The objects of a list field; empty when absent or null. */
  static List<JsonObject> objects(JsonObject parent, String field) throws IOException {
    return objects(parent.get(field), field);
  }

  static List<JsonObject> objects(JsonElement element, String what) throws IOException {
    List<JsonObject> result = new ArrayList<>();
    for (JsonElement item : items(element)) {
      if (!item.isJsonObject()) {
        throw new IOException("PowerShell listed " + what + " with a non-object entry: " + item);
      }
      result.add(item.getAsJsonObject());
    }
    return result;
  }

  /** The texts of a list field (a single text counts as a list of one); empty when absent. */
  static List<String> texts(JsonObject parent, String field) throws IOException {
    List<String> result = new ArrayList<>();
    for (JsonElement item : items(parent.get(field))) {
      if (!item.isJsonPrimitive()) {
        throw new IOException("PowerShell listed " + field + " with a non-text entry: " + item);
      }
      result.add(item.getAsString());
    }
    return result;
  }

  private static List<JsonElement> items(JsonElement element) {
    List<JsonElement> result = new ArrayList<>();
    if (element == null || element.isJsonNull()) {
      return result;
    }
    JsonArray array = null;
    if (element.isJsonArray()) {
      array = element.getAsJsonArray();
    } else if (element.isJsonObject() && element.getAsJsonObject().has("value")
        && element.getAsJsonObject().get("value").isJsonArray()
        && element.getAsJsonObject().has("Count")) {
      array = element.getAsJsonObject().getAsJsonArray("value");
    }
    if (array == null) {
      result.add(element);
      return result;
    }
    for (JsonElement item : array) {
      if (!item.isJsonNull()) {
        result.add(item);
      }
    }
    return result;
  }

  /** A text field; "" when absent or null. Numbers and booleans come back as their text. */
  static String text(JsonObject object, String field) {
    JsonElement value = object.get(field);
    if (value == null || value.isJsonNull()) {
      return "";
    }
    if (value.isJsonObject() && value.getAsJsonObject().has("Guid")) {
      return text(value.getAsJsonObject(), "Guid");
    }
    return value.isJsonPrimitive() ? value.getAsString() : value.toString();
  }

  /** A text field that must be there. */
  static String required(JsonObject object, String field, String what) throws IOException {
    String value = text(object, field);
    if (value.isBlank()) {
      throw new IOException("PowerShell reported " + what + " without " + field + ": " + object);
    }
    return value;
  }

  /** A whole number; 0 when absent or null. Accepts "123" too. */
  static long number(JsonObject object, String field) throws IOException {
    JsonElement value = object.get(field);
    if (value == null || value.isJsonNull()) {
      return 0;
    }
    try {
      return value.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
    } catch (RuntimeException e) {
      throw new IOException("PowerShell reported " + field + " = " + value
          + ", expected a whole number", e);
    }
  }

  /** A boolean; accepts true/false, "True"/"False" and 1/0. */
  static boolean bool(JsonObject object, String field) {
    JsonElement value = object.get(field);
    if (value == null || value.isJsonNull() || !value.isJsonPrimitive()) {
      return false;
    }
    JsonPrimitive primitive = value.getAsJsonPrimitive();
    if (primitive.isBoolean()) {
      return primitive.getAsBoolean();
    }
    if (primitive.isNumber()) {
      return primitive.getAsLong() != 0;
    }
    return Boolean.parseBoolean(primitive.getAsString());
  }

  /**
   * An enum's name: a string as it is, a number through {@code names}; a number not in {@code
   * names} comes back as the number's text, so callers treat it as unknown.
   */
  static String enumName(JsonObject object, String field, Map<Integer, String> names) {
    JsonElement value = object.get(field);
    if (value != null && value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber()) {
      int number = value.getAsInt();
      return names.getOrDefault(number, String.valueOf(number));
    }
    return text(object, field);
  }
}
