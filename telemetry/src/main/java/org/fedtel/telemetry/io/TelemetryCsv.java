package org.fedtel.telemetry.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Streaming reader for telemetry CSV in the wide, LDMS store_csv and NAB layouts (DESIGN.md
 * section 3). It holds one line at a time, so file size does not bound heap use.
 *
 * <p>Rules (see docs/TELEMETRY.md):
 * <ul>
 *   <li>Timestamps: ISO-8601 date-time with or without zone ({@code T} or a space between date and
 *       time, optional fraction), a zone-less time being UTC; or Unix seconds (with optional
 *       fraction). LDMS files use {@code #Time} in Unix seconds.</li>
 *   <li>Missing values: an empty cell, {@code NaN}, {@code NA} or {@code null} (any case) is
 *       missing and delivered as {@code NaN}; the windowing step fills it forward. Infinity and any
 *       other non-number fail.</li>
 *   <li>Labels: empty, {@code normal} or {@code 0} mean normal; anything else names the anomaly
 *       type.</li>
 *   <li>Per node, timestamps must not decrease. Equal timestamps are kept in file order: real
 *       exports contain them (NAB's realAWSCloudwatch repeats 2014-03-09 03:00:00 twelve times
 *       where a daylight-saving change folded an hour).</li>
 * </ul>
 */
public final class TelemetryCsv {
  private TelemetryCsv() {}

  /** Reads {@code file}, delivering each data row to {@code sink}; returns the layout. */
  public static CsvLayout read(Path file, SampleSink sink) throws IOException, TelemetryFormatException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(file, in, sink);
    }
  }

  /** Reads only the header of {@code file}. */
  public static CsvLayout layout(Path file) throws IOException, TelemetryFormatException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      return parseHeader(file, header).layout;
    }
  }

  /** Reads CSV text from {@code in}; {@code name} appears in error messages. */
  public static CsvLayout read(Path name, Reader in, SampleSink sink) throws IOException, TelemetryFormatException {
    BufferedReader reader = in instanceof BufferedReader b ? b : new BufferedReader(in);
    Header h = parseHeader(name, reader.readLine());
    int nMetrics = h.metricColumns.length;
    double[] values = new double[nMetrics];
    List<String> fields = new ArrayList<>(h.columns + 2);
    int[] starts = new int[h.columns + 2];
    Map<String, long[]> lastTime = new HashMap<>();
    long lineNo = 1;
    long row = 0;
    String line;
    while ((line = reader.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        continue; // LDMS repeats its header; comments are allowed in any layout
      }
      int n = split(name, lineNo, line, fields, starts);
      if (n != h.columns) {
        throw new TelemetryFormatException(name, lineNo, 0,
            "expected " + h.columns + " columns, found " + n);
      }
      long t = parseTime(name, lineNo, starts[h.timeColumn] + 1, fields.get(h.timeColumn), h.layout.format());
      if (h.usecColumn >= 0) {
        String us = fields.get(h.usecColumn).trim();
        if (!us.isEmpty() && !isInteger(us)) {
          throw new TelemetryFormatException(name, lineNo, starts[h.usecColumn] + 1, "Time_usec \"" + us + "\" is not an integer");
        }
      }
      String node = h.nodeColumn >= 0 ? fields.get(h.nodeColumn).trim() : "";
      if (h.nodeColumn >= 0 && node.isEmpty()) {
        throw new TelemetryFormatException(name, lineNo, starts[h.nodeColumn] + 1, "empty node name");
      }
      for (int m = 0; m < nMetrics; m++) {
        int c = h.metricColumns[m];
        values[m] = parseValue(name, lineNo, starts[c] + 1, fields.get(c));
      }
      String label = h.labelColumn >= 0 ? normalizeLabel(fields.get(h.labelColumn)) : null;
      long[] last = lastTime.computeIfAbsent(node, k -> new long[] {Long.MIN_VALUE});
      if (t < last[0]) {
        throw new TelemetryFormatException(name, lineNo, starts[h.timeColumn] + 1,
            "timestamp " + fields.get(h.timeColumn).trim() + " goes back in time"
                + (node.isEmpty() ? "" : " for node " + node));
      }
      last[0] = t;
      sink.accept(row++, node, t, values, label);
    }
    return h.layout;
  }

  /** Empty, {@code normal} or {@code 0} is normal ({@code null}); anything else is an anomaly type. */
  public static String normalizeLabel(String raw) {
    String s = raw == null ? "" : raw.trim();
    if (s.isEmpty() || s.equalsIgnoreCase("normal") || s.equals("0")) {
      return null;
    }
    return s;
  }

  /** Parses a timestamp as this reader does; throws {@link DateTimeParseException} if it cannot. */
  public static long parseEpochMillis(String text) {
    String s = text.trim();
    if (!s.isEmpty() && (Character.isDigit(s.charAt(s.length() - 1)) && isUnixSeconds(s))) {
      double sec = Double.parseDouble(s);
      if (!Double.isFinite(sec) || Math.abs(sec) > 9.2e12) {
        throw new DateTimeParseException("Unix time out of range", s, 0);
      }
      return Math.round(sec * 1000.0);
    }
    String iso = s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
    if (iso.endsWith("Z") || hasOffset(iso)) {
      return OffsetDateTime.parse(iso, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
    }
    return LocalDateTime.parse(iso, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  private static boolean hasOffset(String iso) {
    int t = iso.indexOf('T');
    if (t < 0) {
      return false;
    }
    for (int i = t; i < iso.length(); i++) {
      char c = iso.charAt(i);
      if (c == '+' || c == '-') {
        return true;
      }
    }
    return false;
  }

  private static boolean isUnixSeconds(String s) {
    int i = s.startsWith("-") ? 1 : 0;
    boolean dot = false;
    boolean digit = false;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.' && !dot) {
        dot = true;
      } else if (c >= '0' && c <= '9') {
        digit = true;
      } else {
        return false;
      }
    }
    return digit;
  }

  private static boolean isInteger(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return !s.isEmpty();
  }

  private static long parseTime(Path name, long line, int col, String raw, CsvLayout.Format format)
      throws TelemetryFormatException {
    String s = raw.trim();
    if (s.isEmpty()) {
      throw new TelemetryFormatException(name, line, col, "empty timestamp");
    }
    if (format == CsvLayout.Format.LDMS && !isUnixSeconds(s)) {
      throw new TelemetryFormatException(name, line, col, "#Time \"" + s + "\" is not Unix seconds");
    }
    try {
      return parseEpochMillis(s);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new TelemetryFormatException(name, line, col,
          "timestamp \"" + s + "\" is neither ISO-8601 nor Unix seconds");
    }
  }

  private static double parseValue(Path name, long line, int col, String raw) throws TelemetryFormatException {
    String s = raw.trim();
    if (s.isEmpty() || s.equalsIgnoreCase("nan") || s.equalsIgnoreCase("na") || s.equalsIgnoreCase("null")) {
      return Double.NaN;
    }
    if (!isDecimal(s)) {
      String unsigned = s.charAt(0) == '+' || s.charAt(0) == '-' ? s.substring(1) : s;
      boolean infinite = unsigned.equalsIgnoreCase("infinity") || unsigned.equalsIgnoreCase("inf");
      throw new TelemetryFormatException(name, line, col,
          "value \"" + s + "\" is not " + (infinite ? "finite" : "a number"));
    }
    double v = Double.parseDouble(s); // cannot fail: s is decimal notation
    if (!Double.isFinite(v)) {
      throw new TelemetryFormatException(name, line, col, "value \"" + s + "\" is not finite");
    }
    return v;
  }

  /**
   * Plain decimal notation: optional sign, digits with an optional point (at least one digit), an
   * optional exponent {@code e|E [sign] digits}. Double.parseDouble also takes hexadecimal floats
   * ({@code 0x1p3}), Java suffixes ({@code 2d}) and {@code Infinity}, none of which is telemetry.
   */
  private static boolean isDecimal(String s) {
    int i = 0;
    int n = s.length();
    if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    int digits = 0;
    while (i < n && isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && s.charAt(i) == '.') {
      i++;
      while (i < n && isDigit(s.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int expDigits = 0;
      while (i < n && isDigit(s.charAt(i))) {
        i++;
        expDigits++;
      }
      if (expDigits == 0) {
        return false;
      }
    }
    return i == n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes); returns the field count. */
  private static int split(Path name, long line, String s, List<String> out, int[] starts)
      throws TelemetryFormatException {
    out.clear();
    int i = 0;
    int n = s.length();
    while (true) {
      if (out.size() < starts.length) {
        starts[out.size()] = i;
      }
      if (i < n && s.charAt(i) == '"') {
        StringBuilder sb = new StringBuilder();
        int j = i + 1;
        while (true) {
          if (j >= n) {
            throw new TelemetryFormatException(name, line, i + 1, "unterminated quoted field");
          }
          char c = s.charAt(j);
          if (c == '"') {
            if (j + 1 < n && s.charAt(j + 1) == '"') {
              sb.append('"');
              j += 2;
              continue;
            }
            j++;
            break;
          }
          sb.append(c);
          j++;
        }
        if (j < n && s.charAt(j) != ',') {
          throw new TelemetryFormatException(name, line, j + 1, "text after closing quote");
        }
        out.add(sb.toString());
        i = j;
      } else {
        int j = s.indexOf(',', i);
        if (j < 0) {
          j = n;
        }
        out.add(s.substring(i, j));
        i = j;
      }
      if (i >= n) {
        return out.size();
      }
      i++; // skip the comma
      if (i == n) {
        if (out.size() < starts.length) {
          starts[out.size()] = i;
        }
        out.add("");
        return out.size();
      }
    }
  }

  private static final class Header {
    CsvLayout layout;
    int columns;
    int timeColumn;
    int usecColumn = -1;
    int nodeColumn = -1;
    int labelColumn = -1;
    int[] metricColumns;
  }

  private static Header parseHeader(Path name, String header) throws TelemetryFormatException {
    if (header == null) {
      throw new TelemetryFormatException(name, 0, 0, "empty file: no header line");
    }
    if (header.startsWith("\uFEFF")) {
      header = header.substring(1);
    }
    List<String> cols = new ArrayList<>();
    int[] starts = new int[Math.max(8, header.length() + 2)];
    int n = split(name, 1, header, cols, starts);
    Header h = new Header();
    h.columns = n;
    List<String> metrics = new ArrayList<>();
    List<Integer> metricIdx = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int c = 0; c < n; c++) {
      String col = cols.get(c).trim();
      if (col.isEmpty()) {
        throw new TelemetryFormatException(name, 1, starts[c] + 1, "empty column name");
      }
      Integer prev = seen.put(col, c);
      if (prev != null) {
        throw new TelemetryFormatException(name, 1, starts[c] + 1, "duplicate column \"" + col + "\"");
      }
    }
    String first = cols.get(0).trim();
    CsvLayout.Format format;
    if (first.equals("#Time")) {
      format = CsvLayout.Format.LDMS;
      String[] fixed = {"#Time", "Time_usec", "ProducerName", "component_id", "job_id", "app_id"};
      for (int c = 0; c < fixed.length; c++) {
        if (c >= n || !cols.get(c).trim().equals(fixed[c])) {
          throw new TelemetryFormatException(name, 1, c < n ? starts[c] + 1 : 0,
              "LDMS store_csv header must begin " + String.join(",", fixed));
        }
      }
      h.timeColumn = 0;
      h.usecColumn = 1;
      h.nodeColumn = 2;
      for (int c = fixed.length; c < n; c++) {
        String col = cols.get(c).trim();
        if (col.equalsIgnoreCase("label")) {
          h.labelColumn = c;
        } else {
          metrics.add(col);
          metricIdx.add(c);
        }
      }
    } else {
      String lower = first.toLowerCase(Locale.ROOT);
      if (!lower.equals("timestamp") && !lower.equals("time")) {
        throw new TelemetryFormatException(name, 1, 1,
            "first column must be timestamp (wide, NAB) or #Time (LDMS store_csv), was \"" + first + "\"");
      }
      h.timeColumn = 0;
      for (int c = 1; c < n; c++) {
        String col = cols.get(c).trim();
        String lc = col.toLowerCase(Locale.ROOT);
        if (lc.equals("node") || lc.equals("hostname") || lc.equals("producername")) {
          if (h.nodeColumn >= 0) {
            throw new TelemetryFormatException(name, 1, starts[c] + 1, "second node column \"" + col + "\"");
          }
          h.nodeColumn = c;
        } else if (lc.equals("label")) {
          h.labelColumn = c;
        } else {
          metrics.add(col);
          metricIdx.add(c);
        }
      }
      boolean nab = n == 2 && lower.equals("timestamp") && cols.get(1).trim().equals("value");
      format = nab ? CsvLayout.Format.NAB : CsvLayout.Format.WIDE;
    }
    if (metrics.isEmpty()) {
      throw new TelemetryFormatException(name, 1, 0, "no metric columns in header");
    }
    h.metricColumns = metricIdx.stream().mapToInt(Integer::intValue).toArray();
    h.layout = new CsvLayout(format, metrics, h.nodeColumn >= 0, h.labelColumn >= 0);
    return h;
  }
}
