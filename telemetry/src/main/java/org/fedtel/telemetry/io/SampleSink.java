package org.fedtel.telemetry.io;

/** Receives a telemetry file's rows one at a time, in file order. */
@FunctionalInterface
public interface SampleSink {
  /**
   * One data row.
   *
   * @param row 0-based index of the data row in the file (header excluded)
   * @param node node name ({@code ""} when the file has none)
   * @param epochMillis timestamp, milliseconds since the Unix epoch (UTC when the file has no zone)
   * @param values metric values in {@link CsvLayout#metrics()} order; {@code NaN} marks a missing value.
   *     The array is reused for the next row: copy what you keep.
   * @param label anomaly type, or {@code null} for normal (or when the file has no label column)
   */
  void accept(long row, String node, long epochMillis, double[] values, String label);
}
