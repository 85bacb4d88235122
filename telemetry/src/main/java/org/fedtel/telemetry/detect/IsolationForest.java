package org.fedtel.telemetry.detect;

import java.util.random.RandomGenerator;

/**
 * Isolation Forest (Liu, Ting and Zhou, ICDM 2008): an ensemble of random isolation trees, each
 * grown on a subsample of psi points to height ceil(log2 psi); the anomaly score of x is
 * s(x) = 2^(-E[h(x)] / c(psi)), where h is the path length and c(n) the average path length of an
 * unsuccessful binary-search-tree lookup. Scores near 1 are anomalies, below 0.5 normal.
 *
 * <p>c(n) = 2 H(n-1) - 2 (n-1) / n with H(i) = ln(i) + Euler's constant, and c(2) = 1, c(1) = 0
 * (exact values for the two smallest sizes, as scikit-learn does).
 */
public final class IsolationForest {
  private static final double EULER = 0.5772156649015329;

  private final int features;
  private final double normalizer;
  private final int[][] feature;     // per tree, per node: split feature, or -1 for a leaf
  private final double[][] split;
  private final int[][] left;
  private final int[][] right;
  private final int[][] size;        // leaf: number of training points that reached it

  private IsolationForest(int features, double normalizer, int[][] feature, double[][] split, int[][] left,
                          int[][] right, int[][] size) {
    this.features = features;
    this.normalizer = normalizer;
    this.feature = feature;
    this.split = split;
    this.left = left;
    this.right = right;
    this.size = size;
  }

  /** Fits {@code trees} trees on subsamples of {@code subsample} rows (the paper's defaults: 100, 256). */
  public static IsolationForest fit(double[][] data, int trees, int subsample, RandomGenerator random) {
    if (data.length < 2) {
      throw new IllegalArgumentException("need at least 2 rows, got " + data.length);
    }
    if (trees < 1 || subsample < 2) {
      throw new IllegalArgumentException("trees must be >= 1 and subsample >= 2");
    }
    int d = data[0].length;
    for (double[] row : data) {
      if (row.length != d) {
        throw new IllegalArgumentException("rows have different lengths");
      }
    }
    int psi = Math.min(subsample, data.length);
    int heightLimit = (int) Math.ceil(Math.log(psi) / Math.log(2));
    int maxNodes = 2 * psi - 1;
    int[][] feature = new int[trees][];
    double[][] split = new double[trees][];
    int[][] left = new int[trees][];
    int[][] right = new int[trees][];
    int[][] size = new int[trees][];
    int[] idx = new int[data.length];
    for (int t = 0; t < trees; t++) {
      for (int i = 0; i < idx.length; i++) {
        idx[i] = i;
      }
      // partial Fisher-Yates: the first psi entries are a uniform sample without replacement
      for (int i = 0; i < psi; i++) {
        int j = i + random.nextInt(idx.length - i);
        int tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
      }
      Tree tree = new Tree(maxNodes);
      tree.grow(data, idx, 0, psi, 0, heightLimit, random, d);
      feature[t] = java.util.Arrays.copyOf(tree.feature, tree.count);
      split[t] = java.util.Arrays.copyOf(tree.split, tree.count);
      left[t] = java.util.Arrays.copyOf(tree.left, tree.count);
      right[t] = java.util.Arrays.copyOf(tree.right, tree.count);
      size[t] = java.util.Arrays.copyOf(tree.size, tree.count);
    }
    return new IsolationForest(d, averagePathLength(psi), feature, split, left, right, size);
  }

  private static final class Tree {
    final int[] feature;
    final double[] split;
    final int[] left;
    final int[] right;
    final int[] size;
    int count;

    Tree(int maxNodes) {
      feature = new int[maxNodes];
      split = new double[maxNodes];
      left = new int[maxNodes];
      right = new int[maxNodes];
      size = new int[maxNodes];
    }

    int grow(double[][] data, int[] idx, int from, int to, int depth, int limit, RandomGenerator random, int d) {
      int node = count++;
      int n = to - from;
      feature[node] = -1;
      size[node] = n;
      if (depth >= limit || n <= 1) {
        return node;
      }
      // Pick a random attribute among those not constant in this node.
      int q = -1;
      double lo = 0;
      double hi = 0;
      int start = random.nextInt(d);
      for (int k = 0; k < d; k++) {
        int f = (start + k) % d;
        double mn = Double.POSITIVE_INFINITY;
        double mx = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
          double v = data[idx[i]][f];
          mn = Math.min(mn, v);
          mx = Math.max(mx, v);
        }
        if (mx > mn) {
          q = f;
          lo = mn;
          hi = mx;
          break;
        }
      }
      if (q < 0) {
        return node; // all points identical: cannot be separated
      }
      // p in (lo, hi]: both sides keep at least one point (lo goes left, hi goes right).
      double p = hi - random.nextDouble() * (hi - lo);
      if (!(p > lo)) {
        p = hi; // rounding
      }
      int i = from;
      int j = to - 1;
      while (i <= j) {
        if (data[idx[i]][q] < p) {
          i++;
        } else {
          int tmp = idx[i];
          idx[i] = idx[j];
          idx[j] = tmp;
          j--;
        }
      }
      feature[node] = q;
      split[node] = p;
      int l = grow(data, idx, from, i, depth + 1, limit, random, d);
      int r = grow(data, idx, i, to, depth + 1, limit, random, d);
      left[node] = l;
      right[node] = r;
      return node;
    }
  }

  /** c(n): average path length of an unsuccessful search in a binary search tree of n points. */
  static double averagePathLength(long n) {
    if (n <= 1) {
      return 0;
    }
    if (n == 2) {
      return 1;
    }
    return 2 * (Math.log(n - 1) + EULER) - 2.0 * (n - 1) / n;
  }

  /** The anomaly score s(x) in (0, 1]. */
  public double score(double[] x) {
    if (x.length != features) {
      throw new IllegalArgumentException("expected " + features + " features, got " + x.length);
    }
    double total = 0;
    for (int t = 0; t < feature.length; t++) {
      int[] f = feature[t];
      int node = 0;
      int depth = 0;
      while (f[node] >= 0) {
        node = x[f[node]] < split[t][node] ? left[t][node] : right[t][node];
        depth++;
      }
      total += depth + averagePathLength(size[t][node]);
    }
    double mean = total / feature.length;
    return Math.pow(2, -mean / normalizer);
  }
}
