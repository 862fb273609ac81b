package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Where the controller keeps its state: an embedded SQLite file (the default, nothing to set
 * up) or a PostgreSQL database (the production store, shared by active and standby
 * controllers).
 */
public sealed interface StoreLocation {

  /** The location for messages and logs; never holds a password. */
  String describe();

  /** An embedded SQLite database file. */
  record SqliteFile(Path file) implements StoreLocation {
    public SqliteFile {
      file = requireNonNull(file, "file").toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
      return file.toString();
    }
  }

  /**
   * A PostgreSQL database.
   *
   * @param host the server's host name or address
   * @param port its TCP port
   * @param database the database name
   * @param user the role to log in as
   * @param password the role's password; null where the server needs none (a certificate or a
   *     trusted local socket)
   * @param options connection parameters of the PostgreSQL JDBC driver, such as {@code
   *     sslmode=verify-full} and {@code sslrootcert=/etc/failback/db-ca.pem}
   */
  record Postgres(String host, int port, String database, String user, String password,
      Map<String, String> options) implements StoreLocation {
    public Postgres {
      requireNonNull(host, "host");
      requireNonNull(database, "database");
      requireNonNull(user, "user");
      options = Map.copyOf(options);
    }

    public String jdbcUrl() {
      return String.format("jdbc:postgresql://%s:%d/%s", urlHost(), port, database);
    }

    /** The host as a URL writes it: an IPv6 address in brackets. */
    private String urlHost() {
      return host.contains(":") ? "[" + host + "]" : host;
    }

    /** The driver's connection properties: user, password and the options. */
    public Properties driverProperties() {
      Properties properties = new Properties();
      properties.putAll(options);
      properties.setProperty("user", user);
      if (password != null) {
        properties.setProperty("password", password);
      }
      properties.putIfAbsent("ApplicationName", "failback-controller");
      return properties;
    }

    @Override
    public String describe() {
      String query = options.isEmpty() ? "" : "?" + String.join("&",
          new TreeMap<>(options).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
              .toList());
      return String.format("postgresql://%s@%s:%d/%s%s", user, urlHost(), port, database,
          query);
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** Connection options that would let a password or key leak into logs or be ignored. */
  Pattern FORBIDDEN_OPTIONS = Pattern.compile("(?i)password|user|sslpassword");

  /**
   * Parses a {@code --store} value: a {@code postgresql://[user@]host[:port]/database[?options]}
   * URL, or else the path of a SQLite file.
   *
   * @param password the database password from a file or the environment; null for none
   * @throws IllegalArgumentException naming what is wrong, e.g. a password inside the URL
   */
  static StoreLocation parse(String spec, String password) {
    requireNonNull(spec, "spec");
    if (spec.isBlank()) {
      throw new IllegalArgumentException("the store location is empty");
    }
    if (!spec.startsWith("postgresql://") && !spec.startsWith("postgres://")) {
      if (spec.contains("://")) {
        throw new IllegalArgumentException(String.format(
            "'%s' is neither a postgresql:// URL nor a file path", bounded(spec)));
      }
      return new SqliteFile(Path.of(spec));
    }
    URI uri;
    try {
      uri = new URI(spec);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the PostgreSQL URL is malformed: " + e.getMessage());
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && userInfo.contains(":")) {
      throw new IllegalArgumentException("the PostgreSQL URL holds a password; put it in the"
          + " file named by --store-password-file or in FAILBACK_STORE_PASSWORD instead, where"
          + " process listings and logs cannot show it");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new IllegalArgumentException("the PostgreSQL URL names no host: " + bounded(spec));
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    if (database.isBlank() || database.contains("/")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must name one database, as in postgresql://host/failback: "
              + bounded(spec));
    }
    String user = userInfo == null ? "failback" : decode(userInfo);
    Map<String, String> options = new TreeMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(
              "the PostgreSQL URL option '" + bounded(pair) + "' is not name=value");
        }
        String name = decode(pair.substring(0, eq));
        if (FORBIDDEN_OPTIONS.matcher(name).matches()) {
          throw new IllegalArgumentException("the PostgreSQL URL option '" + name
              + "' is not allowed there; give the user before the @ and the password in"
              + " --store-password-file or FAILBACK_STORE_PASSWORD");
        }
        options.put(name, decode(pair.substring(eq + 1)));
      }
    }
    String host = uri.getHost().startsWith("[")
        ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
    return new Postgres(host, uri.getPort() < 0 ? 5432 : uri.getPort(), database, user,
        password, options);
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }

  private static String bounded(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
