package org.fedtel.simulations.generator;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes one node's rows in the wide format of DESIGN.md section 3:
 * {@code timestamp,node,<metrics>,label} with Unix seconds and label {@code normal} or the anomaly
 * type. Formats straight into a byte buffer: no strings, no boxing per value.
 */
final class NodeCsvWriter implements AutoCloseable {
  private static final int[] DECIMALS = new int[Metric.COUNT];
  private static final byte[] NORMAL = "normal".getBytes(StandardCharsets.US_ASCII);
  private static final byte[][] LABELS = new byte[AnomalyType.values().length][];

  static {
    for (Metric m : Metric.values()) {
      DECIMALS[m.ordinal()] = m.decimals();
    }
    for (AnomalyType t : AnomalyType.values()) {
      LABELS[t.ordinal()] = t.label().getBytes(StandardCharsets.US_ASCII);
    }
  }

  private final OutputStream out;
  private final byte[] node;
  private final byte[] buf = new byte[1 << 18];
  private int pos;

  NodeCsvWriter(OutputStream out, String node) throws IOException {
    this.out = out;
    this.node = node.getBytes(StandardCharsets.US_ASCII);
    write(header().getBytes(StandardCharsets.US_ASCII));
  }

  static String header() {
    return "timestamp,node," + String.join(",", Metric.columns()) + ",label\n";
  }

  private void write(byte[] b) throws IOException {
    ensure(b.length);
    System.arraycopy(b, 0, buf, pos, b.length);
    pos += b.length;
  }

  private void ensure(int n) throws IOException {
    if (pos + n > buf.length) {
      out.write(buf, 0, pos);
      pos = 0;
    }
  }

  void row(long time, double[] values, AnomalyType label) throws IOException {
    ensure(2048);
    pos = Decimal.writeLong(buf, pos, time);
    buf[pos++] = ',';
    System.arraycopy(node, 0, buf, pos, node.length);
    pos += node.length;
    for (int i = 0; i < DECIMALS.length; i++) {
      buf[pos++] = ',';
      pos = Decimal.write(buf, pos, values[i], DECIMALS[i]);
    }
    buf[pos++] = ',';
    byte[] l = label == null ? NORMAL : LABELS[label.ordinal()];
    System.arraycopy(l, 0, buf, pos, l.length);
    pos += l.length;
    buf[pos++] = '\n';
  }

  @Override
  public void close() throws IOException {
    out.write(buf, 0, pos);
    pos = 0;
    out.close();
  }
}
