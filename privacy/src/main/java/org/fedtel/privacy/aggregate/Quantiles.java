package org.fedtel.privacy.aggregate;

import org.fedtel.privacy.noise.LaplaceNoise;

/**
 * ε-DP quantiles from one noisy tree (the hierarchical-histogram method of Google's QuantileTree;
 * Qardaji, Yang &amp; Li, VLDB 2013): [lower, upper] is split into branching^height leaves; each entry
 * increments one node per level, so a privacy unit changes at most height·maxContributions counts
 * by one and every node gets discrete Laplace noise with parameter ε/(height·maxContributions).
 * Noise is drawn once per node (lazily) so every quantile is answered from the same noisy tree.
 */
public final class Quantiles {
  private final Settings s;
  private final int branching;
  private final int height;
  private final Lifecycle life = new Lifecycle("Quantiles");
  private final long[][] counts; // counts[level][node], level 0 = children of the root

  private Quantiles(Settings s, int branching, int height) {
    this.s = s;
    this.branching = branching;
    this.height = height;
    this.counts = new long[height][];
    long width = 1;
    for (int l = 0; l < height; l++) {
      width *= branching;
      counts[l] = new long[(int) width];
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public void addEntry(double x) {
    life.checkEntry(x);
    int leaves = counts[height - 1].length;
    double c = Math.max(s.lower, Math.min(s.upper, x));
    int leaf = (int) Math.min(leaves - 1, Math.floor((c - s.lower) / (s.upper - s.lower) * leaves));
    for (int l = height - 1; l >= 0; l--) {
      counts[l][leaf]++;
      leaf /= branching;
    }
  }

  /** Freezes the tree and returns its noisy view; callable once. */
  public NoisyTree computeResult() {
    life.takeResult();
    return new NoisyTree();
  }

  /** The noisy tree: answers any number of quantiles without further privacy cost. */
  public final class NoisyTree {
    private final long[][] noisy = new long[height][];
    private final boolean[][] drawn = new boolean[height][];
    private final LaplaceNoise noise = new LaplaceNoise(s.random);
    private final double lambdaEpsilon = s.epsilon;
    private final long sensitivity = (long) height * s.maxContributions;

    private NoisyTree() {
      for (int l = 0; l < height; l++) {
        noisy[l] = new long[counts[l].length];
        drawn[l] = new boolean[counts[l].length];
      }
    }

    private long count(int level, int node) {
      if (!drawn[level][node]) {
        noisy[level][node] = Math.max(0, noise.addNoise(counts[level][node], sensitivity, lambdaEpsilon));
        drawn[level][node] = true;
      }
      return noisy[level][node];
    }

    /** The q-quantile, q ∈ [0, 1], clamped to the bounds. */
    public double quantile(double q) {
      if (!(q >= 0 && q <= 1)) {
        throw new IllegalArgumentException("quantile rank must be in [0, 1], got " + q);
      }
      int node = 0; // index of the current node's first child within the next level, divided by branching
      double rank = q;
      for (int l = 0; l < height; l++) {
        int first = node * branching;
        long total = 0;
        for (int c = 0; c < branching; c++) {
          total += count(l, first + c);
        }
        if (total == 0) {
          // No signal below: fall back to the middle of this node's range.
          double w = (s.upper - s.lower) / Math.pow(branching, l);
          return s.lower + (node + 0.5) * w;
        }
        double target = rank * total;
        long cum = 0;
        int chosen = branching - 1;
        for (int c = 0; c < branching; c++) {
          long n = count(l, first + c);
          if (cum + n >= target && n > 0) {
            chosen = c;
            break;
          }
          cum += n;
        }
        long n = count(l, first + chosen);
        rank = n == 0 ? 0.5 : Math.max(0, Math.min(1, (target - cum) / n));
        node = first + chosen;
      }
      double leafWidth = (s.upper - s.lower) / counts[height - 1].length;
      return Math.max(s.lower, Math.min(s.upper, s.lower + (node + rank) * leafWidth));
    }
  }

  public static final class Builder extends AggregateBuilder.Bounded<Builder> {
    private int branching = 16;
    private int height = 4;
    private boolean treeSet;

    private Builder() {
      super("Quantiles");
    }

    /** Tree shape (default 16 and 4); at most 2^24 leaves. Settable once. */
    public Builder tree(int branchingFactor, int treeHeight) {
      if (treeSet) {
        throw new IllegalStateException("Quantiles: tree already set to " + branching + "^" + height);
      }
      int bits = 32 - Integer.numberOfLeadingZeros(branchingFactor - 1); // ⌈log2 branching⌉
      // In long: treeHeight·bits overflows int for heights near 2^31.
      if (branchingFactor < 2 || treeHeight < 1 || (long) treeHeight * bits > 24) {
        throw new IllegalArgumentException("Quantiles: need branching >= 2, height >= 1 and at most 2^24 leaves, got "
            + branchingFactor + "^" + treeHeight);
      }
      branching = branchingFactor;
      height = treeHeight;
      treeSet = true;
      return this;
    }

    public Quantiles build() {
      return new Quantiles(validated(), branching, height);
    }
  }
}
