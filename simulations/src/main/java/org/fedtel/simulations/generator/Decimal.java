package org.fedtel.simulations.generator;

/**
 * Fixed-point decimal formatting that is fast and gives the same text on every JDK: the value is
 * rounded to {@code decimals} places (IEEE round-half-even is not involved: {@link Math#round} is
 * specified exactly), and trailing zeros and a bare point are dropped. {@link Double#toString}
 * changed its algorithm in JDK 19, so it is not used for data.
 */
final class Decimal {
  private static final long[] POW10 = {1, 10, 100, 1000, 10_000, 100_000, 1_000_000};
  private static final long LIMIT = 1L << 52;

  private Decimal() {}

  /** Writes {@code v} into {@code buf} at {@code pos}; returns the new position. */
  static int write(byte[] buf, int pos, double v, int decimals) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("not finite: " + v);
    }
    long scale = POW10[decimals];
    double scaled = v * scale;
    if (Math.abs(scaled) >= LIMIT) {
      throw new IllegalArgumentException("too large to format with " + decimals + " decimals: " + v);
    }
    long m = Math.round(scaled);
    if (m < 0) {
      buf[pos++] = '-';
      m = -m;
    }
    long ip = m / scale;
    long fp = m % scale;
    pos = writeLong(buf, pos, ip);
    if (fp != 0) {
      int d = decimals;
      while (fp % 10 == 0) {
        fp /= 10;
        d--;
      }
      buf[pos++] = '.';
      for (int i = d - 1; i >= 0; i--) {
        buf[pos + i] = (byte) ('0' + fp % 10);
        fp /= 10;
      }
      pos += d;
    }
    return pos;
  }

  static int writeLong(byte[] buf, int pos, long v) {
    if (v < 0) {
      buf[pos++] = '-';
      v = -v;
    }
    if (v == 0) {
      buf[pos++] = '0';
      return pos;
    }
    int digits = 0;
    for (long t = v; t > 0; t /= 10) {
      digits++;
    }
    for (int i = digits - 1; i >= 0; i--) {
      buf[pos + i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    return pos + digits;
  }

  /** The same text as a String (for JSON). */
  static String format(double v, int decimals) {
    byte[] b = new byte[40];
    int n = write(b, 0, v, decimals);
    return new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
  }
}
