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
      if (v == Long.MIN_VALUE) {
        throw new IllegalArgumentException("cannot format Long.MIN_VALUE");
      }
      buf[pos++] = '-';
      v = -v;
    }
    int len = 1;
    while (len < 19 && v >= POW10_LONG[len]) {
      len++;
    }
    int end = pos + len;
    int p = end;
    // Two digits per division (the JIT turns division by a constant into a multiply).
    while (v >= 100) {
      long q = v / 100;
      int r = (int) (v - q * 100);
      v = q;
      buf[--p] = ONES[r];
      buf[--p] = TENS[r];
    }
    if (v >= 10) {
      buf[--p] = ONES[(int) v];
      buf[--p] = TENS[(int) v];
    } else {
      buf[--p] = (byte) ('0' + v);
    }
    return end;
  }

  private static final long[] POW10_LONG = new long[19];
  private static final byte[] TENS = new byte[100];
  private static final byte[] ONES = new byte[100];

  static {
    long p = 1;
    for (int i = 0; i < 19; i++) {
      POW10_LONG[i] = p;
      p *= 10;
    }
    for (int i = 0; i < 100; i++) {
      TENS[i] = (byte) ('0' + i / 10);
      ONES[i] = (byte) ('0' + i % 10);
    }
  }

  /** The same text as a String (for JSON). */
  static String format(double v, int decimals) {
    byte[] b = new byte[40];
    int n = write(b, 0, v, decimals);
    return new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
  }
}
