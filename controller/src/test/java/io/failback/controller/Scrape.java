package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a Prometheus text endpoint, parsed as Prometheus would. */
record Scrape(List<Sample> samples) {
  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  record Sample(String name, Map<String, String> labels, double value) {}

  static HttpResponse<String> get(InetSocketAddress address, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://"
        + address.getHostString() + ":" + address.getPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static Scrape of(InetSocketAddress address) throws Exception {
    HttpResponse<String> response = get(address, "/metrics");
    assertEquals(200, response.statusCode(), response.body());
    return parse(response.body());
  }

  /** The samples of a Prometheus text exposition. */
  static Scrape parse(String body) {
    List<Sample> samples = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a Prometheus sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return new Scrape(samples);
  }

  /** The sum of {@code name}'s samples whose labels include every pair of {@code labels}. */
  double sum(String name, String... labels) {
    return samples.stream().filter(matching(name, labels)).mapToDouble(Sample::value).sum();
  }

  /** Whether any sample of {@code name} has every pair of {@code labels}. */
  boolean has(String name, String... labels) {
    return samples.stream().anyMatch(matching(name, labels));
  }

  private static Predicate<Sample> matching(String name, String... labels) {
    Predicate<Sample> match = s -> s.name().equals(name);
    for (int i = 0; i < labels.length; i += 2) {
      String key = labels[i];
      String value = labels[i + 1];
      match = match.and(s -> value.equals(s.labels().get(key)));
    }
    return match;
  }

  /** The single value of {@code name} with {@code labels}; fails if there is none. */
  double value(String name, String... labels) {
    if (!has(name, labels)) {
      throw new AssertionError("no sample " + name + " " + List.of(labels) + " in\n"
          + samples.stream().filter(s -> s.name().startsWith("failback")).toList());
    }
    return sum(name, labels);
  }
}
