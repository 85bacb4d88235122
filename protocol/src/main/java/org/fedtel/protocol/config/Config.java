package org.fedtel.protocol.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A configuration file in a strict subset of TOML: {@code key = value} lines, {@code [table]}
 * headers, {@code #} comments; values are basic strings ({@code "..."} with \\ \" \n \t escapes),
 * integers, floats, booleans and single-line arrays of those. Keys are addressed as
 * {@code table.key}. Every error names the file and line; every key must be read exactly by the
 * program ({@link #checkAllUsed} reports unknown keys, so a typo never passes silently).
 */
public final class Config {
  private final String source;
  private final Map<String, Object> values;
  private final Map<String, Integer> lines;
  private final Set<String> used = new TreeSet<>();

  private Config(String source, Map<String, Object> values, Map<String, Integer> lines) {
    this.source = source;
    this.values = values;
    this.lines = lines;
  }

  public static Config load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
    }
    return parse(file.toString(), text);
  }

  public static Config parse(String source, String text) throws ConfigException {
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, Integer> lines = new LinkedHashMap<>();
    String table = "";
    String[] rows = text.split("\n", -1);
    for (int i = 0; i < rows.length; i++) {
      int line = i + 1;
      String row = stripComment(rows[i], source, line).strip();
      if (row.isEmpty()) {
        continue;
      }
      if (row.startsWith("[")) {
        if (!row.endsWith("]") || row.startsWith("[[")) {
          throw new ConfigException(source + ":" + line + ": malformed table header '" + row + "'");
        }
        table = row.substring(1, row.length() - 1).strip();
        if (!table.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*")) {
          throw new ConfigException(source + ":" + line + ": invalid table name '" + table + "'");
        }
        continue;
      }
      int eq = row.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException(source + ":" + line + ": expected 'key = value', got '" + row + "'");
      }
      String key = row.substring(0, eq).strip();
      if (!key.matches("[A-Za-z0-9_-]+")) {
        throw new ConfigException(source + ":" + line + ": invalid key '" + key + "'");
      }
      String full = table.isEmpty() ? key : table + "." + key;
      if (values.containsKey(full)) {
        throw new ConfigException(source + ":" + line + ": '" + full + "' is set twice (first on line " + lines.get(full) + ")");
      }
      values.put(full, value(row.substring(eq + 1).strip(), source, line));
      lines.put(full, line);
    }
    return new Config(source, values, lines);
  }

  private static String stripComment(String row, String source, int line) throws ConfigException {
    boolean inString = false;
    for (int i = 0; i < row.length(); i++) {
      char c = row.charAt(i);
      if (c == '\\' && inString) {
        i++;
      } else if (c == '"') {
        inString = !inString;
      } else if (c == '#' && !inString) {
        return row.substring(0, i);
      }
    }
    if (inString) {
      throw new ConfigException(source + ":" + line + ": unterminated string");
    }
    return row;
  }

  private static Object value(String v, String source, int line) throws ConfigException {
    if (v.isEmpty()) {
      throw new ConfigException(source + ":" + line + ": missing value");
    }
    if (v.startsWith("[")) {
      if (!v.endsWith("]")) {
        throw new ConfigException(source + ":" + line + ": arrays must be on one line and end with ']'");
      }
      List<Object> items = new ArrayList<>();
      String body = v.substring(1, v.length() - 1).strip();
      if (!body.isEmpty()) {
        for (String item : splitArray(body, source, line)) {
          Object x = value(item.strip(), source, line);
          if (x instanceof List) {
            throw new ConfigException(source + ":" + line + ": nested arrays are not supported");
          }
          items.add(x);
        }
      }
      return Collections.unmodifiableList(items);
    }
    if (v.startsWith("\"")) {
      if (v.length() < 2 || !v.endsWith("\"")) {
        throw new ConfigException(source + ":" + line + ": malformed string " + v);
      }
      StringBuilder b = new StringBuilder();
      for (int i = 1; i < v.length() - 1; i++) {
        char c = v.charAt(i);
        if (c == '"') {
          throw new ConfigException(source + ":" + line + ": unexpected '\"' inside a string");
        }
        if (c == '\\') {
          if (++i >= v.length() - 1) {
            throw new ConfigException(source + ":" + line + ": dangling backslash");
          }
          char e = v.charAt(i);
          switch (e) {
            case '\\' -> b.append('\\');
            case '"' -> b.append('"');
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            default -> throw new ConfigException(source + ":" + line + ": unsupported escape \\" + e);
          }
        } else {
          b.append(c);
        }
      }
      return b.toString();
    }
    if (v.equals("true") || v.equals("false")) {
      return Boolean.valueOf(v);
    }
    String n = v.replace("_", "");
    try {
      if (n.matches("[+-]?[0-9]+")) {
        return Long.parseLong(n);
      }
      if (n.matches("[+-]?([0-9]+\\.?[0-9]*([eE][+-]?[0-9]+)?|inf|nan)")) {
        if (n.endsWith("nan")) {
          throw new ConfigException(source + ":" + line + ": nan is not a valid setting");
        }
        return n.endsWith("inf") ? (n.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : Double.parseDouble(n);
      }
    } catch (NumberFormatException e) {
      throw new ConfigException(source + ":" + line + ": number out of range: " + v);
    }
    throw new ConfigException(source + ":" + line + ": cannot read value " + v + " (strings need double quotes)");
  }

  private static List<String> splitArray(String body, String source, int line) throws ConfigException {
    List<String> out = new ArrayList<>();
    boolean inString = false;
    int start = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\\' && inString) {
        i++;
      } else if (c == '"') {
        inString = !inString;
      } else if (c == ',' && !inString) {
        out.add(body.substring(start, i));
        start = i + 1;
      }
    }
    String last = body.substring(start);
    if (!last.isBlank()) {
      out.add(last);
    } else if (out.isEmpty()) {
      throw new ConfigException(source + ":" + line + ": empty array item");
    }
    return out;
  }

  private Object raw(String key) {
    used.add(key);
    return values.get(key);
  }

  private String where(String key) {
    return source + ":" + lines.get(key) + ": " + key;
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public String string(String key, String fallback) throws ConfigException {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof String s)) {
      throw new ConfigException(where(key) + " must be a string");
    }
    return s;
  }

  public String requiredString(String key) throws ConfigException {
    if (!has(key)) {
      throw new ConfigException(source + ": missing required key " + key);
    }
    return string(key, null);
  }

  public long integer(String key, long fallback, long min, long max) throws ConfigException {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Long l)) {
      throw new ConfigException(where(key) + " must be an integer");
    }
    if (l < min || l > max) {
      throw new ConfigException(where(key) + " = " + l + " is outside [" + min + ", " + max + "]");
    }
    return l;
  }

  public double number(String key, double fallback, double min, double max) throws ConfigException {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    double d;
    if (v instanceof Long l) {
      d = l;
    } else if (v instanceof Double x) {
      d = x;
    } else {
      throw new ConfigException(where(key) + " must be a number");
    }
    if (!(d >= min && d <= max)) {
      throw new ConfigException(where(key) + " = " + d + " is outside [" + min + ", " + max + "]");
    }
    return d;
  }

  public boolean bool(String key, boolean fallback) throws ConfigException {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Boolean b)) {
      throw new ConfigException(where(key) + " must be true or false");
    }
    return b;
  }

  public List<String> strings(String key, List<String> fallback) throws ConfigException {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof List<?> list)) {
      throw new ConfigException(where(key) + " must be an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw new ConfigException(where(key) + " must be an array of strings");
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  public int[] integers(String key, int[] fallback, int min, int max) throws ConfigException {
    Object v = raw(key);
    if (v == null) {
      return fallback.clone();
    }
    if (!(v instanceof List<?> list)) {
      throw new ConfigException(where(key) + " must be an array of integers");
    }
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Long l) || l < min || l > max) {
        throw new ConfigException(where(key) + " must be an array of integers in [" + min + ", " + max + "]");
      }
      out[i] = (int) (long) (Long) list.get(i);
    }
    return out;
  }

  /** @throws ConfigException naming every key the program did not read (a typo or an unsupported setting) */
  public void checkAllUsed() throws ConfigException {
    List<String> unknown = new ArrayList<>();
    for (String k : values.keySet()) {
      if (!used.contains(k)) {
        unknown.add(k + " (line " + lines.get(k) + ")");
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException(source + ": unknown key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown));
    }
  }
}
