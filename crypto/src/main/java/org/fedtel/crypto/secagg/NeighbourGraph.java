package org.fedtel.crypto.secagg;

/**
 * Who masks with and shares to whom. For {@code neighbours == 0} the complete graph (Bonawitz et
 * al., CCS 2017); otherwise the SecAgg+ graph (Bell et al., CCS 2020, §3): a Harary graph H(k, n)
 * — a ring in which each site is linked to the k/2 nearest sites on either side — over a random
 * permutation of the participants derived from the round's graph seed, so every party computes the
 * same graph and the server cannot choose it after seeing the keys.
 */
final class NeighbourGraph {
  private final int n;
  private final int half;
  private final int[] position;
  private final int[] order;

  NeighbourGraph(SecAggParams params) {
    n = params.participants().size();
    half = params.neighbours() / 2;
    position = new int[n];
    order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (half > 0) {
      // Fisher-Yates over an AES-CTR stream keyed from the seed; the modulo bias is < n/2^64.
      byte[] key = Kdf.derive(params.graphSeed(), "neighbour-graph", params.round(), "", "",
          MaskPrg.KEY_LENGTH);
      long[] random = new long[n];
      new MaskPrg().addTo(key, random, false);
      for (int i = n - 1; i > 0; i--) {
        int j = (int) Long.remainderUnsigned(random[i], i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
    }
    for (int p = 0; p < n; p++) {
      position[order[p]] = p;
    }
  }

  boolean complete() {
    return half == 0;
  }

  /** Whether i and j (participant indices, i ≠ j) are neighbours. */
  boolean adjacent(int i, int j) {
    if (i == j) {
      return false;
    }
    if (half == 0) {
      return true;
    }
    int d = Math.abs(position[i] - position[j]);
    return Math.min(d, n - d) <= half;
  }

  /** The share group of i: i and its neighbours, ascending by participant index. */
  int[] group(int i) {
    if (half == 0) {
      int[] all = new int[n];
      for (int j = 0; j < n; j++) {
        all[j] = j;
      }
      return all;
    }
    int[] g = new int[2 * half + 1];
    int p = position[i];
    for (int d = -half; d <= half; d++) {
      g[d + half] = order[Math.floorMod(p + d, n)];
    }
    java.util.Arrays.sort(g);
    return g;
  }
}
