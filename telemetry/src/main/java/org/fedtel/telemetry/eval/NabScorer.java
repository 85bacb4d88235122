package org.fedtel.telemetry.eval;

import java.util.Arrays;
import java.util.List;
import org.fedtel.telemetry.io.TimeWindow;

/**
 * The Numenta Anomaly Benchmark scoring algorithm (Lavin and Ahmad, "Evaluating Real-time Anomaly
 * Detection Algorithms - the Numenta Anomaly Benchmark", ICMLA 2015; reference implementation
 * {@code nab/sweeper.py}), reproduced step for step:
 * <ul>
 *   <li>the first {@code min(floor(0.15 n), 0.15 * 5000)} rows of a file are probationary and not
 *       scored;</li>
 *   <li>a detection inside a label window at index i scores
 *       {@code A_TP * sigma(-(right - i + 1) / width) / sigma(-1)}, with the scaled sigmoid
 *       {@code sigma(y) = 2 / (1 + e^{5y}) - 1} (and -1 for y >= 3); only the best detection in a
 *       window counts;</li>
 *   <li>a detection outside windows scores {@code A_FP * sigma(|prevRight - i| / (prevWidth - 1))}
 *       relative to the preceding window, or {@code -A_FP} if no window precedes it;</li>
 *   <li>each window without a detection scores {@code -A_FN};</li>
 *   <li>the corpus score is normalized as {@code 100 (S - S_null) / (S_perfect - S_null)}, where the
 *       null detector flags nothing and the perfect score is (number of windows) x A_TP.</li>
 * </ul>
 * Two edge cases NAB's code leaves undefined are settled here: a window limit that is not exactly
 * a row timestamp is snapped to the rows inside it (NAB requires exact timestamps and would fail;
 * with repeated timestamps a window ends at the last row of its end time, where NAB takes the first),
 * and a one-row preceding window (NAB would divide by zero) counts as "no window precedes".
 *
 * <p>NAB additionally optimizes each detector's threshold on the whole corpus ("optimize" step, a
 * local search); {@link #optimizeThreshold} does that exhaustively over every distinct score.
 */
public final class NabScorer {
  /** Cost matrix of a NAB application profile (weights are positive; signs are applied here). */
  public record Profile(double tpWeight, double fpWeight, double fnWeight) {
    /** NAB's "standard" profile: A_TP = 1.0, A_FP = 0.11, A_FN = 1.0. */
    public static final Profile STANDARD = new Profile(1.0, 0.11, 1.0);

    public Profile {
      if (!(tpWeight > 0) || !(fpWeight >= 0) || !(fnWeight >= 0)) {
        throw new IllegalArgumentException("weights must be tp > 0, fp >= 0, fn >= 0");
      }
    }
  }

  private final Profile profile;
  private final double probationPercent;

  public NabScorer(Profile profile, double probationPercent) {
    if (!(probationPercent >= 0 && probationPercent < 1)) {
      throw new IllegalArgumentException("probationPercent must be in [0, 1), was " + probationPercent);
    }
    this.profile = profile;
    this.probationPercent = probationPercent;
  }

  /** The standard profile with NAB's 15 % probationary period. */
  public static NabScorer standard() {
    return new NabScorer(Profile.STANDARD, 0.15);
  }

  public Profile profile() {
    return profile;
  }

  /** NAB's scaled sigmoid of a relative position. */
  public static double scaledSigmoid(double relativePosition) {
    if (relativePosition >= 3.0) {
      return -1.0;
    }
    return 2.0 / (1.0 + Math.exp(5.0 * relativePosition)) - 1.0;
  }

  /** Rows at the start of a file that are not scored: {@code min(floor(p n), p 5000)}. */
  public double probationaryLength(int rows) {
    return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
  }

  /** The per-row weights of one file: which window a row belongs to and what a detection there scores. */
  public Sweep sweep(long[] timestamps, List<TimeWindow> windows) {
    int n = timestamps.length;
    for (int i = 1; i < n; i++) {
      if (timestamps[i] < timestamps[i - 1]) {
        throw new IllegalArgumentException("timestamps must not decrease (row " + i + ")");
      }
    }
    // Rows of each window: first row >= start, last row <= end.
    int w = windows.size();
    int[] left = new int[w];
    int[] right = new int[w];
    for (int k = 0; k < w; k++) {
      TimeWindow tw = windows.get(k);
      if (k > 0 && tw.startMillis() <= windows.get(k - 1).endMillis()) {
        throw new IllegalArgumentException("label windows overlap or are out of order at window " + k);
      }
      int lo = lowerBound(timestamps, tw.startMillis());
      int hi = lowerBound(timestamps, tw.endMillis() + 1) - 1;
      left[k] = lo;
      right[k] = hi; // hi < lo: no row falls in the window
    }
    int[] windowOf = new int[n];
    Arrays.fill(windowOf, -1);
    for (int k = 0; k < w; k++) {
      for (int i = left[k]; i <= right[k]; i++) {
        windowOf[i] = k; // windows are disjoint in time, so their row ranges are too
      }
    }
    double[] weight = new double[n];
    boolean[] probationary = new boolean[n];
    double maxTp = scaledSigmoid(-1.0);
    double probation = probationaryLength(n);
    int prevRight = -1;
    double prevWidth = 0;
    for (int i = 0; i < n; i++) {
      int k = windowOf[i];
      if (k >= 0) {
        double width = right[k] - left[k] + 1;
        double position = -(right[k] - i + 1) / width;
        weight[i] = scaledSigmoid(position) * profile.tpWeight() / maxTp;
        if (i == right[k]) {
          prevRight = i;
          prevWidth = width;
        }
      } else {
        double position = prevRight < 0 || prevWidth <= 1 ? 3.0 : Math.abs(prevRight - i) / (prevWidth - 1);
        weight[i] = scaledSigmoid(position) * profile.fpWeight();
      }
      probationary[i] = i < probation;
    }
    boolean[] scored = new boolean[w];
    for (int i = 0; i < n; i++) {
      if (!probationary[i] && windowOf[i] >= 0) {
        scored[windowOf[i]] = true;
      }
    }
    return new Sweep(windowOf, weight, probationary, scored, w);
  }

  /** A file's prepared weights. */
  public static final class Sweep {
    private final int[] windowOf;
    private final double[] weight;
    private final boolean[] probationary;
    private final boolean[] scored;
    private final int windows;

    Sweep(int[] windowOf, double[] weight, boolean[] probationary, boolean[] scored, int windows) {
      this.windowOf = windowOf;
      this.weight = weight;
      this.probationary = probationary;
      this.scored = scored;
      this.windows = windows;
    }

    public int rows() {
      return windowOf.length;
    }

    /** Number of label windows of the file (all count towards the perfect score). */
    public int windows() {
      return windows;
    }

    /** Whether row i is in a label window. */
    public boolean inWindow(int i) {
      return windowOf[i] >= 0;
    }

    public boolean probationary(int i) {
      return probationary[i];
    }

    /** What a detection at row i contributes (before taking the best per window). */
    public double weight(int i) {
      return weight[i];
    }
  }

  /**
   * One file's score.
   *
   * @param raw NAB score of the detections
   * @param nullScore score of the null detector on this file
   * @param windows label windows in the file
   * @param detectedWindows windows with at least one scored detection
   * @param falsePositives scored detections outside every window
   */
  public record FileScore(double raw, double nullScore, int windows, int detectedWindows, int falsePositives) {
    /** Normalized score of this file alone; NaN for a file without windows. */
    public double normalized(Profile profile) {
      double perfect = windows * profile.tpWeight();
      return perfect - nullScore == 0 ? Double.NaN : 100 * (raw - nullScore) / (perfect - nullScore);
    }
  }

  /** Scores binary detections (one per row) of a file. */
  public FileScore score(Sweep sweep, boolean[] detections) {
    if (detections.length != sweep.rows()) {
      throw new IllegalArgumentException("expected " + sweep.rows() + " detections, got " + detections.length);
    }
    double[] best = new double[sweep.windows];
    Arrays.fill(best, Double.NaN);
    double fp = 0;
    int fpCount = 0;
    for (int i = 0; i < detections.length; i++) {
      if (!detections[i] || sweep.probationary[i]) {
        continue;
      }
      int k = sweep.windowOf[i];
      if (k < 0) {
        fp += sweep.weight[i];
        fpCount++;
      } else if (Double.isNaN(best[k]) || sweep.weight[i] > best[k]) {
        best[k] = sweep.weight[i];
      }
    }
    double total = fp;
    double nullScore = 0;
    int detected = 0;
    for (int k = 0; k < sweep.windows; k++) {
      if (!sweep.scored[k]) {
        continue; // entirely probationary: NAB leaves it out of the file's score
      }
      nullScore -= profile.fnWeight();
      if (Double.isNaN(best[k])) {
        total -= profile.fnWeight();
      } else {
        // NAB starts each window at -A_FN and keeps the maximum with every detection's weight.
        total += Math.max(-profile.fnWeight(), best[k]);
        detected++;
      }
    }
    return new FileScore(total, nullScore, sweep.windows, detected, fpCount);
  }

  /** Normalized corpus score: 100 (sum raw - sum null) / (windows x A_TP - sum null). */
  public double normalized(List<FileScore> files) {
    double raw = 0;
    double nul = 0;
    long windows = 0;
    for (FileScore f : files) {
      raw += f.raw();
      nul += f.nullScore();
      windows += f.windows();
    }
    double perfect = windows * profile.tpWeight();
    if (perfect - nul == 0) {
      throw new IllegalArgumentException("no label windows: the normalized score is undefined");
    }
    return 100 * (raw - nul) / (perfect - nul);
  }

  /**
   * The threshold maximizing the corpus score when a row is detected iff its score is at least the
   * threshold, searched over every distinct score (NAB searches locally; this finds the global
   * optimum). Ties keep the highest threshold.
   *
   * @return {threshold, raw corpus score at that threshold}
   */
  public double[] optimizeThreshold(List<Sweep> sweeps, List<double[]> scores) {
    if (sweeps.size() != scores.size()) {
      throw new IllegalArgumentException("one score array per file is required");
    }
    int total = 0;
    int windowBase = 0;
    for (int f = 0; f < sweeps.size(); f++) {
      if (scores.get(f).length != sweeps.get(f).rows()) {
        throw new IllegalArgumentException("file " + f + ": " + scores.get(f).length + " scores for "
            + sweeps.get(f).rows() + " rows");
      }
      total += sweeps.get(f).rows();
      windowBase += sweeps.get(f).windows;
    }
    double[] s = new double[total];
    double[] weight = new double[total];
    int[] window = new int[total];
    int m = 0;
    int base = 0;
    double current = 0;
    double[] best = new double[windowBase];
    boolean[] scoredWindow = new boolean[windowBase];
    for (int f = 0; f < sweeps.size(); f++) {
      Sweep sw = sweeps.get(f);
      double[] sc = scores.get(f);
      for (int k = 0; k < sw.windows; k++) {
        if (sw.scored[k]) {
          scoredWindow[base + k] = true;
          best[base + k] = -profile.fnWeight();
          current -= profile.fnWeight();
        }
      }
      for (int i = 0; i < sw.rows(); i++) {
        if (sw.probationary[i]) {
          continue;
        }
        if (Double.isNaN(sc[i])) {
          throw new IllegalArgumentException("file " + f + " row " + i + ": score is NaN");
        }
        s[m] = sc[i];
        weight[m] = sw.weight[i];
        window[m] = sw.windowOf[i] < 0 ? -1 : base + sw.windowOf[i];
        m++;
      }
      base += sw.windows;
    }
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(s[b], s[a]));
    double bestScore = current; // threshold above every score: nothing detected
    double bestThreshold = m == 0 ? Double.POSITIVE_INFINITY : Math.nextUp(s[order[0]]);
    int i = 0;
    while (i < m) {
      double t = s[order[i]];
      while (i < m && s[order[i]] == t) {
        int r = order[i];
        if (window[r] < 0) {
          current += weight[r];
        } else if (weight[r] > best[window[r]]) {
          current += weight[r] - best[window[r]];
          best[window[r]] = weight[r];
        }
        i++;
      }
      if (current > bestScore) {
        bestScore = current;
        bestThreshold = t;
      }
    }
    return new double[] {bestThreshold, bestScore};
  }

  private static int lowerBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
