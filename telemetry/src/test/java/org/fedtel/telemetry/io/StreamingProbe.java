package org.fedtel.telemetry.io;

import java.io.Reader;
import java.nio.file.Path;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;

/**
 * Streams a generated wide CSV of a given size (never on disk, never whole in memory) through the
 * reader and the windower, keeping nothing but a running sum; run in a JVM with a small heap by
 * {@link StreamingMemoryTest}. Prints "bytes rows windows".
 */
public final class StreamingProbe {
  private StreamingProbe() {}

  public static void main(String[] args) throws Exception {
    long targetBytes = Long.parseLong(args[0]);
    GeneratedCsv csv = new GeneratedCsv(targetBytes, 4, 16);
    double[] sum = {0};
    Windower w = new Windower(new WindowSpec(60, 10, FeatureMode.STATISTICS), 16,
        (node, t, row, features, label) -> sum[0] += features[2]);
    TelemetryCsv.read(Path.of("generated.csv"), csv, w);
    System.out.println(csv.produced + " " + csv.rows + " " + w.windows() + " " + (sum[0] != 0));
  }

  /** timestamp,node,m0..m{k-1},label rows for {@code nodes} nodes until {@code target} bytes. */
  static final class GeneratedCsv extends Reader {
    private final long target;
    private final int nodes;
    private final int metrics;
    private final StringBuilder line = new StringBuilder(256);
    private int pos;
    long produced;
    long rows;

    GeneratedCsv(long target, int nodes, int metrics) {
      this.target = target;
      this.nodes = nodes;
      this.metrics = metrics;
      line.append("timestamp,node");
      for (int m = 0; m < metrics; m++) {
        line.append(",m").append(m);
      }
      line.append(",label\n");
    }

    private void nextLine() {
      line.setLength(0);
      pos = 0;
      long t = 1_700_000_000L + rows / nodes * 10;
      int node = (int) (rows % nodes);
      line.append(t).append(",node").append(node);
      for (int m = 0; m < metrics; m++) {
        line.append(',').append((rows * 31 + m * 7) % 1000 / 10.0);
      }
      line.append(rows % 97 == 0 ? ",memleak\n" : ",\n");
      rows++;
    }

    @Override
    public int read(char[] buf, int off, int len) {
      int n = 0;
      while (n < len) {
        if (pos == line.length()) {
          if (produced >= target) {
            break;
          }
          nextLine();
        }
        int k = Math.min(len - n, line.length() - pos);
        line.getChars(pos, pos + k, buf, off + n);
        pos += k;
        n += k;
        produced += k;
      }
      return n == 0 ? -1 : n;
    }

    @Override
    public void close() {}
  }
}
