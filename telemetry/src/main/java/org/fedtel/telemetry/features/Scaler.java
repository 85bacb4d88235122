package org.fedtel.telemetry.features;

import java.util.Arrays;

/**
 * Per-feature affine scaling {@code (x - offset) / scale}. Fitted from summary statistics, not only
 * from raw data, so a federation can fit it from (DP-noised) aggregates of the sites' counts, sums,
 * sums of squares, minima and maxima.
 *
 * <p>A zero (or, after DP noise, negative) variance or range gives scale 1, as scikit-learn does,
 * so constant features pass through centred instead of dividing by zero.
 */
public final class Scaler {
  /**
   * The scalings. {@code SIGNED_LOG_STANDARD} standardizes sign(x)·log1p(|x|) instead of x: the
   * scaling a federation fits from its sites' DP feature moments (org.fedtel.protocol.FeatureMoments),
   * suited to telemetry whose values span orders of magnitude.
   */
  public enum Kind { STANDARD, MIN_MAX, SIGNED_LOG_STANDARD }

  private final Kind kind;
  private final double[] offset;
  private final double[] scale;

  private Scaler(Kind kind, double[] offset, double[] scale) {
    this.kind = kind;
    this.offset = offset;
    this.scale = scale;
  }

  /** Standard scaling from count, per-feature sum and sum of squares (population variance). */
  public static Scaler standardFromMoments(double count, double[] sum, double[] sumOfSquares) {
    if (!(count > 0) || !Double.isFinite(count)) {
      throw new IllegalArgumentException("count must be finite and > 0, was " + count);
    }
    if (sum.length != sumOfSquares.length || sum.length == 0) {
      throw new IllegalArgumentException("sum and sumOfSquares must have the same non-zero length");
    }
    double[] off = new double[sum.length];
    double[] sc = new double[sum.length];
    for (int i = 0; i < sum.length; i++) {
      finite("sum", i, sum[i]);
      finite("sumOfSquares", i, sumOfSquares[i]);
      double mean = sum[i] / count;
      double var = sumOfSquares[i] / count - mean * mean;
      double sd = var > 0 ? Math.sqrt(var) : 0;
      off[i] = mean;
      sc[i] = sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1;
    }
    return new Scaler(Kind.STANDARD, off, sc);
  }

  /** Min-max scaling to [0, 1] from per-feature minima and maxima. */
  public static Scaler minMax(double[] min, double[] max) {
    if (min.length != max.length || min.length == 0) {
      throw new IllegalArgumentException("min and max must have the same non-zero length");
    }
    double[] off = new double[min.length];
    double[] sc = new double[min.length];
    for (int i = 0; i < min.length; i++) {
      finite("min", i, min[i]);
      finite("max", i, max[i]);
      double range = max[i] - min[i];
      off[i] = min[i];
      sc[i] = range > 0 ? range : 1;
    }
    return new Scaler(Kind.MIN_MAX, off, sc);
  }

  /** Fits {@code kind} on rows of raw data. */
  public static Scaler fit(Kind kind, double[][] data) {
    FeatureSummary s = new FeatureSummary(data.length == 0 ? 1 : data[0].length);
    double[] logged = kind == Kind.SIGNED_LOG_STANDARD && data.length > 0 ? new double[data[0].length] : null;
    for (double[] row : data) {
      if (logged != null && row.length == logged.length) {
        for (int i = 0; i < row.length; i++) {
          logged[i] = signedLog(row[i]);
        }
        s.add(logged);
      } else {
        s.add(row);
      }
    }
    if (kind != Kind.SIGNED_LOG_STANDARD) {
      return s.scaler(kind);
    }
    Scaler standard = s.scaler(Kind.STANDARD);
    return new Scaler(Kind.SIGNED_LOG_STANDARD, standard.offset, standard.scale);
  }

  /**
   * sign(x)·log1p(|x|), the transform of {@link Kind#SIGNED_LOG_STANDARD}; the same formula as
   * org.fedtel.protocol.FeatureMoments, which fits it federated (the modules do not depend on each other).
   */
  public static double signedLog(double x) {
    return Math.copySign(Math.log1p(Math.abs(x)), x);
  }

  /** Restores a scaler from its parameters (e.g. from a model file). */
  public static Scaler of(Kind kind, double[] offset, double[] scale) {
    if (offset.length != scale.length || offset.length == 0) {
      throw new IllegalArgumentException("offset and scale must have the same non-zero length");
    }
    for (int i = 0; i < scale.length; i++) {
      finite("offset", i, offset[i]);
      finite("scale", i, scale[i]);
      if (!(scale[i] > 0)) {
        throw new IllegalArgumentException("scale[" + i + "] must be > 0, was " + scale[i]);
      }
    }
    return new Scaler(kind, offset.clone(), scale.clone());
  }

  private static void finite(String what, int i, double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(what + "[" + i + "] is not finite: " + v);
    }
  }

  public Kind kind() {
    return kind;
  }

  public int size() {
    return offset.length;
  }

  public double[] offset() {
    return offset.clone();
  }

  public double[] scale() {
    return scale.clone();
  }

  /** Writes the scaled {@code x} into {@code out} (may be the same array). */
  public void transform(double[] x, double[] out) {
    if (x.length != offset.length || out.length != offset.length) {
      throw new IllegalArgumentException("expected " + offset.length + " features, got " + x.length + "/" + out.length);
    }
    if (kind == Kind.SIGNED_LOG_STANDARD) {
      for (int i = 0; i < x.length; i++) {
        out[i] = (signedLog(x[i]) - offset[i]) / scale[i];
      }
      return;
    }
    for (int i = 0; i < x.length; i++) {
      out[i] = (x[i] - offset[i]) / scale[i];
    }
  }

  /** A scaled copy of every row. */
  public double[][] transform(double[][] rows) {
    double[][] out = new double[rows.length][offset.length];
    for (int i = 0; i < rows.length; i++) {
      transform(rows[i], out[i]);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Scaler s && s.kind == kind && Arrays.equals(s.offset, offset) && Arrays.equals(s.scale, scale);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Arrays.hashCode(offset) * 7 + Arrays.hashCode(scale);
  }
}
