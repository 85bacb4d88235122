package org.fedtel.telemetry.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NAB label windows ({@code labels/combined_windows.json}): an object mapping a data file's path
 * relative to the corpus root (e.g. {@code realAWSCloudwatch/x.csv}) to a list of
 * {@code [start, end]} timestamp pairs.
 */
public final class NabWindows {
  private final Path name;
  private final Map<String, List<TimeWindow>> byFile;

  private NabWindows(Path name, Map<String, List<TimeWindow>> byFile) {
    this.name = name;
    this.byFile = byFile;
  }

  public static NabWindows read(Path json) throws IOException, TelemetryFormatException {
    String text = Files.readString(json, StandardCharsets.UTF_8);
    return parse(json, text);
  }

  static NabWindows parse(Path name, String text) throws TelemetryFormatException {
    Parser p = new Parser(name, text);
    Map<String, List<TimeWindow>> map = new LinkedHashMap<>();
    p.skip();
    p.expect('{');
    p.skip();
    if (!p.peek('}')) {
      do {
        p.skip();
        String key = p.string();
        p.skip();
        p.expect(':');
        p.skip();
        List<TimeWindow> windows = new ArrayList<>();
        String[] previous = null;
        p.expect('[');
        p.skip();
        if (!p.peek(']')) {
          do {
            p.skip();
            p.expect('[');
            p.skip();
            int at = p.pos;
            String a = p.string();
            p.skip();
            p.expect(',');
            p.skip();
            String b = p.string();
            p.skip();
            p.expect(']');
            p.skip();
            try {
              long s = TelemetryCsv.parseEpochMillis(a);
              long e = TelemetryCsv.parseEpochMillis(b);
              if (e < s) {
                throw p.error(at, "window [" + a + ", " + b + "] ends before it starts");
              }
              // NAB scoring gives each row at most one window and a detection outside windows is
              // weighed by the window before it: windows must be disjoint and in time order
              if (!windows.isEmpty() && s <= windows.get(windows.size() - 1).endMillis()) {
                throw p.error(at, "\"" + key + "\" window " + (windows.size() + 1) + " [" + a + ", " + b
                    + "] does not start after window " + windows.size() + " [" + previous[0] + ", " + previous[1]
                    + "] ends; windows must be in time order and must not overlap");
              }
              windows.add(new TimeWindow(s, e));
              previous = new String[] {a, b};
            } catch (DateTimeParseException | NumberFormatException ex) {
              throw p.error(at, "bad window timestamp in [" + a + ", " + b + "]");
            }
          } while (p.accept(','));
        }
        p.expect(']');
        p.skip();
        if (map.put(key, List.copyOf(windows)) != null) {
          throw p.error(p.pos, "duplicate key \"" + key + "\"");
        }
      } while (p.accept(','));
    }
    p.expect('}');
    p.skip();
    if (p.pos != text.length()) {
      throw p.error(p.pos, "trailing text after JSON object");
    }
    return new NabWindows(name, Collections.unmodifiableMap(map));
  }

  /** All entries, keyed as in the file. */
  public Map<String, List<TimeWindow>> all() {
    return byFile;
  }

  /**
   * The windows of a data file: the entry whose key equals {@code relativePath}, or else the one
   * whose key ends with {@code "/" + file name}; empty if none (then {@link #covers} is false).
   *
   * @throws TelemetryFormatException if no key equals the path and the file name matches several
   */
  public List<TimeWindow> windowsFor(String relativePath) throws TelemetryFormatException {
    String key = keyFor(relativePath);
    return key == null ? List.of() : byFile.get(key);
  }

  /**
   * Whether the file has an entry (an entry with no windows still counts).
   *
   * @throws TelemetryFormatException if no key equals the path and the file name matches several
   */
  public boolean covers(String relativePath) throws TelemetryFormatException {
    return keyFor(relativePath) != null;
  }

  private String keyFor(String relativePath) throws TelemetryFormatException {
    String rel = relativePath.replace('\\', '/');
    if (byFile.containsKey(rel)) {
      return rel;
    }
    String file = rel.substring(rel.lastIndexOf('/') + 1);
    String match = null;
    for (String k : byFile.keySet()) {
      if (k.equals(file) || k.endsWith("/" + file)) {
        if (match != null) {
          throw new TelemetryFormatException(name, 0, 0, "file name " + file + " matches two entries, " + match
              + " and " + k);
        }
        match = k;
      }
    }
    return match;
  }

  /** A just-enough JSON reader for this one shape; line and column in every error. */
  private static final class Parser {
    final Path name;
    final String s;
    int pos;

    Parser(Path name, String s) {
      this.name = name;
      this.s = s;
    }

    void skip() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    boolean peek(char c) {
      return pos < s.length() && s.charAt(pos) == c;
    }

    boolean accept(char c) {
      skip();
      if (peek(c)) {
        pos++;
        return true;
      }
      return false;
    }

    void expect(char c) throws TelemetryFormatException {
      if (!peek(c)) {
        throw error(pos, "expected '" + c + "'" + (pos < s.length() ? ", found '" + s.charAt(pos) + "'" : ", found end of file"));
      }
      pos++;
    }

    String string() throws TelemetryFormatException {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw error(pos, "unterminated string");
        }
        char c = s.charAt(pos++);
        if (c == '"') {
          return sb.toString();
        }
        if (c == '\\') {
          if (pos >= s.length()) {
            throw error(pos, "unterminated escape");
          }
          char e = s.charAt(pos++);
          switch (e) {
            case '"', '\\', '/' -> sb.append(e);
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'u' -> {
              if (pos + 4 > s.length()) {
                throw error(pos, "bad \\u escape");
              }
              try {
                sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
              } catch (NumberFormatException ex) {
                throw error(pos, "bad \\u escape");
              }
              pos += 4;
            }
            default -> throw error(pos - 1, "bad escape \\" + e);
          }
        } else {
          sb.append(c);
        }
      }
    }

    TelemetryFormatException error(int at, String msg) {
      int line = 1;
      int col = 1;
      for (int i = 0; i < at && i < s.length(); i++) {
        if (s.charAt(i) == '\n') {
          line++;
          col = 1;
        } else {
          col++;
        }
      }
      return new TelemetryFormatException(name, line, col, msg);
    }
  }
}
